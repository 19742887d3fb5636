import type { App } from '../../env.ts'
import { idParam } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { listAudit } from '../../services/audit.ts'
import { validate } from '../../validator.ts'
import { auditFilters, auditInput, auditPage, withOrderedWindow } from '../tenant/audit.ts'

/** The tenant listing's filters, plus the tenant to narrow to. */
export const listAuditQuery = withOrderedWindow(
  auditFilters.extend({ tenant_id: idParam('ten').shape.id.optional() }),
)

/** The audit log across tenants and the central, newest first: the same rules as `/api/v1/audit`. */
export function registerAdminAudit(app: App) {
  app.get(
    '/api/v1/admin/audit',
    authenticate,
    permit('operator'),
    validate('query', listAuditQuery),
    async (c) => {
      const query = c.req.valid('query')
      const page = await c.var.caller.run((ctx) =>
        listAudit(ctx, { scope: 'platform', tenantId: query.tenant_id, ...auditInput(query) }),
      )
      return c.json(auditPage(page))
    },
  )
}
