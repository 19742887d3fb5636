import { z } from 'zod'
import type { App } from '../../env.ts'
import { idParam, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  createBlockedPeriod,
  deleteBlockedPeriod,
  listBlockedPeriods,
} from '../../services/scheduling/blocked-periods.ts'
import { validate } from '../../validator.ts'
import { instantField, scheduling } from './fields.ts'

const YEAR = 366 * 86_400_000

const bothInstants = (body: { starts_at: unknown; ends_at: unknown }) =>
  body.starts_at instanceof Date && body.ends_at instanceof Date

export const blockedPeriodBody = z
  .object({
    starts_at: instantField,
    ends_at: instantField,
    reason: z.string().trim().max(300).nullable().optional(),
  })
  // zod runs an object's refinements even when a field failed: compare only two real instants.
  .refine((body) => !bothInstants(body) || body.ends_at > body.starts_at, {
    message: 'must be after starts_at',
    path: ['ends_at'],
  })
  .refine((body) => !bothInstants(body) || body.ends_at.getTime() - body.starts_at.getTime() <= YEAR, {
    message: 'a period is at most a year',
    path: ['ends_at'],
  })
const listQuery = z.object({ from: instantField.optional(), to: instantField.optional() })

export function registerSchedulingBlockedPeriods(app: App) {
  const base = '/api/v1/scheduling/blocked-periods'

  app.get(
    base,
    describe({ summary: 'Periods the whole business is closed (holidays)' }),
    authenticate,
    permit('scheduling.read', scheduling),
    validate('query', listQuery),
    async (c) =>
      c.json(
        snake(await c.var.caller.run((ctx) => listBlockedPeriods(ctx, c.req.valid('query')), scheduling)),
      ),
  )

  app.post(
    base,
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('json', blockedPeriodBody),
    async (c) => {
      const body = c.req.valid('json')
      const created = await c.var.caller.run(
        (ctx) =>
          createBlockedPeriod(ctx, { startsAt: body.starts_at, endsAt: body.ends_at, reason: body.reason }),
        scheduling,
      )
      return c.json(snake(created), 201)
    },
  )

  app.delete(
    `${base}/:id`,
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('param', idParam('blk')),
    async (c) => {
      await c.var.caller.run((ctx) => deleteBlockedPeriod(ctx, c.req.valid('param').id), scheduling)
      return c.body(null, 204)
    },
  )
}
