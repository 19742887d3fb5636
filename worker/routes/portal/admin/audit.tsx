import { AuditPage } from '../../../../portal/pages/admin/audit.tsx'
import { isStoredDate, LAST_DAY } from '../../../dates.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { listAudit } from '../../../services/audit.ts'
import { portalRun } from '../run.ts'

const matching = (pattern: RegExp) => (value: string) => pattern.test(value)
const FILTERS: Record<string, (value: string) => boolean> = {
  tenant_id: matching(/^ten_[0-9a-z]{20}$/),
  action: matching(/^[\w.-]{1,100}$/),
  actor_id: matching(/^[a-z]{3}_[0-9a-z]{20}$/),
  from: isStoredDate,
  to: isStoredDate,
}

/** The audit log with filters (tenant, action prefix, actor, dates); a malformed filter is ignored. */
export function registerPortalAdminAudit(portal: PortalApp) {
  portal.get('/admin/audit', async (c) => {
    const filters: Record<string, string> = {}
    for (const [name, accepts] of Object.entries(FILTERS)) {
      const value = c.req.query(name)?.trim()
      if (value && accepts(value)) filters[name] = value
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
        // The form's "to" is a day included in full; nothing comes after the last stored day.
        to: filters.to === LAST_DAY ? undefined : day(filters.to, 1),
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
