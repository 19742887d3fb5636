import { z } from 'zod'
import type { App } from '../../app.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { listAudit } from '../../services/admin/audit.ts'
import { runAs } from '../../services/context.ts'
import { validate } from '../../validator.ts'

const dateTimeField = z.iso.datetime({ offset: true })

export const listAuditQuery = pageQuery.extend({
  tenant_id: idParam('ten').shape.id.optional(),
  /** A prefix: `license.` matches every license action. */
  action: z.string().trim().min(1).max(100).optional(),
  actor_id: z
    .string()
    .regex(/^[a-z]{3}_[0-9a-z]{20}$/, 'must be an actor id such as opr_… or usr_…')
    .optional(),
  /** Inclusive. */
  from: dateTimeField.optional(),
  /** Exclusive. */
  to: dateTimeField.optional(),
})

/** The audit log across tenants and the central, newest first. */
export function registerAdminAudit(app: App) {
  app.get('/api/v1/admin/audit', authenticate, validate('query', listAuditQuery), async (c) => {
    const query = c.req.valid('query')
    const page = await runAs(c, (ctx) =>
      listAudit(ctx, {
        tenantId: query.tenant_id,
        action: query.action,
        actorId: query.actor_id,
        from: query.from === undefined ? undefined : new Date(query.from),
        to: query.to === undefined ? undefined : new Date(query.to),
        limit: query.limit,
        cursor: query.cursor,
      }),
    )
    return c.json(snake(page))
  })
}
