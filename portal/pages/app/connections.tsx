import { PLATFORMS } from '../../../db/schema/connections.ts'
import {
  ActionButton,
  Alert,
  CsrfField,
  Field,
  type FormState,
  formValue,
  HxForm,
  Select,
} from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { type I18n, labelOf, type MessageKey, useI18n } from '../../i18n/index.ts'

export type ConnectionView = {
  id: string
  platform: string
  externalAccountId: string
  label: string | null
  displayName: string | null
  status: string
  lastCollectedAt: Date | string | null
  nextCollectAt: Date | string | null
  lastError: string | null
  backfill: { doneDays: number; totalDays: number }
}

export const platformLabel = (t: I18n['t'], platform: string) => labelOf(t, 'platform', platform)

function Backfill(props: { backfill: ConnectionView['backfill'] }) {
  const { t } = useI18n()
  const { doneDays, totalDays } = props.backfill
  if (totalDays === 0) return <span class="muted">—</span>
  if (doneDays >= totalDays) return <span>{t('connections.backfillDone')}</span>
  return (
    <span>
      <progress max={totalDays} value={doneDays} aria-label={t('connections.backfill')} />{' '}
      {t('connections.backfillProgress', { done: doneDays, total: totalDays })}
    </span>
  )
}

/** The connections table: status, collection times, backfill, and the actions a manager may take. */
export function ConnectionsList(props: {
  connections: ConnectionView[]
  canManage: boolean
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t } = useI18n()
  return (
    <section id="connections-list" aria-labelledby="connections-title">
      <h2 id="connections-title">{t('connections.listTitle')}</h2>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      {props.connections.length === 0 ? (
        <p class="muted">{t('connections.none')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('connections.account')}</th>
                <th scope="col">{t('connections.status')}</th>
                <th scope="col">{t('connections.lastCollected')}</th>
                <th scope="col">{t('connections.backfill')}</th>
                {props.canManage && <th scope="col">{t('connections.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {props.connections.map((connection) => {
                const name = connection.label ?? connection.displayName ?? connection.externalAccountId
                const base = `/app/connections/${connection.id}`
                return (
                  <tr>
                    <td>
                      <a href={base}>{name}</a>
                      <div class="muted small">{platformLabel(t, connection.platform)}</div>
                    </td>
                    <td>
                      <Status value={connection.status} />
                      {connection.lastError && <div class="small error">{connection.lastError}</div>}
                    </td>
                    <td>
                      <When at={connection.lastCollectedAt} />
                    </td>
                    <td>
                      <Backfill backfill={connection.backfill} />
                    </td>
                    {props.canManage && (
                      <td>
                        <div class="actions">
                          {connection.status === 'active' && (
                            <>
                              <ActionButton
                                action={`${base}/collect`}
                                target="#connections-list"
                                label={t('connections.collectNow')}
                              />
                              <ActionButton
                                action={`${base}/pause`}
                                target="#connections-list"
                                label={t('connections.pause')}
                              />
                            </>
                          )}
                          {(connection.status === 'paused' || connection.status === 'error') && (
                            <ActionButton
                              action={`${base}/resume`}
                              target="#connections-list"
                              label={t('connections.resume')}
                            />
                          )}
                          {(connection.status === 'needs_reconnect' || connection.status === 'error') && (
                            <a href={`${base}#reconnect`}>{t('connections.reconnect')}</a>
                          )}
                        </div>
                      </td>
                    )}
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

/** Connect a new account: OAuth buttons (when the platform app is configured) and the register-token form. */
export function ConnectForm(props: { oauthPlatforms: string[]; state?: FormState }) {
  const { t } = useI18n()
  const errors = props.state?.errors
  return (
    <section id="connect" class="card" aria-labelledby="connect-title">
      <h2 id="connect-title">{t('connections.connectTitle')}</h2>
      {props.oauthPlatforms.length > 0 && (
        <>
          <p>{t('connections.oauthLead')}</p>
          <div class="actions">
            {props.oauthPlatforms.map((platform) => (
              <form
                method="post"
                action={`/app/connections/oauth/${platform}`}
                class="inline"
                hx-post={`/app/connections/oauth/${platform}`}
              >
                <CsrfField />
                <button type="submit" class="primary">
                  {t('connections.connectWith', { platform: platformLabel(t, platform) })}
                </button>
              </form>
            ))}
          </div>
        </>
      )}
      <h3>{t('connections.tokenTitle')}</h3>
      <p class="muted small">{t('connections.tokenLead')}</p>
      {props.state?.message && <Alert kind="error">{t(props.state.message)}</Alert>}
      <HxForm action="/app/connections" target="#connect" label={t('connections.tokenTitle')}>
        <Select
          name="platform"
          label="connections.platform"
          value={formValue(props.state, 'platform')}
          errors={errors}
          required
          options={PLATFORMS.map((platform) => ({ value: platform, label: platformLabel(t, platform) }))}
        />
        <Field
          name="external_account_id"
          label="connections.externalId"
          value={formValue(props.state, 'external_account_id')}
          errors={errors}
          required
        />
        <Field
          name="label"
          label="connections.label"
          value={formValue(props.state, 'label')}
          errors={errors}
        />
        <Field
          name="access_token"
          type="password"
          label="connections.accessToken"
          errors={errors}
          required
          autocomplete="off"
        />
        <Field
          name="refresh_token"
          type="password"
          label="connections.refreshToken"
          errors={errors}
          autocomplete="off"
          hint="connections.refreshHint"
        />
        <button type="submit" class="primary">
          {t('connections.register')}
        </button>
      </HxForm>
    </section>
  )
}

export function ConnectionsPage(props: {
  connections: ConnectionView[]
  canManage: boolean
  oauthPlatforms: string[]
  notice?: MessageKey
  error?: MessageKey
  form?: FormState
}) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('connections.title')}</h1>
      <ConnectionsList
        connections={props.connections}
        canManage={props.canManage}
        notice={props.notice}
        error={props.error}
      />
      {props.canManage && <ConnectForm oauthPlatforms={props.oauthPlatforms} state={props.form} />}
    </>
  )
}
