import type { Child } from 'hono/jsx'
import type { FormState } from '../components/forms.tsx'
import { ActionButton, Alert, Field, HxForm, NewPasswordFields } from '../components/forms.tsx'
import { When } from '../components/status.tsx'
import { TimeZoneSelect, zoneLabel } from '../components/time-zone.tsx'
import { LOCALES, type MessageKey, useI18n } from '../i18n/index.ts'
import type { Viewer } from '../viewer.ts'

export type SessionView = {
  id: string
  ip: string | null
  userAgent: string | null
  createdAt: Date | string
  lastSeenAt: Date | string
  current: boolean
}

/** The person's live sessions (browsers, API clients); any but this one can be ended here. */
export function SessionsPage(props: { area: 'admin' | 'app'; sessions: SessionView[]; notice?: MessageKey }) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('sessions.title')}</h1>
      <p class="muted">{t('sessions.lead')}</p>
      <section id="sessions" aria-label={t('sessions.title')}>
        {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('sessions.device')}</th>
                <th scope="col">{t('sessions.ip')}</th>
                <th scope="col">{t('sessions.started')}</th>
                <th scope="col">{t('sessions.lastSeen')}</th>
                <th scope="col">{t('connections.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {props.sessions.map((session) => (
                <tr>
                  <td class="small">{session.userAgent ?? '—'}</td>
                  <td>{session.ip ?? '—'}</td>
                  <td>
                    <When at={session.createdAt} />
                  </td>
                  <td>
                    <When at={session.lastSeenAt} />
                  </td>
                  <td>
                    {session.current ? (
                      <strong>{t('sessions.current')}</strong>
                    ) : (
                      <ActionButton
                        action={`/${props.area}/sessions/${session.id}/revoke`}
                        target="#sessions"
                        label={t('sessions.revoke')}
                        variant="danger"
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  )
}

/** Account settings: who you are, your password (re-authenticated), your language and time zone. */
export function AccountPage(props: {
  area: 'admin' | 'app'
  viewer: Viewer
  passwordForm?: FormState
  notice?: MessageKey
  noticeParams?: Record<string, number>
  /** The person must change a password someone else set before doing anything else. */
  required?: boolean
  /** The time zone was just saved. */
  zoneSaved?: boolean
  /** The two-factor section (portal/pages/two-factor.tsx), placed after the password. */
  twoFactor?: Child
}) {
  const { t, locale } = useI18n()
  const v = props.viewer
  const errors = props.passwordForm?.errors
  return (
    <>
      <h1>{t('account.title')}</h1>
      <section class="card" aria-labelledby="profile-title">
        <h2 id="profile-title">{t('account.profile')}</h2>
        <dl class="facts">
          <dt>{t('team.name')}</dt>
          <dd>{v.name}</dd>
          <dt>{t('login.email')}</dt>
          <dd>{v.email}</dd>
          {v.kind === 'member' && (
            <>
              <dt>{t('team.role')}</dt>
              <dd>{t(`role.${v.role}`)}</dd>
              <dt>{t('account.tenant')}</dt>
              <dd>{v.tenantName}</dd>
            </>
          )}
        </dl>
      </section>
      <section id="password" class="card" aria-labelledby="password-title">
        <h2 id="password-title">{t('account.password')}</h2>
        <p class="muted small">{t('account.passwordLead')}</p>
        {props.required && <Alert kind="info">{t('account.mustChange')}</Alert>}
        {props.notice && <Alert kind="success">{t(props.notice, props.noticeParams)}</Alert>}
        {props.passwordForm?.message && <Alert kind="error">{t(props.passwordForm.message)}</Alert>}
        <HxForm action={`/${props.area}/account/password`} target="#password" label={t('account.password')}>
          <Field
            name="current_password"
            type="password"
            label="account.currentPassword"
            errors={errors}
            required
            autocomplete="current-password"
          />
          <NewPasswordFields name="new_password" errors={errors} />
          <button type="submit" class="primary">
            {t('account.changePassword')}
          </button>
        </HxForm>
      </section>
      {props.twoFactor}
      <section class="card" aria-labelledby="language-title">
        <h2 id="language-title">{t('account.language')}</h2>
        <p class="muted small">
          {t(v.kind === 'member' ? 'account.languageLeadMember' : 'account.languageLeadOperator')}
        </p>
        <div class="actions">
          {LOCALES.map((option) => (
            <ActionButton
              action={`/${props.area}/language`}
              target="main"
              label={t(`language.${option}`)}
              fields={{ locale: option, back: `/${props.area}/account` }}
              variant={option === locale ? undefined : 'secondary'}
            />
          ))}
        </div>
      </section>
      <section id="time-zone" class="card" aria-labelledby="time-zone-title">
        <h2 id="time-zone-title">{t('account.timeZone')}</h2>
        <p class="muted small">
          {t(v.kind === 'member' ? 'account.timeZoneLeadMember' : 'account.timeZoneLeadOperator')}
        </p>
        {props.zoneSaved && (
          <Alert kind="success">{t('account.timeZoneSaved', { zone: zoneLabel(v.zone.shown) })}</Alert>
        )}
        <HxForm action={`/${props.area}/account/time-zone`} target="#time-zone" label={t('account.timeZone')}>
          <TimeZoneSelect
            name="time_zone"
            label="account.timeZone"
            value={v.zone.own}
            automatic={v.zone.fallback}
          />
          <button type="submit" class="primary">
            {t('timeZone.save')}
          </button>
        </HxForm>
      </section>
    </>
  )
}
