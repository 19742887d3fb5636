import { z } from 'zod'
import { MEMBER_ROLES, TENANT_STATUSES } from '../../../../db/schema/index.ts'
import type { FormState } from '../../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { TenantPage } from '../../../../portal/pages/admin/tenant.tsx'
import { TenantsPage } from '../../../../portal/pages/admin/tenants.tsx'
import { emailField, newPasswordField } from '../../../http.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { listLicenses } from '../../../services/admin/licenses.ts'
import { listPlans } from '../../../services/admin/plans.ts'
import {
  changeTenantStatus,
  createTenant,
  getTenant,
  listTenants,
  updateTenant,
} from '../../../services/admin/tenants.ts'
import {
  createTenantUser,
  deactivateUser,
  listTenantUsers,
  resetUserPassword,
} from '../../../services/admin/users.ts'
import { tenantNameField, tenantSlugField } from '../../admin/tenants.ts'
import { readForm } from '../forms.ts'
import { actThenBack, attempt, errorFromQuery, type PortalContext, portalRun, seeOther } from '../run.ts'

const TENANT = ':id{ten_[0-9a-z]{20}}'
const USER = ':user{usr_[0-9a-z]{20}}'
const NOTICES: Record<string, MessageKey> = {
  created: 'tenants.created',
  updated: 'tenants.updated',
  suspended: 'tenants.suspended',
  reactivated: 'tenants.reactivated',
  user: 'users.created',
  deactivated: 'team.deactivated',
  license: 'licenses.created',
  activated: 'licenses.activated',
  renewed: 'licenses.renewed',
  expired: 'licenses.expired',
  suspendedLicense: 'licenses.suspended',
}

const tenantForm = z.object({ name: tenantNameField, slug: tenantSlugField })
const userForm = z.object({
  name: z.string().trim().min(1).max(200),
  email: emailField,
  role: z.enum(MEMBER_ROLES),
  password: newPasswordField,
})

async function renderList(c: PortalContext, form?: FormState) {
  const q = c.req.query('q')?.trim() || undefined
  const statusQuery = c.req.query('status')
  const status = (TENANT_STATUSES as readonly string[]).includes(statusQuery ?? '')
    ? (statusQuery as (typeof TENANT_STATUSES)[number])
    : undefined
  const cursor = c.req.query('cursor') || undefined
  const page = await portalRun(c, (ctx) => listTenants(ctx, { q, status, cursor, limit: 50 }))
  const next = page.nextCursor
    ? `/admin/tenants?${new URLSearchParams({ ...(q ? { q } : {}), ...(status ? { status } : {}), cursor: page.nextCursor })}`
    : null
  return c.render(
    <TenantsPage rows={page.data} q={q ?? ''} status={status ?? ''} nextHref={next} form={form} />,
    {
      title: c.var.i18n.t('tenants.title'),
    },
  )
}

type Extra = Partial<
  Pick<
    Parameters<typeof TenantPage>[0],
    'editForm' | 'userForm' | 'licenseForm' | 'reset' | 'notice' | 'error'
  >
>

export async function renderTenant(c: PortalContext, id: string, extra: Extra = {}) {
  const data = await portalRun(c, async (ctx) => ({
    tenant: await getTenant(ctx, id),
    users: await listTenantUsers(ctx, id, { limit: 100 }),
    licenses: await listLicenses(ctx, { tenantId: id, limit: 50 }),
    plans: await listPlans(ctx, { includeRetired: false, limit: 100 }),
  }))
  return c.render(
    <TenantPage
      tenant={data.tenant}
      users={data.users.data}
      licenses={data.licenses.data}
      plans={data.plans.data}
      notice={NOTICES[c.req.query('done') ?? '']}
      error={errorFromQuery(c)}
      {...extra}
    />,
    { title: data.tenant.name },
  )
}

