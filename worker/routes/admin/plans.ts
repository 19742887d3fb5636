import { z } from 'zod'
import { MODULES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { createPlan, listPlans, type PlanLimits, retirePlan, updatePlan } from '../../services/admin/plans.ts'
import { validate } from '../../validator.ts'

const limitField = z.int().min(1).max(1_000_000)

export const planLimits = z.object({
  users: limitField,
  connections: limitField,
  retention_days: limitField,
  collection_interval_minutes: limitField,
  /** Commerce: stores a tenant may open; left out at creation, 1. Existing stores stay when lowered. */
  stores: z.int().min(0).max(10_000).optional(),
  // The inbox's monthly sends, enforced at send (docs/attendance.md); 0 stops replies.
  attendance_messages: z
    .int()
    .min(0)
    .max(10_000_000)
    .optional()
    .describe('WhatsApp messages the attendance inbox may send per month (default 1000).'),
})
// A plan without modules would read as an inactive license to every module route.
export const planModules = z
  .array(z.enum(MODULES))
  .min(1)
  .refine((modules) => new Set(modules).size === modules.length, 'each module at most once')
export const planCodeField = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'lowercase letters, digits, - and _, at most 48')

export const planParam = idParam('pln')
export const createPlanBody = z.object({
  code: planCodeField,
  name: z.string().trim().min(1).max(200),
  modules: planModules,
  limits: planLimits,
})
export const updatePlanBody = createPlanBody
  .extend({ limits: planLimits.partial() })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'send at least one of code, name, modules, limits')
export const listPlansQuery = pageQuery.extend({
  include_retired: z.enum(['true', 'false']).default('false'),
})

type LimitsBody = z.infer<typeof planLimits>

/** The API's snake_case limits as the service's; a partial set stays partial. */
function camelLimits(limits: LimitsBody): PlanLimits
function camelLimits(limits: Partial<LimitsBody>): Partial<PlanLimits>
function camelLimits(limits: Partial<LimitsBody>): Partial<PlanLimits> {
  return {
    users: limits.users,
    connections: limits.connections,
    retentionDays: limits.retention_days,
    collectionIntervalMinutes: limits.collection_interval_minutes,
    stores: limits.stores,
    attendanceMessages: limits.attendance_messages,
  }
}

/** Operators manage the plan catalogue: modules and limits that licenses sell. */
export function registerAdminPlans(app: App) {
  app.post(
    '/api/v1/admin/plans',
    authenticate,
    permit('operator'),
    validate('json', createPlanBody),
    async (c) => {
      const body = c.req.valid('json')
      const plan = await c.var.caller.run((ctx) =>
        createPlan(ctx, { ...body, limits: camelLimits(body.limits) }),
      )
      return c.json(snake(plan), 201)
    },
  )

  app.get(
    '/api/v1/admin/plans',
    authenticate,
    permit('operator'),
    validate('query', listPlansQuery),
    async (c) => {
      const query = c.req.valid('query')
      const page = await c.var.caller.run((ctx) =>
        listPlans(ctx, { ...query, includeRetired: query.include_retired === 'true' }),
      )
      return c.json(snake(page))
    },
  )

  app.patch(
    '/api/v1/admin/plans/:id',
    authenticate,
    permit('operator'),
    validate('param', planParam),
    validate('json', updatePlanBody),
    async (c) => {
      const body = c.req.valid('json')
      const plan = await c.var.caller.run((ctx) =>
        updatePlan(ctx, c.req.valid('param').id, {
          ...body,
          limits: body.limits ? camelLimits(body.limits) : undefined,
        }),
      )
      return c.json(snake(plan))
    },
  )

  /** A retired plan keeps its licenses but cannot be used for new ones (409 PLAN_RETIRED). */
  app.post(
    '/api/v1/admin/plans/:id/retire',
    authenticate,
    permit('operator'),
    validate('param', planParam),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => retirePlan(ctx, c.req.valid('param').id)))),
  )
}
