import { z } from 'zod'
import type { App } from '../../app.ts'
import { type Page, pageQuery, type Snake, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { runAs } from '../../services/context.ts'
import { listAudit } from '../../services/tenant/audit.ts'
import { validate } from '../../validator.ts'

const instant = z.iso.datetime({ offset: true })

export const auditQuery = pageQuery
  .extend({
    action: z.string().trim().min(1).max(100).optional(),
    actor_id: z.string().min(1).max(64).optional(),
    from: instant.optional(),
    to: instant.optional(),
  })
  .refine((query) => !query.from || !query.to || Date.parse(query.from) < Date.parse(query.to), {
    message: 'must be after from',
    path: ['to'],
  })

type AuditRow = Awaited<ReturnType<typeof listAudit>>['data'][number]
export type AuditResponse = Snake<Omit<AuditRow, 'data'>> & { data: AuditRow['data'] }

export function registerAudit(app: App) {
  /** The own tenant's audit trail, newest first; filters: action prefix, actor_id, from (incl.), to (excl.). */
  app.get('/api/v1/audit', authenticate, validate('query', auditQuery), async (c) => {
    const query = c.req.valid('query')
    const page = await runAs(c, (ctx) =>
      listAudit(ctx, {
        limit: query.limit,
        cursor: query.cursor,
        action: query.action,
        actorId: query.actor_id,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
      }),
    )
    // `data` is passed as written: its keys are already snake_case and must not be rewritten.
    const data = page.data.map(({ data: details, ...row }) => ({ ...snake(row), data: details }))
    return c.json({ data, next_cursor: page.nextCursor } satisfies Page<AuditResponse>)
  })
}
