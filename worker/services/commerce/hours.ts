import { type HoursException, type OpeningHours, WEEKDAYS, type Weekday } from '../../../db/schema/index.ts'

type StoreHours = {
  timezone: string
  openingHours: OpeningHours
  hoursExceptions: HoursException[]
}

/** The date (`YYYY-MM-DD`), weekday and `HH:MM` of `at` on the store's wall clock. */
export function wallClock(at: Date, timezone: string): { date: string; weekday: Weekday; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      weekday: 'short',
    })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  )
  const weekday = String(parts.weekday).toLowerCase().slice(0, 3) as Weekday
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS.includes(weekday) ? weekday : 'sun',
    time: `${parts.hour}:${parts.minute}`,
  }
}

/**
 * Whether the store's hours have it open at `at`: that day's exception when there is one, else
 * the weekday's intervals (`[open, close)`, a close before the open runs past midnight). A store
 * with no hours at all is always open: hours are opt-in.
 */
export function openAt(store: StoreHours, at: Date): boolean {
  const weekly = Object.values(store.openingHours).some((intervals) => (intervals?.length ?? 0) > 0)
  if (!weekly && store.hoursExceptions.length === 0) return true
  const { date, weekday, time } = wallClock(at, store.timezone)
  const exception = store.hoursExceptions.find((day) => day.date === date)
  const today = exception ? exception.intervals : (store.openingHours[weekday] ?? [])
  if (today.some(([open, close]) => (open <= close ? time >= open && time < close : time >= open)))
    return true
  // Yesterday's interval that runs past midnight still covers the small hours.
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(weekday) + 6) % 7] as Weekday
  return (store.openingHours[yesterday] ?? []).some(([open, close]) => close < open && time < close)
}