/** Tenants for operators: list and search, create, rename, suspend/reactivate, and their users. */
export function registerPortalAdminTenants(portal: PortalApp) {
  portal.get('/admin/tenants', (c) => renderList(c))

  portal.post('/admin/tenants', async (c) => {
    const form = await readForm(c, tenantForm)
    if (!form.ok) {
      c.status(400)
      return renderList(c, { values: form.values, errors: form.errors, message: 'form.fix' })
    }
    const outcome = await attempt(() => portalRun(c, (ctx) => createTenant(ctx, form.data)))
    if (!outcome.ok) {
      c.status(outcome.error.status)
      const errors =
        outcome.error.code === 'SLUG_TAKEN' ? { slug: 'error.SLUG_TAKEN' as const } : outcome.fields
      return renderList(c, { values: form.values, errors, message: outcome.message })
    }
    return seeOther(c, `/admin/tenants/${outcome.value.id}?done=created`)
  })

  portal.get(`/admin/tenants/${TENANT}`, (c) => renderTenant(c, c.req.param('id')))

  portal.post(`/admin/tenants/${TENANT}`, async (c) => {
    const id = c.req.param('id')
    const form = await readForm(c, tenantForm)
    if (!form.ok) {
      c.status(400)
      return renderTenant(c, id, {
        editForm: { values: form.values, errors: form.errors, message: 'form.fix' },
      })
    }
    const outcome = await attempt(() => portalRun(c, (ctx) => updateTenant(ctx, id, form.data)))
    if (!outcome.ok) {
      c.status(outcome.error.status)
      const errors =
        outcome.error.code === 'SLUG_TAKEN' ? { slug: 'error.SLUG_TAKEN' as const } : outcome.fields
      return renderTenant(c, id, { editForm: { values: form.values, errors, message: outcome.message } })
    }
    return seeOther(c, `/admin/tenants/${id}?done=updated`)
  })

  for (const [change, done] of [
    ['suspend', 'suspended'],
    ['reactivate', 'reactivated'],
  ] as const) {
    portal.post(`/admin/tenants/${TENANT}/${change}`, (c) => {
      const id = c.req.param('id')
      return actThenBack(c, `/admin/tenants/${id}`, done, () =>
        portalRun(c, (ctx) => changeTenantStatus(ctx, id, change)),
      )
    })
  }

  portal.post(`/admin/tenants/${TENANT}/users`, async (c) => {
    const id = c.req.param('id')
    const form = await readForm(c, userForm)
    if (!form.ok) {
      c.status(400)
      return renderTenant(c, id, {
        userForm: { values: form.values, errors: form.errors, message: 'form.fix' },
      })
    }
    const outcome = await attempt(() => portalRun(c, (ctx) => createTenantUser(ctx, id, form.data)))
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return renderTenant(c, id, {
        userForm: { values: form.values, errors: outcome.fields, message: outcome.message },
      })
    }
    return seeOther(c, `/admin/tenants/${id}?done=user`)
  })

  portal.post(`/admin/tenants/${TENANT}/users/${USER}/deactivate`, (c) => {
    const id = c.req.param('id')
    return actThenBack(c, `/admin/tenants/${id}`, 'deactivated', () =>
      portalRun(c, (ctx) => deactivateUser(ctx, c.req.param('user'))),
    )
  })

  /** The generated password is shown in this answer only (no redirect: it exists nowhere else). */
  portal.post(`/admin/tenants/${TENANT}/users/${USER}/password-reset`, async (c) => {
    const id = c.req.param('id')
    const reset = await portalRun(c, async (ctx) => {
      const users = await listTenantUsers(ctx, id, { limit: 100 })
      const user = users.data.find((u) => u.id === c.req.param('user'))
      const result = await resetUserPassword(ctx, c.req.param('user'))
      return { email: user?.email ?? result.userId, password: result.temporaryPassword }
    })
    c.header('Cache-Control', 'no-store')
    return renderTenant(c, id, { reset })
  })
}
