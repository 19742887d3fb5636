import { LICENSE_STATUSES } from '../../../db/schema/tenancy.ts'
import { ActionButton, Alert, Field, HxForm, Pager, Select } from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'

/** Every license, filtered by status (as of now) or by how soon it ends, with the status changes. */
export function LicensesPage(props: {
  rows: (LicenseRow & { tenantSlug: string; tenantId: string })[]
  status: string
  expiring: string
  nextHref: string | null
  back: string
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('nav.licenses')}</h1>
      <HxForm
        action="/admin/licenses"
        method="get"
        target="#licenses"
        class="card row"
        pushUrl
        label={t('filter.label')}
      >
        <Select
          name="status"
          label="licenses.status"
          value={props.status}
          options={[
            { value: '', label: t('filter.all') },
            ...LICENSE_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
          ]}
        />
        <Field
          name="expiring_within_days"
          type="number"
          label="licenses.expiringWithin"
          value={props.expiring}
          min={1}
          max={3660}
        />
        <button type="submit" class="primary">
          {t('filter.apply')}
        </button>
      </HxForm>
      <section id="licenses" aria-label={t('nav.licenses')}>
        {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
        {props.error && <Alert kind="error">{t(props.error)}</Alert>}
        <LicensesTable rows={props.rows} target="#licenses" back={props.back} showTenant />
        <Pager nextHref={props.nextHref} />
      </section>
      <p class="muted">{t('licenses.createHint')}</p>
    </>
  )
}

export type LicenseRow = {
  id: string
  planCode: string
  status: string
  effectiveStatus: string
  validFrom: Date | string
  validUntil: Date | string
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
