import { Alert, CsrfField, Field } from '../components/forms.tsx'
import { type MessageKey, useI18n } from '../i18n/index.ts'

/** The sign-in form of either portal; it posts to `/admin/login` or `/app/login`. */
export function LoginPage(props: {
  area: 'admin' | 'app'
  email?: string
  next?: string
  error?: MessageKey
  notice?: MessageKey
}) {
  const { t } = useI18n()
  return (
    <section class="narrow card" aria-labelledby="login-title">
      <h1 id="login-title">{t(props.area === 'admin' ? 'login.adminTitle' : 'login.appTitle')}</h1>
      <p class="muted">{t(props.area === 'admin' ? 'login.adminLead' : 'login.appLead')}</p>
      {props.notice && <Alert kind="info">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <form method="post" action={`/${props.area}/login`}>
        <CsrfField />
        {props.next && <input type="hidden" name="next" value={props.next} />}
        <Field
          name="email"
          type="email"
          label="login.email"
          value={props.email}
          required
          autocomplete="username"
        />
        <Field
          name="password"
          type="password"
          label="login.password"
          required
          autocomplete="current-password"
        />
        <button type="submit" class="primary">
          {t('login.submit')}
        </button>
      </form>
      {/* Members only: a reset link goes out through the tenant's outbox, and operators have no tenant. */}
      {props.area === 'app' && (
        <p>
          <a href="/app/password-reset">{t('login.forgot')}</a>
        </p>
      )}
    </section>
  )
}
