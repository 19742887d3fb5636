import { ActionButton, Alert, CsrfField } from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { labelOf, type MessageKey, useI18n } from '../../i18n/index.ts'

export type ConsentView = {
  subject: string
  subjectId: string
  /** The connection's label; null for the tenant and for a connection erased since. */
  subjectLabel: string | null
  purpose: string
  granted: boolean
  createdAt: Date | string
}

export type ExportView = {
  id: string
  status: string
  progress: { doneFiles: number; totalFiles: number } | null
  createdAt: Date | string
  expired: boolean
  download: { url: string; expiresAt: Date | string } | null
}

export type ErasureView = {
  scope: 'tenant' | 'connection'
  status: string
  createdAt: Date | string
  confirmedAt: Date | string | null
}

export type PurgeView = { subject: 'tenant' | 'connection'; subjectId: string }

export type PrivacyProps = {
  /** Owner or admin: consents and exports; anyone else sees what the page is for, read only. */
  manage: boolean
  owner: boolean
  tenantName: string
  consents: ConsentView[]
  tenantByDefault: boolean
  latestExport: ExportView | null
  erasure: ErasureView[]
  confirmErasure?: boolean
  purge?: PurgeView
  notice?: MessageKey
  error?: MessageKey
}

const running = (status: string) => status === 'queued' || status === 'running'

/** The export's status; while queued or running it polls itself (htmx) every 3 seconds. */
export function ExportStatus(props: { export: ExportView | null }) {
  const { t } = useI18n()
  const row = props.export
  if (!row)
    return (
      <div id="export-status">
        <p class="muted">{t('privacy.export.none')}</p>
      </div>
    )
  const polling = running(row.status)
  const percent = row.progress?.totalFiles
    ? Math.floor((100 * row.progress.doneFiles) / row.progress.totalFiles)
    : 0
  return (
    <div
      id="export-status"
      hx-get={polling ? `/app/privacy/exports/${row.id}` : undefined}
      hx-trigger={polling ? 'every 3s' : undefined}
      hx-select={polling ? '#export-status' : undefined}
      hx-swap={polling ? 'outerHTML' : undefined}
      aria-live="polite"
    >
      <p>
        <Status value={row.status} /> {t('privacy.export.requested')} <When at={row.createdAt} />
      </p>
      {polling && (
        <p>
          <progress max={100} value={percent} aria-label={t('privacy.export.title')} />{' '}
          {t('privacy.export.progress', { progress: String(percent) })}
        </p>
      )}
      {row.download && (
        <p>
          <a class="button primary" href={row.download.url} data-testid="export-download">
            {t('privacy.export.download')}
          </a>{' '}
          <span class="muted">{t('privacy.export.linkValid')}</span>
        </p>
      )}
      {row.expired && <p class="muted">{t('privacy.export.expired')}</p>}
      {row.status === 'failed' && <Alert kind="error">{t('privacy.export.failed')}</Alert>}
    </div>
  )
}

