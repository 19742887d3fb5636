import { z } from 'zod'
import { LICENSE_STATUSES } from '../../../../db/schema/index.ts'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { LicensesPage } from '../../../../portal/pages/admin/licenses.tsx'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { createLicense, listLicenses, transitionLicense } from '../../../services/admin/licenses.ts'
import { readForm } from '../forms.ts'
import { actThenBack, attempt, errorFromQuery, portalRun, safeNext, seeOther } from '../run.ts'
import { renderTenant } from './tenants.tsx'

const LICENSE = ':id{lic_[0-9a-z]{20}}'
const NOTICES: Record<string, MessageKey> = {
  activated: 'licenses.activated',
  suspendedLicense: 'licenses.suspended',
  expired: 'licenses.expired',
  renewed: 'licenses.renewed',
}

const createForm = z.object({
  tenant_id: z.string().regex(/^ten_[0-9a-z]{20}$/),
  plan_id: z.string().regex(/^pln_[0-9a-z]{20}$/),
  status: z.enum(['active', 'trialing']),
  days: z.coerce.number().int().min(1).max(3660),
})

/** Licenses: list with filters, create (from a tenant's page), activate, suspend, expire, renew. */
export function registerPortalAdminLicenses(portal: PortalApp) {
  portal.get('/admin/licenses', async (c) => {
    const statusQuery = c.req.query('status') ?? ''
    const status = (LICENSE_STATUSES as readonly string[]).includes(statusQuery)
      ? (statusQuery as (typeof LICENSE_STATUSES)[number])
      : undefined
    const expiringQuery = Number(c.req.query('expiring_within_days'))
    const expiringWithinDays =
      Number.isInteger(expiringQuery) && expiringQuery >= 1 && expiringQuery <= 3660
        ? expiringQuery
        : undefined
    const cursor = c.req.query('cursor') || undefined
    const page = await portalRun(c, (ctx) =>
      listLicenses(ctx, { status, expiringWithinDays, cursor, limit: 50 }),
    )
    const filters = {
      ...(status ? { status } : {}),
      ...(expiringWithinDays ? { expiring_within_days: String(expiringWithinDays) } : {}),
    }
    const back = `/admin/licenses${Object.keys(filters).length ? `?${new URLSearchParams(filters)}` : ''}`
    return c.render(
      <LicensesPage
        rows={page.data}
        status={status ?? ''}
        expiring={expiringWithinDays ? String(expiringWithinDays) : ''}
        nextHref={
          page.nextCursor
            ? `/admin/licenses?${new URLSearchParams({ ...filters, cursor: page.nextCursor })}`
            : null
        }
        back={back}
        notice={NOTICES[c.req.query('done') ?? '']}
        error={errorFromQuery(c)}
      />,
      { title: c.var.i18n.t('nav.licenses') },
    )
  })

  portal.post('/admin/licenses', async (c) => {
    const form = await readForm(c, createForm)
    const tenantId = typeof form.values.tenant_id === 'string' ? form.values.tenant_id : ''
    if (!form.ok) {
      c.status(400)
      return renderTenant(c, tenantId, {
        licenseForm: { values: form.values, errors: form.errors, message: 'form.fix' },
      })
    }
    const outcome = await attempt(() =>
      portalRun(c, (ctx) =>
        createLicense(ctx, {
          tenantId: form.data.tenant_id,
          planId: form.data.plan_id,
          status: form.data.status,
          days: form.data.days,
        }),
      ),
    )
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return renderTenant(c, tenantId, {
        licenseForm: { values: form.values, errors: outcome.fields, message: outcome.message },
      })
    }
    return seeOther(c, `/admin/tenants/${form.data.tenant_id}?done=license`)
  })

  for (const [transition, done] of [
    ['activate', 'activated'],
    ['suspend', 'suspendedLicense'],
    ['expire', 'expired'],
    ['renew', 'renewed'],
  ] as const) {
    portal.post(`/admin/licenses/${LICENSE}/${transition}`, async (c) => {
      const form = await readForm(
        c,
        z.object({ back: z.string().optional(), days: z.coerce.number().int().min(1).max(3660).optional() }),
      )
      const back = safeNext(form.ok ? form.data.back : undefined, 'admin')
      const days = form.ok ? (form.data.days ?? 365) : 365
      return actThenBack(c, back, done, () =>
        portalRun(c, (ctx) =>
          transitionLicense(ctx, c.req.param('id'), transition, transition === 'renew' ? { days } : {}),
        ),
      )
    })
  }
}
