import { z } from 'zod'
import { dateTimeField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { type Page, pageQuery, type Snake, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { type AuditQuery, listAudit } from '../../services/audit.ts'
import { validate } from '../../validator.ts'

/**
 * The filters both audit listings take (this one and the operators' `/api/v1/admin/audit`, which
 * adds `tenant_id`): the same checks, so the two cannot drift apart again.
 */
export const auditFilters = pageQuery.extend({
  /** A prefix, taken literally: `user.` matches every user action. */
  action: z.string().trim().min(1).max(100).optional(),
  actor_id: z
    .string()
    .regex(/^[a-z]{3}_[0-9a-z]{20}$/, 'must be an actor id such as usr_…, key_… or opr_…')
    .optional(),
  /** Inclusive. */
  from: dateTimeField.optional(),
  /** Exclusive; after `from`. */
  to: dateTimeField.optional(),
})

/** `to` must come after `from`: an empty or inverted window is a mistake, answered 400. */
export const withOrderedWindow = <S extends z.ZodType<{ from?: string; to?: string }>>(schema: S) =>
  schema.refine((query) => !query.from || !query.to || Date.parse(query.from) < Date.parse(query.to), {
    message: 'must be after from',
    path: ['to'],
  })

const auditQuery = withOrderedWindow(auditFilters)

/** The validated query as the service takes it. */
export const auditInput = (query: z.infer<typeof auditFilters>): AuditQuery => ({
  limit: query.limit,
  cursor: query.cursor,
  action: query.action,
  actorId: query.actor_id,
  from: query.from ? new Date(query.from) : undefined,
  to: query.to ? new Date(query.to) : undefined,
})

type AuditRow = Awaited<ReturnType<typeof listAudit>>['data'][number]
export type AuditResponse = Snake<Omit<AuditRow, 'data'>> & { data: AuditRow['data'] }

/** A page of audit rows as both listings answer it. */
export function auditPage(page: Awaited<ReturnType<typeof listAudit>>): Page<AuditResponse> {
  // `data` is passed as written: its keys are the writer's own and must not be rewritten.
  const data = page.data.map(({ data: details, ...row }) => ({ ...snake(row), data: details }))
  return { data, next_cursor: page.nextCursor }
}

export function registerAudit(app: App) {
  /** The own tenant's audit trail, newest first; filters: action prefix, actor_id, from (incl.), to (excl.). */
  app.get('/api/v1/audit', authenticate, permit('audit.read'), validate('query', auditQuery), async (c) => {
    const query = c.req.valid('query')
    const page = await c.var.caller.run((ctx) => listAudit(ctx, { scope: 'tenant', ...auditInput(query) }))
    return c.json(auditPage(page))
  })
}
