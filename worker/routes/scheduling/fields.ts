import { z } from 'zod'
import { dateField, dateTimeField, timeZoneField } from '../../dates.ts'

export const scheduling = { module: 'scheduling' } as const

export const idOf = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{20}$`), `must be a ${prefix}_… id`)

export { timeZoneField }

/** The zone dates and labels are read in: the caller's, else Brazil's (most tenants' customers). */
export const viewerZone = timeZoneField.default('America/Sao_Paulo')

/** An instant with its offset, as a Date. */
export const instantField = dateTimeField.transform((text) => new Date(text))

/** `HH:MM` on a wall clock, 00:00 to 24:00. */
export const timeField = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time HH:MM from 00:00 to 24:00')

export const timeRange = z
  .object({ start: timeField, end: timeField })
  .refine((range) => range.end > range.start, { message: 'end must be after start', path: ['end'] })

/** Drops the fields the caller did not send, so an update changes only those. */
export const sent = <T extends Record<string, unknown>>(input: T) =>
  Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>

/**
 * A day of a range read around it (a day each side, for any zone): two days inside the stored
 * years at either end, so no bound of a query leaves them.
 */
export const dayField = dateField.refine(
  (day) => day > '0001-01-02' && day < '9999-12-30',
  'must be from 0001-01-03 to 9999-12-29',
)
