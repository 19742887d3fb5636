/**
 * Wall-clock arithmetic in IANA time zones with `Intl` alone (workerd has no Temporal). A working
 * plan says "09:00–18:00 in America/New_York"; availability needs the UTC instants those hours
 * are on a given date, which move with daylight saving time.
 */

import { isTimeZone } from '../../dates.ts'
import { addDays, formatter } from '../calendar/parse.ts'

// The calendar module's Intl formatter, zone check and date arithmetic serve here too.
export { addDays, isTimeZone }

const MINUTE = 60_000
const DAY = 86_400_000

/** The wall clock in `zone` at `instant`, as if it were UTC (ms). */
function wallClock(instant: number, zone: string): number {
  const parts: Record<string, number> = {}
  for (const part of formatter(zone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  const date = new Date(Date.UTC(2000, 0, 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0))
  // Not Date.UTC(year, …): it reads years 0–99 as 1900–1999.
  date.setUTCFullYear(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1)
  return date.getTime()
}

/** `zone`'s offset from UTC at `instant`, in minutes (−180 for São Paulo, −240/−300 for New York). */
export function offsetMinutes(instant: number, zone: string): number {
  const whole = Math.floor(instant / 1000) * 1000
  return Math.round((wallClock(whole, zone) - whole) / MINUTE)
}

/**
 * The instant at which the wall clock in `zone` reads `date` (YYYY-MM-DD) + `minute` minutes.
 * Like Temporal's `compatible` disambiguation: a time repeated when clocks go back is its first
 * occurrence; a time skipped when clocks go forward is read with the offset before the change
 * (02:30 on a spring-forward night in New York is 03:30 daylight time).
 */
export function zonedInstant(date: string, minute: number, zone: string): Date {
  const naive = Date.parse(`${date}T00:00:00Z`) + minute * MINUTE
  const before = offsetMinutes(naive - DAY / 2, zone)
  const after = offsetMinutes(naive + DAY / 2, zone)
  const early = naive - before * MINUTE
  const late = naive - after * MINUTE
  const earlyFits = offsetMinutes(early, zone) === before
  const lateFits = offsetMinutes(late, zone) === after
  if (earlyFits && lateFits) return new Date(Math.min(early, late))
  if (earlyFits) return new Date(early)
  if (lateFits) return new Date(late)
  // In the gap: neither reading exists, so the offset before the change moves it forward.
  return new Date(early)
}

/** The calendar date (YYYY-MM-DD) in `zone` at `instant`. */
export function zonedDate(instant: Date, zone: string): string {
  return new Date(wallClock(instant.getTime(), zone)).toISOString().slice(0, 10)
}

/** `YYYY-MM-DDTHH:MM` on the wall clock of `zone` at `instant`. */
export function zonedLabel(instant: Date, zone: string): string {
  return new Date(wallClock(instant.getTime(), zone)).toISOString().slice(0, 16)
}

/** 0 = Sunday … 6 = Saturday, of a calendar date. */
export const weekdayOf = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay()

/** `HH:MM` ↔ minutes of the day (24:00 is the end of the day). */
export const minuteOf = (time: string) => {
  const [hours, minutes] = time.split(':').map(Number)
  return (hours ?? 0) * 60 + (minutes ?? 0)
}
export const timeOf = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`
