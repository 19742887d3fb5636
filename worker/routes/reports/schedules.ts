import { z } from 'zod'
import {
  PLATFORMS,
  REPORT_COMPARISONS,
  REPORT_FORMATS,
  REPORT_FREQUENCIES,
  REPORT_LANGUAGES,
  REPORT_PERIODS,
} from '../../../db/schema/index.ts'
import { timeZoneField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { idParam, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { previewSchedule } from '../../services/reports/runs.ts'
import {
  createSchedule,
  deleteSchedule,
  listSchedules,
  type ScheduleInput,
  updateSchedule,
} from '../../services/reports/schedules.ts'
import { validate } from '../../validator.ts'

/** Scheduled reports belong to the metrics module. */
export const reports = { module: 'metrics' } as const

/** A schedule's fields as the API names them; create needs them all, a change any. */
const scheduleFields = z.object({
  name: z.string().trim().min(1).max(120),
  connection_ids: z
    .array(z.string().regex(/^con_[0-9a-z]{20}$/, 'must be a con_… id'))
    .min(1)
    .max(200)
    .nullable()
    .default(null),
  platforms: z.array(z.enum(PLATFORMS)).min(1).nullable().default(null),
  frequency: z.enum(REPORT_FREQUENCIES),
  weekday: z
    .number()
    .int()
    .min(1)
    .max(7)
    .nullable()
    .default(null)
    .describe('ISO weekday, 1 = Monday (weekly)'),
  month_day: z.number().int().min(1).max(28).nullable().default(null).describe('1–28 (monthly)'),
  local_time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM'),
  time_zone: timeZoneField,
  period: z.enum(REPORT_PERIODS),
  period_days: z.number().int().min(1).max(366).nullable().default(null),
  comparison: z.enum(REPORT_COMPARISONS).default('previous_period'),
  language: z.enum(REPORT_LANGUAGES).default('pt-BR'),
  recipients: z.array(z.email().max(254)).min(1).max(50),
  format: z.enum(REPORT_FORMATS).default('attachment'),
  hold_for_review: z.boolean().default(false),
})

export const scheduleBody = scheduleFields
  .refine((body) => body.frequency !== 'weekly' || body.weekday !== null, {
    message: 'a weekly schedule needs a weekday',
    path: ['weekday'],
  })
  .refine((body) => body.frequency !== 'monthly' || body.month_day !== null, {
    message: 'a monthly schedule needs a month_day',
    path: ['month_day'],
  })
  .refine((body) => (body.period === 'last_n_days') === (body.period_days !== null), {
    message: 'period_days goes with period last_n_days, and only with it',
    path: ['period_days'],
  })

/**
 * A change: only the fields sent (no defaults), plus `active` to pause or resume. Whether the
 * result hangs together (a weekday for a weekly schedule…) is the service's check.
 */
const schedulePatch = z
  .object({
    name: scheduleFields.shape.name,
    connection_ids: scheduleFields.shape.connection_ids.removeDefault(),
    platforms: scheduleFields.shape.platforms.removeDefault(),
    frequency: scheduleFields.shape.frequency,
    weekday: scheduleFields.shape.weekday.removeDefault(),
    month_day: scheduleFields.shape.month_day.removeDefault(),
    local_time: scheduleFields.shape.local_time,
    time_zone: scheduleFields.shape.time_zone,
    period: scheduleFields.shape.period,
    period_days: scheduleFields.shape.period_days.removeDefault(),
    comparison: z.enum(REPORT_COMPARISONS),
    language: z.enum(REPORT_LANGUAGES),
    recipients: scheduleFields.shape.recipients,
    format: z.enum(REPORT_FORMATS),
    hold_for_review: z.boolean(),
    active: z.boolean().describe('false pauses the schedule; true resumes it from the next slot'),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, { message: 'nothing to change' })

/** API field names to the service's, for a whole schedule or a change. */
export function scheduleInput<T extends Partial<z.infer<typeof scheduleBody>>>(body: T) {
  return {
    name: body.name,
    connectionIds: body.connection_ids,
    platforms: body.platforms,
    frequency: body.frequency,
    weekday: body.weekday,
    monthDay: body.month_day,
    localTime: body.local_time,
    timeZone: body.time_zone,
    period: body.period,
    periodDays: body.period_days,
    comparison: body.comparison,
    language: body.language,
    recipients: body.recipients && [...new Set(body.recipients.map((address) => address.toLowerCase()))],
    format: body.format,
    holdForReview: body.hold_for_review,
  }
}

export function registerReportSchedules(app: App) {
  const base = '/api/v1/reports/schedules'

  app.get(
    base,
    describe({ summary: 'Scheduled PDF reports of the tenant' }),
    authenticate,
    permit('reports.read', reports),
    async (c) => c.json(snake(await c.var.caller.run(listSchedules, reports))),
  )

  app.post(
    base,
    describe({ summary: 'Schedule a PDF report by e-mail' }),
    authenticate,
    permit('reports.manage', reports),
    validate('json', scheduleBody),
    async (c) => {
      const body = c.req.valid('json')
      const input = scheduleInput(body) as ScheduleInput
      const created = await c.var.caller.run(
        (ctx) =>
          createSchedule(ctx, {
            ...input,
            // The other frequency's field is ignored rather than stored.
            weekday: body.frequency === 'weekly' ? body.weekday : null,
            monthDay: body.frequency === 'monthly' ? body.month_day : null,
          }),
        reports,
      )
      return c.json(snake(created), 201)
    },
  )

  app.patch(
    `${base}/:id`,
    describe({ summary: 'Change a schedule, or pause (active false) and resume it' }),
    authenticate,
    permit('reports.manage', reports),
    validate('param', idParam('rps')),
    validate('json', schedulePatch),
    async (c) => {
      const { active, ...body } = c.req.valid('json')
      const updated = await c.var.caller.run(
        (ctx) => updateSchedule(ctx, c.req.valid('param').id, { ...scheduleInput(body), active }),
        reports,
      )
      return c.json(snake(updated))
    },
  )

  app.delete(
    `${base}/:id`,
    describe({ summary: 'Delete a schedule and its run history' }),
    authenticate,
    permit('reports.manage', reports),
    validate('param', idParam('rps')),
    async (c) => {
      await c.var.caller.run((ctx) => deleteSchedule(ctx, c.req.valid('param').id), reports)
      return c.body(null, 204)
    },
  )

  app.post(
    `${base}/:id/preview`,
    describe({ summary: 'Send me a preview of this report now (rendered in the background)' }),
    authenticate,
    permit('reports.preview', reports),
    validate('param', idParam('rps')),
    async (c) => {
      const run = await c.var.caller.run((ctx) => previewSchedule(ctx, c.req.valid('param').id), reports)
      return c.json(snake(run), 202)
    },
  )
}