function Consents(props: PrivacyProps) {
  const { t } = useI18n()
  const rows: ConsentView[] = props.consents.some((c) => c.subject === 'tenant')
    ? props.consents
    : [
        {
          subject: 'tenant',
          subjectId: '',
          subjectLabel: null,
          purpose: 'metrics_collection',
          granted: true,
          createdAt: '',
        },
        ...props.consents,
      ]
  return (
    <div class="card">
      <h2>{t('privacy.consents.title')}</h2>
      <p class="muted">{t('privacy.consents.lead')}</p>
      {props.purge && (
        <div class="alert info" role="status" id="purge-offer">
          <p>
            <strong>{t('privacy.purge.title')}</strong>
          </p>
          {props.purge.subject === 'tenant' ? (
            <>
              <p>{t('privacy.purge.tenant')}</p>
              <ActionButton
                action="/app/privacy/purge"
                target="#privacy"
                label={t('privacy.purge.submit')}
                variant="danger"
                confirm={t('privacy.purge.confirm')}
              />
            </>
          ) : (
            <>
              <p>{t('privacy.purge.connection')}</p>
              <a href={`/app/connections/${props.purge.subjectId}`}>{t('privacy.purge.openConnection')}</a>
            </>
          )}
        </div>
      )}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('privacy.consent.subject')}</th>
              <th scope="col">{t('privacy.consent.purpose')}</th>
              <th scope="col">{t('privacy.consent.state')}</th>
              <th scope="col">{t('privacy.consent.since')}</th>
              {props.manage && <th scope="col">{t('connections.actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr>
                <td>
                  {row.subject === 'tenant'
                    ? t('privacy.subject.tenant')
                    : row.subjectLabel
                      ? t('privacy.subject.connection', { label: row.subjectLabel })
                      : t('privacy.subject.connectionErased')}
                </td>
                <td>{labelOf(t, 'privacy.purpose', row.purpose)}</td>
                <td>
                  {row.createdAt === ''
                    ? t('privacy.consent.default')
                    : row.granted
                      ? t('privacy.consent.granted')
                      : t('privacy.consent.revoked')}
                </td>
                <td>
                  <When at={row.createdAt || null} />
                </td>
                {props.manage && (
                  <td>
                    <ActionButton
                      action="/app/privacy/consent"
                      target="#privacy"
                      fields={{
                        subject: row.subject,
                        subject_id: row.subjectId,
                        purpose: row.purpose,
                        granted: row.granted ? 'false' : 'true',
                      }}
                      label={row.granted ? t('privacy.consent.revoke') : t('privacy.consent.grant')}
                      variant={row.granted ? 'danger' : 'secondary'}
                      confirm={row.granted ? t('privacy.consent.revokeConfirm') : undefined}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

function Erasure(props: PrivacyProps) {
  const i18n = useI18n()
  const { t } = i18n
  // The tenant's own request still under way; connection erasures and canceled requests are not it.
  const open = props.erasure.find(
    (request) => request.scope === 'tenant' && ['pending', 'scheduled', 'erasing'].includes(request.status),
  )
  return (
    <div class="card" id="erasure">
      <h2>{t('privacy.erasure.title')}</h2>
      <p class="muted">{t('privacy.erasure.lead')}</p>
      {!props.owner ? (
        <p class="muted">{t('privacy.erasure.ownerOnly')}</p>
      ) : open ? (
        <p>
          {open.status === 'pending'
            ? t('privacy.erasure.pending', { date: i18n.dateTime(open.createdAt) })
            : t('privacy.erasure.confirmed', { date: i18n.dateTime(open.confirmedAt ?? open.createdAt) })}
        </p>
      ) : props.confirmErasure ? (
        <div class="alert error" role="alert">
          <h3>{t('privacy.erasure.confirmTitle')}</h3>
          <p>{t('privacy.erasure.confirmBody', { tenant: props.tenantName })}</p>
          <form method="post" action="/app/privacy/erasure" class="inline">
            <CsrfField />
            <input type="hidden" name="confirm" value="yes" />
            <button type="submit" class="danger">
              {t('privacy.erasure.confirmSubmit')}
            </button>
          </form>{' '}
          <a href="/app/privacy">{t('privacy.erasure.cancel')}</a>
        </div>
      ) : (
        <a class="button danger" href="/app/privacy?erase=confirm#erasure">
          {t('privacy.erasure.request')}
        </a>
      )}
    </div>
  )
}

/** LGPD rights of the tenant: consents (grant/revoke, purge offer), portability export, erasure. */
export function PrivacySection(props: PrivacyProps) {
  const { t } = useI18n()
  return (
    <section id="privacy" aria-labelledby="privacy-title">
      <h1 id="privacy-title">{t('privacy.title')}</h1>
      <p class="muted">{t('privacy.lead')}</p>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      {!props.manage && <Alert kind="info">{t('privacy.readOnly')}</Alert>}
      {props.manage && <Consents {...props} />}
      {props.manage && (
        <div class="card">
          <h2>{t('privacy.export.title')}</h2>
          <p class="muted">{t('privacy.export.lead')}</p>
          <ExportStatus export={props.latestExport} />
          {!(props.latestExport && running(props.latestExport.status)) && (
            <ActionButton action="/app/privacy/exports" target="#privacy" label={t('privacy.export.start')} />
          )}
        </div>
      )}
      <Erasure {...props} />
    </section>
  )
}

export function PrivacyPage(props: PrivacyProps) {
  return <PrivacySection {...props} />
}
