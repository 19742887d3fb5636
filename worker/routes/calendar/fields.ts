import { z } from 'zod'
import { isTimeZone } from '../../services/calendar/parse.ts'

/** A real calendar date `YYYY-MM-DD` (2026-02-30 is refused). */
export const dateField = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  // zod runs refinements after a failed regex too: "0000-30-00" or "xxx" make an Invalid Date,
  // whose toISOString() throws (a 500) instead of refusing.
  .refine((value) => {
    const date = new Date(`${value}T00:00:00Z`)
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)
  }, 'is not a real date')

export const timezoneField = z
  .string()
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone such as America/Sao_Paulo')

export const idOf = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{20}$`), `must be a ${prefix}_… id`)
