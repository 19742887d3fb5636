import { MODULES } from '../../../db/schema/tenancy.ts'
import { ActionButton, Alert, CsrfField, Field, type FormState, formValue } from '../../components/forms.tsx'
import { Status } from '../../components/status.tsx'
import { labelOf, type MessageKey, useI18n } from '../../i18n/index.ts'

export type PlanRow = {
  id: string
  code: string
  name: string
  modules: string[]
  limits: {
    users: number
    connections: number
    retentionDays: number
    collectionIntervalMinutes: number
    stores?: number
    attendanceMessages: number
  }
  retiredAt: Date | string | null
}

/** Plans: what licenses sell (modules and limits); create and retire. */
export function PlansPage(props: {
  plans: PlanRow[]
  notice?: MessageKey
  error?: MessageKey
  form?: FormState
}) {
  const { t, number } = useI18n()
  const errors = props.form?.errors
  return (
    <>
      <h1>{t('plans.title')}</h1>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('plans.name')}</th>
              <th scope="col">{t('plans.modules')}</th>
              <th scope="col" class="num">
                {t('plans.users')}
              </th>
              <th scope="col" class="num">
                {t('plans.connections')}
              </th>
              <th scope="col" class="num">
                {t('plans.retention')}
              </th>
              <th scope="col" class="num">
                {t('plans.interval')}
              </th>
              <th scope="col">{t('plans.stores')}</th>
              <th scope="col">{t('plans.attendanceMessages')}</th>
              <th scope="col">{t('connections.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {props.plans.map((plan) => (
              <tr>
                <td>
                  {plan.name}
                  <div class="muted small">
                    <code>{plan.code}</code>
                  </div>
                </td>
                <td>{plan.modules.map((m) => labelOf(t, 'module', m)).join(', ') || '—'}</td>
                <td class="num">{number(plan.limits.users)}</td>
                <td class="num">{number(plan.limits.connections)}</td>
                <td class="num">{number(plan.limits.retentionDays)}</td>
                <td class="num">{number(plan.limits.collectionIntervalMinutes)}</td>
                <td>
                  <StoresLimit plan={plan} />
                </td>
                <td>
                  {/* The inbox's monthly sends: edited in place, enforced at the next send. */}
                  <form method="post" action={`/admin/plans/${plan.id}/attendance-limit`} class="inline">
                    <CsrfField />
                    <input
                      type="number"
                      name="attendance_messages"
                      min={0}
                      max={10_000_000}
                      required
                      value={String(plan.limits.attendanceMessages)}
                      aria-label={`${plan.name}: ${t('plans.attendanceMessages')}`}
                      class="limit-input"
                    />{' '}
                    <button type="submit" class="secondary small">
                      {t('plans.save')}
                    </button>
                  </form>
                </td>
                <td>
                  {plan.retiredAt ? (
                    <Status value="retired" />
                  ) : (
                    <ActionButton
                      action={`/admin/plans/${plan.id}/retire`}
                      target="main"
                      label={t('plans.retire')}
                      variant="danger"
                      confirm={t('plans.retireConfirm')}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <section class="card" aria-labelledby="new-plan-title">
        <h2 id="new-plan-title">{t('plans.create')}</h2>
        {props.form?.message && <Alert kind="error">{t(props.form.message)}</Alert>}
        <form method="post" action="/admin/plans">
          <CsrfField />
          <div class="row">
            <Field
              name="code"
              label="plans.code"
              value={formValue(props.form, 'code')}
              errors={errors}
              required
            />
            <Field
              name="name"
              label="plans.name"
              value={formValue(props.form, 'name')}
              errors={errors}
              required
            />
          </div>
          <fieldset>
            <legend>{t('plans.modules')}</legend>
            {MODULES.map((module) => (
              <label>
                <input type="checkbox" name="modules" value={module} checked={module === 'metrics'} />{' '}
                {t(`module.${module}`)}
              </label>
            ))}
          </fieldset>
          <div class="row">
            <Field
              name="users"
              type="number"
              label="plans.users"
              value={formValue(props.form, 'users') ?? '5'}
              errors={errors}
              min={1}
              required
            />
            <Field
              name="connections"
              type="number"
              label="plans.connections"
              value={formValue(props.form, 'connections') ?? '10'}
              errors={errors}
              min={1}
              required
            />
            <Field
              name="retention_days"
              type="number"
              label="plans.retention"
              value={formValue(props.form, 'retention_days') ?? '365'}
              errors={errors}
              min={1}
              required
            />
            <Field
              name="collection_interval_minutes"
              type="number"
              label="plans.interval"
              value={formValue(props.form, 'collection_interval_minutes') ?? '60'}
              errors={errors}
              min={15}
              required
            />
            <Field
              name="stores"
              type="number"
              label="plans.stores"
              value={formValue(props.form, 'stores') ?? '1'}
              errors={errors}
              min={0}
              required
            />
          </div>
          <button type="submit" class="primary">
            {t('plans.createSubmit')}
          </button>
        </form>
      </section>
    </>
  )
}

/** The plan's stores limit (commerce), changed in place: a number and a button, also without JavaScript. */
function StoresLimit(props: { plan: PlanRow }) {
  const { t, number } = useI18n()
  const stores = props.plan.limits.stores ?? 1
  if (props.plan.retiredAt) return <span class="num">{number(stores)}</span>
  const id = `stores-${props.plan.id}`
  return (
    <form method="post" action={`/admin/plans/${props.plan.id}/stores-limit`} class="inline stores-limit">
      <CsrfField />
      <input
        id={id}
        aria-label={t('plans.storesOf', { plan: props.plan.name })}
        name="stores"
        type="number"
        min={0}
        max={10000}
        value={String(stores)}
        required
      />
      <button type="submit" class="secondary">
        {t('plans.storesSave')}
      </button>
    </form>
  )
}
