import type { ReportComparison, ReportFrequency, ReportPeriod } from '../../../db/schema/index.ts'
import { addDays, previousPeriod } from '../metrics/filters.ts'

/** When a schedule runs: the fields of `report_schedules` this needs. */
export type Timing = {
  frequency: ReportFrequency
  weekday: number | null
  monthDay: number | null
  localTime: string
  timeZone: string
}

/** The calendar date (`YYYY-MM-DD`) of `instant` in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant)
}

/** How far `timeZone` is ahead of UTC at `instant`, in milliseconds. */
function offsetMs(instant: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(instant)
      .map((part) => [part.type, Number(part.value)]),
  ) as Record<string, number>
  const wall = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  )
  return wall - Math.floor(instant.getTime() / 1000) * 1000
}

/**
 * The instant the wall clock in `timeZone` reads `day` at `time` (`HH:MM`). A time skipped by a
 * daylight-saving jump resolves to the instant after the jump; a repeated one to its first reading.
 */
export function zonedInstant(day: string, time: string, timeZone: string): Date {
  const wall = Date.parse(`${day}T${time}:00Z`)
  const first = wall - offsetMs(new Date(wall), timeZone)
  return new Date(wall - offsetMs(new Date(first), timeZone))
}

/** ISO weekday of a date, 1 = Monday … 7 = Sunday. */
export const isoWeekday = (day: string) => ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1

const matches = (timing: Timing, day: string) =>
  timing.frequency === 'weekly'
    ? isoWeekday(day) === timing.weekday
    : Number(day.slice(8)) === timing.monthDay

/** The first run of the schedule strictly after `after`. */
export function nextRunAfter(timing: Timing, after: Date): Date {
  let day = addDays(localDate(after, timing.timeZone), -1)
  // A monthly day comes within 31 days; two months of days is the safe bound.
  for (let i = 0; i < 64; i++, day = addDays(day, 1)) {
    if (!matches(timing, day)) continue
    const at = zonedInstant(day, timing.localTime, timing.timeZone)
    if (at > after) return at
  }
  throw new Error('no run within two months: the timing is invalid')
}

export type ReportWindow = { from: string; to: string; previousFrom: string; previousTo: string }

/**
 * The days a run reports (local to the schedule, both inclusive) and the days it compares with,
 * from the local date the run is for: the Monday–Sunday week before it, the calendar month before
 * it, or the N days before it; compared with the period of equal length just before, or the same
 * dates a year earlier.
 */
export function reportWindow(
  runDay: string,
  period: ReportPeriod,
  periodDays: number | null,
  comparison: ReportComparison,
): ReportWindow {
  let from: string
  let to: string
  if (period === 'previous_week') {
    from = addDays(runDay, -(isoWeekday(runDay) - 1) - 7)
    to = addDays(from, 6)
  } else if (period === 'previous_month') {
    const firstOfThis = `${runDay.slice(0, 8)}01`
    to = addDays(firstOfThis, -1)
    from = `${to.slice(0, 8)}01`
  } else {
    to = addDays(runDay, -1)
    from = addDays(runDay, -(periodDays ?? 30))
  }
  if (comparison === 'previous_period') {
    const previous = previousPeriod(from, to)
    return { from, to, previousFrom: previous.from, previousTo: previous.to }
  }
  return { from, to, previousFrom: yearEarlier(from), previousTo: yearEarlier(to) }
}

/** The same date a year earlier; 29 February becomes the 28th. */
function yearEarlier(day: string): string {
  const year = Number(day.slice(0, 4)) - 1
  const rest = day.slice(5) === '02-29' ? '02-28' : day.slice(5)
  return `${year}-${rest}`
}
