import { ActionButton, Alert, Pager } from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'

export type ErasureRequestRow = {
  id: string
  tenantId: string
  tenantSlug: string
  tenantName: string
  status: string
  createdAt: Date | string
  confirmedAt: Date | string | null
}

/** Tenant erasure requests of every tenant; a pending one can be confirmed (LGPD Art. 18 VI). */
export function ErasureRequestsPage(props: {
  rows: ErasureRequestRow[]
  nextHref: string | null
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t } = useI18n()
  return (
    <section id="erasure-requests" aria-labelledby="erasure-title">
      <h1 id="erasure-title">{t('nav.erasure')}</h1>
      <p class="muted">{t('adminPrivacy.erasure.lead')}</p>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      {props.rows.length === 0 ? (
        <p class="muted">{t('adminPrivacy.erasure.none')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('adminPrivacy.erasure.tenant')}</th>
                <th scope="col">{t('adminPrivacy.erasure.requestedAt')}</th>
                <th scope="col">{t('adminPrivacy.erasure.status')}</th>
                <th scope="col">{t('adminPrivacy.erasure.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row) => (
                <tr>
                  <td>
                    <a href={`/admin/tenants/${row.tenantId}`}>{row.tenantName}</a>{' '}
                    <span class="muted">{row.tenantSlug}</span>
                  </td>
                  <td>
                    <When at={row.createdAt} />
                  </td>
                  <td>
                    <Status value={row.status} />
                  </td>
                  <td>
                    {row.status === 'pending' ? (
                      <ActionButton
                        action={`/admin/privacy/erasure-requests/${row.id}/confirm`}
                        target="#erasure-requests"
                        label={t('adminPrivacy.erasure.confirm')}
                        variant="danger"
                        confirm={t('adminPrivacy.erasure.confirmAsk', { tenant: row.tenantName })}
                      />
                    ) : (
                      <When at={row.confirmedAt} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager nextHref={props.nextHref} />
    </section>
  )
}

export type ProcessingRow = {
  id: string
  purpose: string
  dataSubjects: string[]
  dataCategories: string[]
  legalBasis: string
  retention: string
  subProcessors: { name: string; location: string }[]
  storage: string[]
}

/** Records of processing (LGPD Art. 37) as a table, with the API's CSV. */
export function ProcessingRecordsPage(props: { rows: readonly ProcessingRow[] }) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('nav.processing')}</h1>
      <p class="muted">{t('adminPrivacy.records.lead')}</p>
      <p>
        <a href="/admin/privacy/processing-records.csv" download>
          {t('adminPrivacy.records.csv')}
        </a>
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('adminPrivacy.records.purpose')}</th>
              <th scope="col">{t('adminPrivacy.records.subjects')}</th>
              <th scope="col">{t('adminPrivacy.records.categories')}</th>
              <th scope="col">{t('adminPrivacy.records.basis')}</th>
              <th scope="col">{t('adminPrivacy.records.retention')}</th>
              <th scope="col">{t('adminPrivacy.records.subProcessors')}</th>
              <th scope="col">{t('adminPrivacy.records.storage')}</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <tr id={`record-${row.id}`}>
                <td>{row.purpose}</td>
                <td>{row.dataSubjects.join(', ')}</td>
                <td>{row.dataCategories.join(', ')}</td>
                <td>{row.legalBasis}</td>
                <td>{row.retention}</td>
                <td>{row.subProcessors.map((p) => `${p.name} (${p.location})`).join('; ')}</td>
                <td>{row.storage.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}
