import { MEMBER_ROLES } from '../../../db/schema/identity.ts'
import { ActionButton, Alert, Field, HxForm, Pager, Select } from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'
import type { FormState } from '../app/connections.tsx'

export type TenantRow = {
  id: string
  slug: string
  name: string
  status: string
  createdAt: Date | string
  licenseStatus: string | null
  planCode: string | null
}

const value = (state: FormState | undefined, name: string) => {
  const v = state?.values?.[name]
  return Array.isArray(v) ? v[0] : v
}

/** Tenants: search by name or slug, filter by status, create. */
export function TenantsPage(props: {
  rows: TenantRow[]
  q: string
  status: string
  nextHref: string | null
  form?: FormState
}) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('tenants.title')}</h1>
      <HxForm
        action="/admin/tenants"
        method="get"
        target="#tenants"
        class="card row"
        pushUrl
        label={t('tenants.search')}
      >
        <div class="field">
          <label for="f-q">{t('tenants.search')}</label>
          <input id="f-q" name="q" type="search" value={props.q} />
        </div>
        <Select
          name="status"
          label="tenants.status"
          value={props.status}
          options={[
            { value: '', label: t('filter.all') },
            ...['active', 'suspended', 'deleted'].map((s) => ({
              value: s,
              label: t(`status.${s}` as MessageKey),
            })),
          ]}
        />
        <button type="submit" class="primary">
          {t('filter.apply')}
        </button>
      </HxForm>
      <section id="tenants" aria-label={t('tenants.title')}>
        {props.rows.length === 0 ? (
          <p class="muted">{t('list.empty')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('tenants.name')}</th>
                  <th scope="col">{t('tenants.status')}</th>
                  <th scope="col">{t('licenses.plan')}</th>
                  <th scope="col">{t('licenses.status')}</th>
                  <th scope="col">{t('tenants.created')}</th>
                </tr>
              </thead>
              <tbody>
                {props.rows.map((row) => (
                  <tr>
                    <td>
                      <a href={`/admin/tenants/${row.id}`}>{row.name}</a>
                      <div class="muted small">{row.slug}</div>
                    </td>
                    <td>
                      <Status value={row.status} />
                    </td>
                    <td>{row.planCode ?? '—'}</td>
                    <td>
                      <Status value={row.licenseStatus} />
                    </td>
                    <td>
                      <When at={row.createdAt} date />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager nextHref={props.nextHref} />
      </section>
      <section id="new-tenant" class="card" aria-labelledby="new-tenant-title">
        <h2 id="new-tenant-title">{t('tenants.create')}</h2>
        {props.form?.message && <Alert kind="error">{t(props.form.message)}</Alert>}
        <HxForm action="/admin/tenants" target="#new-tenant" label={t('tenants.create')}>
          <Field
            name="name"
            label="tenants.name"
            value={value(props.form, 'name')}
            errors={props.form?.errors}
            required
          />
          <Field
            name="slug"
            label="tenants.slug"
            value={value(props.form, 'slug')}
            errors={props.form?.errors}
            required
            hint="tenants.slugHint"
          />
          <button type="submit" class="primary">
            {t('tenants.createSubmit')}
          </button>
        </HxForm>
      </section>
    </>
  )
}

export type TenantDetail = {
  id: string
  slug: string
  name: string
  status: string
  createdAt: Date | string
  userCount: number
  modules: string[]
  license: {
    id: string
    status: string
    effectiveStatus: string
    validFrom: Date | string
    validUntil: Date | string
  } | null
  plan: { code: string; name: string; limits: { users: number; connections: number } } | null
}

export type UserRow = {
  id: string
  email: string
  name: string
  role: string
  status: string
  lastLoginAt: Date | string | null
}

export type LicenseRow = {
  id: string
  planCode: string
  status: string
  effectiveStatus: string
  validFrom: Date | string
  validUntil: Date | string
}

/** One tenant: facts, rename, lifecycle, its users (add, deactivate, reset password) and licenses. */
export function TenantPage(props: {
  tenant: TenantDetail
  users: UserRow[]
  licenses: LicenseRow[]
  plans: { id: string; code: string; name: string }[]
  notice?: MessageKey
  error?: MessageKey
  editForm?: FormState
  userForm?: FormState
  licenseForm?: FormState
  reset?: { email: string; password: string }
}) {
  const { t } = useI18n()
  const tn = props.tenant
  const base = `/admin/tenants/${tn.id}`
  return (
    <>
      <p>
        <a href="/admin/tenants">← {t('tenants.title')}</a>
      </p>
      <h1>{tn.name}</h1>
      <div id="tenant">
        {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
        {props.error && <Alert kind="error">{t(props.error)}</Alert>}
        {props.reset && (
          <div class="alert success" role="status">
            <p>{t('users.resetDone', { email: props.reset.email })}</p>
            <code class="secret">{props.reset.password}</code>
          </div>
        )}
        <section class="card">
          <dl class="facts">
            <dt>{t('tenants.slug')}</dt>
            <dd>
              <code>{tn.slug}</code>
            </dd>
            <dt>{t('tenants.status')}</dt>
            <dd>
              <Status value={tn.status} />
            </dd>
            <dt>{t('licenses.plan')}</dt>
            <dd>{tn.plan ? `${tn.plan.name} (${tn.plan.code})` : '—'}</dd>
            <dt>{t('licenses.status')}</dt>
            <dd>
              <Status value={tn.license?.effectiveStatus} />
            </dd>
            <dt>{t('licenses.validUntil')}</dt>
            <dd>
              <When at={tn.license?.validUntil} date />
            </dd>
            <dt>{t('tenants.modules')}</dt>
            <dd>{tn.modules.length ? tn.modules.join(', ') : '—'}</dd>
            <dt>{t('tenants.users')}</dt>
            <dd>
              {tn.plan ? t('team.seats', { used: tn.userCount, limit: tn.plan.limits.users }) : tn.userCount}
            </dd>
          </dl>
          <div class="actions">
            {tn.status === 'active' && (
              <ActionButton
                action={`${base}/suspend`}
                target="#tenant"
                label={t('tenants.suspend')}
                variant="danger"
                confirm={t('tenants.suspendConfirm')}
              />
            )}
            {tn.status === 'suspended' && (
              <ActionButton action={`${base}/reactivate`} target="#tenant" label={t('tenants.reactivate')} />
            )}
          </div>
        </section>
        {tn.status !== 'deleted' && (
          <section class="card" aria-labelledby="edit-title">
            <h2 id="edit-title">{t('tenants.edit')}</h2>
            {props.editForm?.message && <Alert kind="error">{t(props.editForm.message)}</Alert>}
            <HxForm action={base} target="#tenant" class="row" label={t('tenants.edit')}>
              <Field
                name="name"
                label="tenants.name"
                value={value(props.editForm, 'name') ?? tn.name}
                errors={props.editForm?.errors}
                required
              />
              <Field
                name="slug"
                label="tenants.slug"
                value={value(props.editForm, 'slug') ?? tn.slug}
                errors={props.editForm?.errors}
                required
              />
              <button type="submit" class="secondary">
                {t('form.save')}
              </button>
            </HxForm>
          </section>
        )}
        <section aria-labelledby="users-title">
          <h2 id="users-title">{t('tenants.users')}</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('team.name')}</th>
                  <th scope="col">{t('team.role')}</th>
                  <th scope="col">{t('team.status')}</th>
                  <th scope="col">{t('team.lastLogin')}</th>
                  <th scope="col">{t('connections.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {props.users.map((user) => (
                  <tr>
                    <td>
                      {user.name}
                      <div class="muted small">{user.email}</div>
                    </td>
                    <td>{t(`role.${user.role}` as MessageKey)}</td>
                    <td>
                      <Status value={user.status} />
                    </td>
                    <td>
                      <When at={user.lastLoginAt} />
                    </td>
                    <td>
                      {user.status === 'active' && (
                        <div class="actions">
                          <ActionButton
                            action={`${base}/users/${user.id}/password-reset`}
                            target="#tenant"
                            label={t('users.resetPassword')}
                            confirm={t('users.resetConfirm')}
                          />
                          <ActionButton
                            action={`${base}/users/${user.id}/deactivate`}
                            target="#tenant"
                            label={t('team.deactivate')}
                            variant="danger"
                          />
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="card">
            <h3>{t('team.invite')}</h3>
            {props.userForm?.message && <Alert kind="error">{t(props.userForm.message)}</Alert>}
            <HxForm action={`${base}/users`} target="#tenant" label={t('team.invite')}>
              <Field
                name="name"
                label="team.name"
                value={value(props.userForm, 'name')}
                errors={props.userForm?.errors}
                required
              />
              <Field
                name="email"
                type="email"
                label="login.email"
                value={value(props.userForm, 'email')}
                errors={props.userForm?.errors}
                required
              />
              <Select
                name="role"
                label="team.role"
                value={value(props.userForm, 'role') ?? 'owner'}
                options={MEMBER_ROLES.map((role) => ({
                  value: role,
                  label: t(`role.${role}` as MessageKey),
                }))}
              />
              <Field
                name="password"
                type="password"
                label="team.firstPassword"
                errors={props.userForm?.errors}
                required
                autocomplete="new-password"
                hint="form.passwordHint"
              />
              <button type="submit" class="primary">
                {t('team.inviteSubmit')}
              </button>
            </HxForm>
          </div>
        </section>
        <section aria-labelledby="licenses-title">
          <h2 id="licenses-title">{t('nav.licenses')}</h2>
          <LicensesTable rows={props.licenses} target="#tenant" back={base} />
          <div class="card">
            <h3>{t('licenses.create')}</h3>
            {props.licenseForm?.message && <Alert kind="error">{t(props.licenseForm.message)}</Alert>}
            <HxForm action="/admin/licenses" target="#tenant" class="row" label={t('licenses.create')}>
              <input type="hidden" name="tenant_id" value={tn.id} />
              <input type="hidden" name="back" value={base} />
              <Select
                name="plan_id"
                label="licenses.plan"
                value={value(props.licenseForm, 'plan_id')}
                errors={props.licenseForm?.errors}
                options={props.plans.map((plan) => ({
                  value: plan.id,
                  label: `${plan.name} (${plan.code})`,
                }))}
              />
              <Select
                name="status"
                label="licenses.status"
                value={value(props.licenseForm, 'status') ?? 'active'}
                options={['active', 'trialing'].map((s) => ({
                  value: s,
                  label: t(`status.${s}` as MessageKey),
                }))}
              />
              <Field
                name="days"
                type="number"
                label="licenses.days"
                value={value(props.licenseForm, 'days') ?? '365'}
                errors={props.licenseForm?.errors}
                min={1}
                max={3660}
                required
              />
              <button type="submit" class="primary">
                {t('licenses.createSubmit')}
              </button>
            </HxForm>
          </div>
        </section>
      </div>
    </>
  )
}

/** Licenses with the operator's status changes; `back` says which page answers after an action. */
export function LicensesTable(props: {
  rows: (LicenseRow & { tenantSlug?: string; tenantId?: string })[]
  target: string
  back: string
  showTenant?: boolean
}) {
  const { t } = useI18n()
  if (props.rows.length === 0) return <p class="muted">{t('list.empty')}</p>
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {props.showTenant && <th scope="col">{t('tenants.tenant')}</th>}
            <th scope="col">{t('licenses.plan')}</th>
            <th scope="col">{t('licenses.status')}</th>
            <th scope="col">{t('licenses.validFrom')}</th>
            <th scope="col">{t('licenses.validUntil')}</th>
            <th scope="col">{t('connections.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => {
            const action = (verb: string) => `/admin/licenses/${row.id}/${verb}`
            const s = row.status
            return (
              <tr>
                {props.showTenant && (
                  <td>
                    <a href={`/admin/tenants/${row.tenantId}`}>{row.tenantSlug}</a>
                  </td>
                )}
                <td>{row.planCode}</td>
                <td>
                  <Status value={row.effectiveStatus} />
                </td>
                <td>
                  <When at={row.validFrom} date />
                </td>
                <td>
                  <When at={row.validUntil} date />
                </td>
                <td>
                  <div class="actions">
                    {['trialing', 'past_due', 'suspended'].includes(s) && (
                      <ActionButton
                        action={action('activate')}
                        target={props.target}
                        label={t('licenses.activate')}
                        fields={{ back: props.back }}
                      />
                    )}
                    {['trialing', 'active', 'past_due'].includes(s) && (
                      <ActionButton
                        action={action('suspend')}
                        target={props.target}
                        label={t('licenses.suspend')}
                        fields={{ back: props.back }}
                      />
                    )}
                    {['trialing', 'active', 'past_due', 'suspended'].includes(s) && (
                      <ActionButton
                        action={action('expire')}
                        target={props.target}
                        label={t('licenses.expire')}
                        fields={{ back: props.back }}
                        variant="danger"
                        confirm={t('licenses.expireConfirm')}
                      />
                    )}
                    {s !== 'canceled' && (
                      <ActionButton
                        action={action('renew')}
                        target={props.target}
                        label={t('licenses.renew')}
                        fields={{ days: '365', back: props.back }}
                      />
                    )}
                  </div>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
