import { LICENSE_STATUSES } from '../../../db/schema/tenancy.ts'
import { Alert, Field, HxForm, Pager, Select } from '../../components/forms.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'
import { type LicenseRow, LicensesTable } from './tenants.tsx'

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
            ...LICENSE_STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) })),
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
