import { AuditPage } from '../../../../portal/pages/admin/audit.tsx'
import { listAudit } from '../../../services/audit.ts'
import type { PortalApp } from '../index.ts'
import { portalRun } from '../run.ts'

const PATTERNS: Record<string, RegExp> = {
  tenant_id: /^ten_[0-9a-z]{20}$/,
  action: /^[\w.-]{1,100}$/,
  actor_id: /^[a-z]{3}_[0-9a-z]{20}$/,
  from: /^\d{4}-\d{2}-\d{2}$/,
  to: /^\d{4}-\d{2}-\d{2}$/,
}

/** The audit log with filters (tenant, action prefix, actor, dates); a malformed filter is ignored. */
export function registerPortalAdminAudit(portal: PortalApp) {
  portal.get('/admin/audit', async (c) => {
    const filters: Record<string, string> = {}
    for (const [name, pattern] of Object.entries(PATTERNS)) {
      const value = c.req.query(name)?.trim()
      if (value && pattern.test(value)) filters[name] = value
    }
    const day = (date: string | undefined, plus = 0) =>
      date ? new Date(Date.parse(`${date}T00:00:00Z`) + plus * 86_400_000) : undefined
    const cursor = c.req.query('cursor') || undefined
    const page = await portalRun(c, (ctx) =>
      listAudit(ctx, {
        scope: 'platform',
        tenantId: filters.tenant_id,
        action: filters.action,
        actorId: filters.actor_id,
        from: day(filters.from),
        // The form's "to" is a day included in full.
        to: day(filters.to, 1),
        cursor,
        limit: 50,
      }),
    )
    const next = page.nextCursor
      ? `/admin/audit?${new URLSearchParams({ ...filters, cursor: page.nextCursor })}`
      : null
    return c.render(<AuditPage rows={page.data} filters={filters} nextHref={next} />, {
      title: c.var.i18n.t('nav.audit'),
    })
  })
}
