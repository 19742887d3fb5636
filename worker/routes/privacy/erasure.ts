import { z } from 'zod'
import type { App } from '../../env.ts'
import { idParam, reauthField, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  cancelOwnErasure,
  listOwnErasureRequests,
  requestConnectionErasure,
  requestTenantErasure,
} from '../../services/privacy/erasure-requests.ts'
import { validate } from '../../validator.ts'

/** Fewer days than the configured grace period (7 by default): the owner's own ask, password typed again. */
const graceDays = z
  .number()
  .int()
  .min(0)
  .max(90)
  .optional()
  .describe('Days before the deletion; fewer than the default only for the owner, with `reauth`.')

export const erasureBody = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('tenant'), grace_days: graceDays, reauth: reauthField.optional() }),
  z.object({
    scope: z.literal('connection'),
    connection_id: z.string().regex(/^con_[0-9a-z]{20}$/, 'must be a con_… id'),
    grace_days: graceDays,
    reauth: reauthField,
  }),
])
export const erasureRequestParam = idParam('era')
/** Why a request is withdrawn: kept on the request and in the audit trail. */
export const cancelErasureBody = z.object({ reason: z.string().trim().min(3).max(500) })

/**
 * Erasure (LGPD Art. 18 VI), deliberate and recoverable for a while. A connection's erasure is
 * scheduled at once (owner or admin, password typed again): the connection is paused and erased
 * after the grace period, cancellable until then. The whole tenant is asked for by the owner and
 * scheduled once an operator confirms it. Every answer says when the deletion will happen
 * (`scheduled_for`, or `grace_days` after confirmation while it waits for one).
 */
export function registerErasure(app: App) {
  app.post(
    '/api/v1/erasure-requests',
    describe({
      summary: 'Ask for the erasure of the tenant (owner) or of one connection (owner or admin)',
      responses: { 202: { description: 'The request, with `scheduled_for` once it is scheduled.' } },
    }),
    authenticate,
    permit('privacy.manage'),
    validate('json', erasureBody),
    async (c) => {
      const body = c.req.valid('json')
      const input = { graceDays: body.grace_days, reauth: body.reauth }
      const request = await c.var.caller.run((ctx) =>
        body.scope === 'connection'
          ? requestConnectionErasure(ctx, { ...input, connectionId: body.connection_id })
          : requestTenantErasure(ctx, input),
      )
      return c.json(snake(request), 202)
    },
  )

  app.get('/api/v1/erasure-requests', authenticate, async (c) =>
    c.json({ data: snake(await c.var.caller.run(listOwnErasureRequests)) }),
  )

  app.post(
    '/api/v1/erasure-requests/:id/cancel',
    describe({
      summary: 'Withdraw a connection erasure within its grace period, or the owner’s unconfirmed request',
      responses: { 200: { description: 'The canceled request; the connection is as it was.' } },
    }),
    authenticate,
    permit('privacy.manage'),
    validate('param', erasureRequestParam),
    validate('json', cancelErasureBody),
    async (c) => {
      const { id } = c.req.valid('param')
      const { reason } = c.req.valid('json')
      return c.json(snake(await c.var.caller.run((ctx) => cancelOwnErasure(ctx, id, { reason }))))
    },
  )
}
