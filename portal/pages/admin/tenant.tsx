import {
  ActionButton,
  Alert,
  Field,
  type FormState,
  formValue,
  HxForm,
  Select,
} from '../../components/forms.tsx'
import { InviteMemberForm, MembersTable, type MemberView } from '../../components/members.tsx'
import { Status, When } from '../../components/status.tsx'
import { labelOf, type MessageKey, useI18n } from '../../i18n/index.ts'
import { type LicenseRow, LicensesTable } from './licenses.tsx'

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

/** One tenant: facts, rename, lifecycle, its users (add, deactivate, reset password) and licenses. */
export function TenantPage(props: {
  tenant: TenantDetail
  users: MemberView[]
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
            <dd>{tn.modules.length ? tn.modules.map((m) => labelOf(t, 'module', m)).join(', ') : '—'}</dd>
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
                value={formValue(props.editForm, 'name') ?? tn.name}
                errors={props.editForm?.errors}
                required
              />
              <Field
                name="slug"
                label="tenants.slug"
                value={formValue(props.editForm, 'slug') ?? tn.slug}
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
          <MembersTable
            members={props.users}
            actions={(user) =>
              user.status === 'active' && (
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
              )
            }
          />
          <div class="card">
            <h3>{t('team.invite')}</h3>
            <InviteMemberForm
              action={`${base}/users`}
              target="#tenant"
              state={props.userForm}
              defaultRole="owner"
            />
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
                value={formValue(props.licenseForm, 'plan_id')}
                errors={props.licenseForm?.errors}
                options={props.plans.map((plan) => ({
                  value: plan.id,
                  label: `${plan.name} (${plan.code})`,
                }))}
              />
              <Select
                name="status"
                label="licenses.status"
                value={formValue(props.licenseForm, 'status') ?? 'active'}
                options={(['active', 'trialing'] as const).map((s) => ({
                  value: s,
                  label: t(`status.${s}`),
                }))}
              />
              <Field
                name="days"
                type="number"
                label="licenses.days"
                value={formValue(props.licenseForm, 'days') ?? '365'}
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
