import type { FormState } from '../../components/forms.tsx'
import { Alert, CsrfField, Field, HxForm } from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { labelOf, type MessageKey, useI18n } from '../../i18n/index.ts'
import { type ConnectionView, platformLabel } from './connections.tsx'

export type RunView = {
  id: string | number
  kind: string
  status: string
  startedAt: Date | string
  finishedAt: Date | string | null
  points: number | null
  error: string | null
}

/** One connection: its facts, recent collection runs, reconnect (new token or OAuth) and disconnect. */
export function ConnectionPage(props: {
  connection: ConnectionView
  runs: RunView[]
  canManage: boolean
  oauth: boolean
  form?: FormState
  notice?: MessageKey
}) {
  const { t, number } = useI18n()
  const c = props.connection
  const name = c.label ?? c.displayName ?? c.externalAccountId
  return (
    <>
      <p>
        <a href="/app/connections">← {t('connections.title')}</a>
      </p>
      <h1>{name}</h1>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      <section class="card">
        <dl class="facts">
          <dt>{t('connections.platform')}</dt>
          <dd>{platformLabel(t, c.platform)}</dd>
          <dt>{t('connections.externalId')}</dt>
          <dd>
            <code>{c.externalAccountId}</code>
          </dd>
          <dt>{t('connections.status')}</dt>
          <dd>
            <Status value={c.status} />
          </dd>
          <dt>{t('connections.lastCollected')}</dt>
          <dd>
            <When at={c.lastCollectedAt} />
          </dd>
          <dt>{t('connections.nextCollect')}</dt>
          <dd>
            <When at={c.nextCollectAt} />
          </dd>
          <dt>{t('connections.backfill')}</dt>
          <dd>
            {t('connections.backfillProgress', { done: c.backfill.doneDays, total: c.backfill.totalDays })}
          </dd>
          {c.lastError && (
            <>
              <dt>{t('connections.lastError')}</dt>
              <dd class="error">{c.lastError}</dd>
            </>
          )}
        </dl>
      </section>

      <section aria-labelledby="runs-title">
        <h2 id="runs-title">{t('connections.runsTitle')}</h2>
        {props.runs.length === 0 ? (
          <p class="muted">{t('list.empty')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('connections.runStarted')}</th>
                  <th scope="col">{t('connections.runKind')}</th>
                  <th scope="col">{t('connections.status')}</th>
                  <th scope="col" class="num">
                    {t('connections.runPoints')}
                  </th>
                  <th scope="col">{t('connections.lastError')}</th>
                </tr>
              </thead>
              <tbody>
                {props.runs.map((run) => (
                  <tr>
                    <td>
                      <When at={run.startedAt} />
                    </td>
                    <td>{labelOf(t, 'runKind', run.kind)}</td>
                    <td>
                      <Status value={run.status} />
                    </td>
                    <td class="num">{run.points === null ? '—' : number(run.points)}</td>
                    <td class="small">{run.error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {props.canManage && (
        <>
          <section id="reconnect" class="card" aria-labelledby="reconnect-title">
            <h2 id="reconnect-title">{t('connections.reconnect')}</h2>
            <p class="muted small">{t('connections.reconnectLead')}</p>
            {props.oauth && (
              <form
                method="post"
                action={`/app/connections/oauth/${c.platform}`}
                hx-post={`/app/connections/oauth/${c.platform}`}
              >
                <CsrfField />
                <button type="submit" class="primary">
                  {t('connections.connectWith', { platform: platformLabel(t, c.platform) })}
                </button>
              </form>
            )}
            {props.form?.message && <Alert kind="error">{t(props.form.message)}</Alert>}
            <HxForm
              action={`/app/connections/${c.id}/reconnect`}
              target="#reconnect"
              label={t('connections.reconnect')}
            >
              <Field
                name="access_token"
                type="password"
                label="connections.accessToken"
                errors={props.form?.errors}
                required
                autocomplete="off"
              />
              <Field
                name="refresh_token"
                type="password"
                label="connections.refreshToken"
                errors={props.form?.errors}
                autocomplete="off"
                hint="connections.refreshHint"
              />
              <button type="submit" class="secondary">
                {t('connections.reconnectSubmit')}
              </button>
            </HxForm>
          </section>
          <section class="card" aria-labelledby="disconnect-title">
            <h2 id="disconnect-title">{t('connections.disconnect')}</h2>
            <form method="post" action={`/app/connections/${c.id}/disconnect`}>
              <CsrfField />
              <fieldset>
                <legend>{t('connections.historyQuestion')}</legend>
                <label>
                  <input type="radio" name="purge_metrics" value="false" checked />{' '}
                  {t('connections.keepHistory')}
                </label>
                <label>
                  <input type="radio" name="purge_metrics" value="true" /> {t('connections.purgeHistory')}
                </label>
              </fieldset>
              <button type="submit" class="danger">
                {t('connections.disconnect')}
              </button>
            </form>
          </section>
        </>
      )}
    </>
  )
}

/** After a Facebook Login: the pages or WhatsApp accounts it granted, to pick from. */
export function SelectionPage(props: {
  selectionId: string
  platform: string
  accounts: { externalAccountId: string; name: string | null; alreadyConnected: boolean }[]
}) {
  const { t } = useI18n()
  return (
    <section class="card" aria-labelledby="selection-title">
      <h1 id="selection-title">
        {t('connections.selectionTitle', { platform: platformLabel(t, props.platform) })}
      </h1>
      <p>{t('connections.selectionLead')}</p>
      <form method="post" action={`/app/connections/oauth/selections/${props.selectionId}`}>
        <CsrfField />
        <fieldset>
          <legend>{t('connections.accounts')}</legend>
          {props.accounts.map((account) => (
            <div>
              <label>
                <input
                  type="checkbox"
                  name="external_account_ids"
                  value={account.externalAccountId}
                  checked
                />{' '}
                {account.name ?? account.externalAccountId}
                {account.alreadyConnected && (
                  <span class="muted"> · {t('connections.alreadyConnected')}</span>
                )}
              </label>
            </div>
          ))}
        </fieldset>
        <button type="submit" class="primary">
          {t('connections.connectSelected')}
        </button>
      </form>
    </section>
  )
}
