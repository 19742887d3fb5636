import { z } from 'zod'

/**
 * The days and instants the API takes: what Postgres stores and a JS Date writes back the same
 * way, years 0001 to 9999. Postgres has no year 0 (the ISO date pattern's leap-year branch
 * matches `0000`), and a Date writes a year past 9999 as `+010000-…`: either one reached a query
 * as a 500. Request fields, cursors and the portal's filters all check with these.
 */
export const FIRST_DAY = '0001-01-01'
export const LAST_DAY = '9999-12-31'
const FIRST_INSTANT = Date.parse(`${FIRST_DAY}T00:00:00.000Z`)
const LAST_INSTANT = Date.parse(`${LAST_DAY}T23:59:59.999Z`)
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** A real calendar day `YYYY-MM-DD` from FIRST_DAY to LAST_DAY (not 2026-02-30, 0000-01-01, `infinity`). */
export function isStoredDate(text: string): boolean {
  if (!DAY.test(text) || text < FIRST_DAY) return false
  const day = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(text)
}

/**
 * An ISO 8601 date-time whose day as written and whose instant in UTC both fall in the stored
 * years: `0001-01-01T00:30:00+01:00` is year 0 in UTC.
 */
export function isStoredDateTime(text: string): boolean {
  const instant = Date.parse(text)
  return isStoredDate(text.slice(0, 10)) && instant >= FIRST_INSTANT && instant <= LAST_INSTANT
}

/** Whether `zone` is an IANA time zone the runtime knows (Intl refuses any other). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/**
 * A time-zone field of a request, written back as the IANA name Intl resolves it to (Intl also
 * takes `america/sao_paulo` or `utc`; what is stored and shown is `America/Sao_Paulo`, `UTC`).
 */
export const timeZoneField = z
  .string()
  .max(64, { abort: true })
  .refine(isTimeZone, 'must be an IANA time zone such as America/Sao_Paulo')
  .transform((zone) => new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone)

/** A date field of a request, `YYYY-MM-DD`. */
export const dateField = z.iso
  .date({ message: 'must be a date YYYY-MM-DD', abort: true })
  .refine(isStoredDate, `must be a real day from ${FIRST_DAY} to ${LAST_DAY}`)

/** A date-time field of a request: ISO 8601 with a time zone (`Z` or `±hh:mm`). */
export const dateTimeField = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone', abort: true })
  .refine(isStoredDateTime, `must be an instant from ${FIRST_DAY}T00:00:00Z to ${LAST_DAY}T23:59:59.999Z`)
