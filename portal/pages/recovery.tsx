import { Alert, CsrfField, Field, type FieldErrors, NewPasswordFields } from '../components/forms.tsx'
import { type MessageKey, useI18n } from '../i18n/index.ts'

/** "Forgot your password?": the e-mail to send a reset link to. */
export function ForgotPasswordPage(props: { email?: string; errors?: FieldErrors; error?: MessageKey }) {
  const { t } = useI18n()
  return (
    <section class="narrow card" aria-labelledby="recovery-title">
      <h1 id="recovery-title">{t('recovery.title')}</h1>
      <p class="muted">{t('recovery.lead')}</p>
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <form method="post" action="/app/password-reset/request">
        <CsrfField />
        <Field
          name="email"
          type="email"
          label="login.email"
          value={props.email}
          errors={props.errors}
          required
          autocomplete="username"
        />
        <button type="submit" class="primary">
          {t('recovery.submit')}
        </button>
      </form>
      <p>
        <a href="/app/login">{t('recovery.backToLogin')}</a>
      </p>
    </section>
  )
}

/** The same words whatever the e-mail was: the page never says whether an account exists. */
export function ResetSentPage() {
  const { t } = useI18n()
  return (
    <section class="narrow card" aria-labelledby="sent-title">
      <h1 id="sent-title">{t('recovery.sentTitle')}</h1>
      <p>{t('recovery.sent')}</p>
      <p>
        <a href="/app/login">{t('recovery.backToLogin')}</a>
      </p>
    </section>
  )
}

/**
 * The form behind an e-mailed link: a new password typed twice, the link's token carried along.
 * A reset link and an invitation share it, with their own words and form action.
 */
export function ChoosePasswordPage(props: {
  kind: 'reset' | 'invitation'
  token: string
  errors?: FieldErrors
  error?: MessageKey
}) {
  const { t } = useI18n()
  const reset = props.kind === 'reset'
  return (
    <section class="narrow card" aria-labelledby="choose-title">
      <h1 id="choose-title">{t(reset ? 'recovery.newTitle' : 'invitation.title')}</h1>
      <p class="muted">{t(reset ? 'recovery.newLead' : 'invitation.lead')}</p>
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      {props.error === 'error.INVALID_ACCOUNT_TOKEN' && reset ? (
        <p>
          <a href="/app/password-reset">{t('recovery.askAgain')}</a>
        </p>
      ) : (
        <form method="post" action={reset ? '/app/password-reset' : '/app/invitation'}>
          <CsrfField />
          <input type="hidden" name="token" value={props.token} />
          <NewPasswordFields name="password" errors={props.errors} />
          <button type="submit" class="primary">
            {t(reset ? 'recovery.save' : 'invitation.submit')}
          </button>
        </form>
      )}
    </section>
  )
}
