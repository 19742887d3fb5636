import { z } from 'zod'
import { timeZoneField } from '../../dates.ts'

/** A property's `timezone` (the calendar API's spelling of the shared field). */
export const timezoneField = timeZoneField

export const idOf = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{20}$`), `must be a ${prefix}_… id`)
