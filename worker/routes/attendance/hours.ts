import { z } from 'zod'
import { dateField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { getHours, type HoursInput, type HoursSettings, setHours } from '../../services/attendance/hours.ts'
import { minuteOf, timeOf } from '../../services/scheduling/zones.ts'
import { validate } from '../../validator.ts'
import { timeField, timeZoneField } from '../scheduling/fields.ts'
import { attendance, tags } from './fields.ts'

const endAfterStart = { message: 'end must be after start', path: ['end'] }

export const hoursBody = z.object({
  time_zone: timeZoneField.describe('The zone the hours are read in (IANA).'),
  weekly: z
    .array(
      z
        .object({
          weekday: z.number().int().min(0).max(6).describe('0 = Sunday'),
          start: timeField,
          end: timeField,
        })
        .refine((w) => w.end > w.start, endAfterStart),
    )
    .max(50)
    .describe('When the business answers, per weekday. Empty: no hours (always open).'),
  exceptions: z
    .array(
      z
        .object({ date: dateField, start: timeField.optional(), end: timeField.optional() })
        .refine((e) => (e.start === undefined) === (e.end === undefined), {
          message: 'give both start and end, or neither (closed all day)',
          path: ['end'],
        })
        .refine((e) => e.start === undefined || (e.end ?? '') > e.start, endAfterStart),
    )
    .max(200)
    .refine((list) => new Set(list.map((e) => e.date)).size === list.length, 'one exception per date')
    .describe('Dates that differ from the week: closed all day (no times) or other hours.'),
  away_message: z
    .string()
    .trim()
    .min(1)
    .max(1000)
    .nullable()
    .describe(
      'Sent once per conversation and closed period to a customer who writes while closed; null: none.',
    ),
  away_now: z.boolean().describe('Closed now, whatever the hours say (until switched off).'),
})

/** The settings as the API shows them: times as `HH:MM`. */
export const shown = (settings: HoursSettings & { openNow: boolean }) =>
  snake({
    timeZone: settings.timeZone,
    weekly: settings.weekly.map((w) => ({ weekday: w.weekday, start: timeOf(w.start), end: timeOf(w.end) })),
    exceptions: settings.exceptions.map((e) =>
      e.start === undefined || e.end === undefined
        ? { date: e.date }
        : { date: e.date, start: timeOf(e.start), end: timeOf(e.end) },
    ),
    awayMessage: settings.awayMessage,
    awayNow: settings.awayNow,
    awaySince: settings.awaySince,
    openNow: settings.openNow,
  })

/** The inbox's business hours and away message (docs/attendance.md). */
export function registerAttendanceHours(app: App) {
  app.get(
    '/api/v1/attendance/hours',
    describe({ summary: 'Business hours, the away message and whether the inbox is open now', tags }),
    authenticate,
    permit('attendance.read', attendance),
    async (c) => c.json(shown(await c.var.caller.run((ctx) => getHours(ctx), attendance))),
  )

  app.put(
    '/api/v1/attendance/hours',
    describe({ summary: 'Set the business hours, exceptions, away message and away switch', tags }),
    authenticate,
    permit('attendance.manage', attendance),
    validate('json', hoursBody),
    async (c) => {
      const input = hoursInputOf(c.req.valid('json'))
      return c.json(shown(await c.var.caller.run((ctx) => setHours(ctx, input), attendance)))
    },
  )
}

/** The verb's input from a valid body: minutes of the day, sorted by weekday and date. */
export function hoursInputOf(body: z.output<typeof hoursBody>): HoursInput {
  return {
    timeZone: body.time_zone,
    weekly: body.weekly
      .map((w) => ({ weekday: w.weekday, start: minuteOf(w.start), end: minuteOf(w.end) }))
      .sort((a, b) => a.weekday - b.weekday || a.start - b.start),
    exceptions: body.exceptions
      .map((e) =>
        e.start === undefined || e.end === undefined
          ? { date: e.date }
          : { date: e.date, start: minuteOf(e.start), end: minuteOf(e.end) },
      )
      .sort((a, b) => (a.date < b.date ? -1 : 1)),
    awayMessage: body.away_message,
    awayNow: body.away_now,
  }
}
