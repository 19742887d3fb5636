import { z } from 'zod'
import { dateField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  createProfessional,
  deleteException,
  getProfessional,
  getWorkingPlan,
  listExceptions,
  listProfessionals,
  setException,
  setWorkingPlan,
  updateProfessional,
} from '../../services/scheduling/professionals.ts'
import { validate } from '../../validator.ts'
import { idOf, scheduling, sent, timeRange, timeZoneField } from './fields.ts'

export const professionalBody = z.object({
  name: z.string().trim().min(1).max(120),
  /** The tenant member this professional is, if they sign in. */
  user_id: idOf('usr').nullable().optional(),
  time_zone: timeZoneField.optional(),
  active: z.boolean().optional(),
})
const updateProfessionalBody = professionalBody
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field')

/** No two intervals of one list may overlap: the plan must say one thing about every minute. */
const disjoint = (ranges: { start: string; end: string }[]) =>
  [...ranges]
    .sort((a, b) => a.start.localeCompare(b.start))
    .every((r, i, all) => i === 0 || (all[i - 1]?.end ?? '') <= r.start)

const workingDay = z
  .object({
    /** 0 = Sunday … 6 = Saturday. */
    weekday: z.number().int().min(0).max(6),
    hours: z.array(timeRange).max(8),
    breaks: z.array(timeRange).max(8).default([]),
  })
  .refine((day) => disjoint(day.hours), { message: 'working hours overlap', path: ['hours'] })
  .refine((day) => disjoint(day.breaks), { message: 'breaks overlap', path: ['breaks'] })
export const workingPlanBody = z
  .object({ days: z.array(workingDay).max(7) })
  .refine((plan) => new Set(plan.days.map((d) => d.weekday)).size === plan.days.length, {
    message: 'each weekday at most once',
    path: ['days'],
  })
export const exceptionBody = z
  .object({
    date: dateField,
    kind: z.enum(['off', 'hours']),
    /** With `hours`: that day's working hours, replacing the plan (and its breaks). */
    hours: timeRange.nullable().optional(),
    reason: z.string().trim().max(300).nullable().optional(),
  })
  .refine((body) => (body.kind === 'hours') === Boolean(body.hours), {
    message: 'hours are required with kind hours, and only then',
    path: ['hours'],
  })
const exceptionsQuery = z.object({ from: dateField.optional(), to: dateField.optional() })
const professionalParam = idParam('pro')
const exceptionParam = z.object({ id: idOf('pro'), exceptionId: idOf('exc') })

export function registerSchedulingProfessionals(app: App) {
  const base = '/api/v1/scheduling/professionals'

  app.get(
    base,
    authenticate,
    permit('scheduling.read', scheduling),
    validate('query', pageQuery),
    async (c) =>
      c.json(
        snake(await c.var.caller.run((ctx) => listProfessionals(ctx, c.req.valid('query')), scheduling)),
      ),
  )

  app.post(
    base,
    describe({ summary: 'A new professional (a member or not), in their own time zone' }),
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('json', professionalBody),
    async (c) => {
      const body = c.req.valid('json')
      const created = await c.var.caller.run(
        (ctx) =>
          createProfessional(ctx, {
            name: body.name,
            ...sent({ userId: body.user_id, timeZone: body.time_zone, active: body.active }),
          }),
        scheduling,
      )
      return c.json(snake(created), 201)
    },
  )

  app.get(
    `${base}/:id`,
    authenticate,
    permit('scheduling.read', scheduling),
    validate('param', professionalParam),
    async (c) =>
      c.json(
        snake(await c.var.caller.run((ctx) => getProfessional(ctx, c.req.valid('param').id), scheduling)),
      ),
  )

  app.patch(
    `${base}/:id`,
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('param', professionalParam),
    validate('json', updateProfessionalBody),
    async (c) => {
      const body = c.req.valid('json')
      const input = sent({
        name: body.name,
        userId: body.user_id,
        timeZone: body.time_zone,
        active: body.active,
      })
      const updated = await c.var.caller.run(
        (ctx) => updateProfessional(ctx, c.req.valid('param').id, input),
        scheduling,
      )
      return c.json(snake(updated))
    },
  )

  app.get(
    `${base}/:id/working-plan`,
    describe({ summary: 'The weekly working plan, with breaks, on the professional’s wall clock' }),
    authenticate,
    permit('scheduling.read', scheduling),
    validate('param', professionalParam),
    async (c) =>
      c.json(
        snake(await c.var.caller.run((ctx) => getWorkingPlan(ctx, c.req.valid('param').id), scheduling)),
      ),
  )

  app.put(
    `${base}/:id/working-plan`,
    describe({ summary: 'Replaces the weekly working plan (weekdays not sent are days off)' }),
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('param', professionalParam),
    validate('json', workingPlanBody),
    async (c) => {
      const plan = await c.var.caller.run(
        (ctx) => setWorkingPlan(ctx, c.req.valid('param').id, c.req.valid('json').days),
        scheduling,
      )
      return c.json(snake(plan))
    },
  )

  app.get(
    `${base}/:id/exceptions`,
    authenticate,
    permit('scheduling.read', scheduling),
    validate('param', professionalParam),
    validate('query', exceptionsQuery),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run(
            (ctx) => listExceptions(ctx, c.req.valid('param').id, c.req.valid('query')),
            scheduling,
          ),
        ),
      ),
  )

  app.put(
    `${base}/:id/exceptions`,
    describe({ summary: 'A day off or other hours on one date (replaces that date’s exception)' }),
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('param', professionalParam),
    validate('json', exceptionBody),
    async (c) => {
      const exception = await c.var.caller.run(
        (ctx) => setException(ctx, c.req.valid('param').id, c.req.valid('json')),
        scheduling,
      )
      return c.json(snake(exception))
    },
  )

  app.delete(
    `${base}/:id/exceptions/:exceptionId`,
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('param', exceptionParam),
    async (c) => {
      const { id, exceptionId } = c.req.valid('param')
      await c.var.caller.run((ctx) => deleteException(ctx, id, exceptionId), scheduling)
      return c.body(null, 204)
    },
  )
}
