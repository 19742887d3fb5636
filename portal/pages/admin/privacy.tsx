import { Alert, CsrfField, Pager } from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { type I18n, type MessageKey, useI18n } from '../../i18n/index.ts'

export type ErasureRequestRow = {
  id: string
  tenantId: string
  tenantSlug: string
  tenantName: string
  scope: 'tenant' | 'connection'
  status: string
  graceDays: number | null
  createdAt: Date | string
  scheduledFor: Date | string | null
  canceledAt: Date | string | null
  cancelReason: string | null
  completedAt: Date | string | null
  connectionPlatform: string | null
  connectionLabel: string | null
  connectionName: string | null
}

const HOUR_MS = 3_600_000

/** A moment in the viewer's language and time zone, the zone named ("12 de dez. de 2026, 14:00 BRT"). */
function inZone(i18n: I18n, at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat(i18n.locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(at)
}

/** "6 days and 23 hours left", to the hour, in the viewer's language. */
function timeLeft(i18n: I18n, until: Date, now: Date): string {
  const hours = Math.floor((until.getTime() - now.getTime()) / HOUR_MS)
  if (until <= now) return i18n.t('adminPrivacy.erasure.due')
  if (hours < 1) return i18n.t('adminPrivacy.erasure.lessThanHour')
  const unit = (value: number, name: 'day' | 'hour') =>
    i18n.number(value, { style: 'unit', unit: name, unitDisplay: 'long' })
  const parts = [
    ...(hours >= 24 ? [unit(Math.floor(hours / 24), 'day')] : []),
    ...(hours % 24 > 0 ? [unit(hours % 24, 'hour')] : []),
  ]
  const left = new Intl.ListFormat(i18n.locale, { style: 'long', type: 'conjunction' }).format(parts)
  return i18n.t('adminPrivacy.erasure.timeLeft', { left })
}

/** When the deletion happens (or why it will not), for one request. */
function Deletion(props: { row: ErasureRequestRow; now: Date; timeZone: string; graceDays: number }) {
  const i18n = useI18n()
  const { row } = props
  if (row.status === 'scheduled' && row.scheduledFor) {
    const at = new Date(row.scheduledFor)
    return (
      <span class="erasure-deadline">
        <strong>{timeLeft(i18n, at, props.now)}</strong>
        <br />
        <time datetime={at.toISOString()}>{inZone(i18n, at, props.timeZone)}</time>
      </span>
    )
  }
  if (row.status === 'pending')
    return (
      <span>{i18n.t('adminPrivacy.erasure.afterConfirm', { days: row.graceDays ?? props.graceDays })}</span>
    )
  if (row.status === 'erasing') return <span>{i18n.t('adminPrivacy.erasure.underWay')}</span>
  if (row.status === 'canceled' && row.canceledAt)
    return (
      <span>
        {i18n.t('adminPrivacy.erasure.canceledBecause', {
          date: inZone(i18n, new Date(row.canceledAt), props.timeZone),
          reason: row.cancelReason ?? '',
        })}
      </span>
    )
  return <When at={row.completedAt} />
}

/** The operator's proof for a confirmation: the tenant's slug and their password, typed again. */
function ConfirmForm(props: { row: ErasureRequestRow }) {
  const { t } = useI18n()
  const { row } = props
  const base = `erasure-${row.id}`
  return (
    <form method="post" action={`/admin/privacy/erasure-requests/${row.id}/confirm`} class="field">
      <CsrfField />
      <p class="hint">{t('adminPrivacy.erasure.confirmAsk', { tenant: row.tenantName })}</p>
      <label for={`${base}-slug`}>{t('adminPrivacy.erasure.slug')}</label>
      <input id={`${base}-slug`} name="tenant_slug" required autocomplete="off" spellcheck={false} />
      <label for={`${base}-password`}>{t('adminPrivacy.erasure.password')}</label>
      <input
        id={`${base}-password`}
        name="password"
        type="password"
        required
        autocomplete="current-password"
      />
      <button type="submit" class="danger">
        {t('adminPrivacy.erasure.confirm')}
      </button>
    </form>
  )
}

/** Cancel within the grace period (or reject an owner's request), with a reason. */
function CancelForm(props: { row: ErasureRequestRow }) {
  const { t } = useI18n()
  const { row } = props
  const id = `erasure-${row.id}-reason`
  return (
    <form method="post" action={`/admin/privacy/erasure-requests/${row.id}/cancel`} class="field">
      <CsrfField />
      <label for={id}>{t('adminPrivacy.erasure.reason')}</label>
      <textarea id={id} name="reason" required minlength={3} maxlength={500} rows={2} />
      <button type="submit" class="secondary">
        {t(row.status === 'pending' ? 'adminPrivacy.erasure.reject' : 'adminPrivacy.erasure.cancel')}
      </button>
    </form>
  )
}

/**
 * Erasure requests of every tenant (LGPD Art. 18 VI): a pending one can be confirmed (slug and
 * password typed again), a scheduled one shows the time left before its deletion, in the viewer's
 * language and time zone, and can be canceled with a reason. Names and slugs on screen, no ids.
 */
export function ErasureRequestsPage(props: {
  rows: ErasureRequestRow[]
  nextHref: string | null
  now: Date
  timeZone: string
  /** The configured grace period, for requests that wait for a confirmation without one of their own. */
  graceDays: number
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
                <th scope="col">{t('adminPrivacy.erasure.subject')}</th>
                <th scope="col">{t('adminPrivacy.erasure.requestedAt')}</th>
                <th scope="col">{t('adminPrivacy.erasure.status')}</th>
                <th scope="col">{t('adminPrivacy.erasure.deletion')}</th>
                <th scope="col">{t('adminPrivacy.erasure.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row) => (
                <tr id={`erasure-${row.id}`}>
                  <td>
                    <a href={`/admin/tenants/${row.tenantId}`}>{row.tenantName}</a>{' '}
                    <span class="muted">{row.tenantSlug}</span>
                  </td>
                  <td>
                    {row.scope === 'tenant'
                      ? t('adminPrivacy.erasure.wholeTenant')
                      : t('adminPrivacy.erasure.connection', {
                          platform: row.connectionPlatform ?? '—',
                          name: row.connectionLabel ?? row.connectionName ?? '—',
                        })}
                  </td>
                  <td>
                    <When at={row.createdAt} />
                  </td>
                  <td>
                    <Status value={row.status} />
                  </td>
                  <td>
                    <Deletion
                      row={row}
                      now={props.now}
                      timeZone={props.timeZone}
                      graceDays={props.graceDays}
                    />
                  </td>
                  <td>
                    {row.status === 'pending' && <ConfirmForm row={row} />}
                    {(row.status === 'pending' || row.status === 'scheduled') && <CancelForm row={row} />}
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
