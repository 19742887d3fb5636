import { z } from 'zod'
import { isTimeZone } from '../../services/calendar/parse.ts'

export const timezoneField = z
  .string()
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone such as America/Sao_Paulo')

export const idOf = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{20}$`), `must be a ${prefix}_… id`)
