import type { FormState } from '../components/forms.tsx'
import { ActionButton, Alert, CsrfField, Field, HxForm } from '../components/forms.tsx'
import { When } from '../components/status.tsx'
import { type MessageKey, useI18n } from '../i18n/index.ts'

export type TwoFactorView = {
  enabled: boolean
  enabledAt: Date | string | null
  required: boolean
  recoveryCodesLeft: number
}

/** What the section shows after a step: the new key to add to the app, or recovery codes (once). */
export type TwoFactorStep =
  | { kind: 'enrolling'; secret: string; otpauthUri: string }
  | { kind: 'codes'; codes: string[]; notice: MessageKey }

/** The tenant owner's switch (owners only). */
export type TenantRequirementView = { required: boolean; membersWithout: number }

/**
 * Two-factor sign-in on the account page: set up (password → key → code → recovery codes), turn
 * off (password and a code), new recovery codes, and for owners the tenant's requirement. There is
 * no QR code: no small, maintained library renders one as SVG on the server in this stack, so the
 * key is shown as text and as an `otpauth://` link that opens the app on a phone.
 */
export function TwoFactorSection(props: {
  area: 'admin' | 'app'
  status: TwoFactorView
  step?: TwoFactorStep
  form?: FormState
  notice?: MessageKey
  mustEnrol?: boolean
  tenant?: TenantRequirementView
}) {
  const { t } = useI18n()
  const base = `/${props.area}/account/two-factor`
  const errors = props.form?.errors
  const step = props.step
  return (
    <section id="two-factor" class="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">{t('twoFactor.title')}</h2>
      <p class="muted small">{t('twoFactor.lead')}</p>
      {props.mustEnrol && <Alert kind="info">{t('twoFactor.mustEnrol')}</Alert>}
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.form?.message && <Alert kind="error">{t(props.form.message)}</Alert>}
      {step?.kind === 'codes' ? (
        <>
          <Alert kind="success">{t(step.notice)}</Alert>
          <ul class="recovery-codes" aria-label={t('twoFactor.regenerate')}>
            {step.codes.map((code) => (
              <li>
                <code>{code}</code>
              </li>
            ))}
          </ul>
          <p>
            <a class="button primary" href={`/${props.area}/account`}>
              {t('twoFactor.codesSaved')}
            </a>
          </p>
        </>
      ) : step?.kind === 'enrolling' ? (
        <>
          <p>{t('twoFactor.scan')}</p>
          <dl class="facts">
            <dt>{t('twoFactor.secret')}</dt>
            <dd>
              <code class="secret">{step.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
            </dd>
          </dl>
          <p>
            <a href={step.otpauthUri}>{t('twoFactor.openApp')}</a>
          </p>
          <p class="muted small">{t('twoFactor.noQr')}</p>
          <HxForm action={`${base}/confirm`} target="#two-factor" label={t('twoFactor.confirm')}>
            <Field
              name="code"
              label="twoFactor.code"
              errors={errors}
              required
              autocomplete="one-time-code"
              inputmode="numeric"
            />
            <button type="submit" class="primary">
              {t('twoFactor.confirm')}
            </button>
          </HxForm>
        </>
      ) : props.status.enabled ? (
        <>
          <p>
            {t('twoFactor.onSince')} {props.status.enabledAt && <When at={props.status.enabledAt} />}.{' '}
            {t('twoFactor.codesLeft', { count: props.status.recoveryCodesLeft })}
          </p>
          <div class="subsection">
            <h3>{t('twoFactor.regenerate')}</h3>
            <HxForm action={`${base}/recovery-codes`} target="#two-factor" label={t('twoFactor.regenerate')}>
              <Field
                name="code"
                label="twoFactor.code"
                errors={errors}
                required
                autocomplete="one-time-code"
              />
              <button type="submit" class="secondary">
                {t('twoFactor.regenerate')}
              </button>
            </HxForm>
          </div>
          <div class="subsection">
            <h3>{t('twoFactor.disable')}</h3>
            {props.status.required ? (
              <p class="muted small">{t('twoFactor.required')}</p>
            ) : (
              // Its own field names: two inputs named `code` on one page would share an id.
              <HxForm action={`${base}/disable`} target="#two-factor" label={t('twoFactor.disable')}>
                <Field
                  name="password"
                  type="password"
                  label="account.currentPassword"
                  errors={errors}
                  required
                  autocomplete="current-password"
                />
                <Field
                  name="disable_code"
                  label="twoFactor.codeOrRecovery"
                  errors={errors}
                  required
                  autocomplete="one-time-code"
                />
                <button type="submit" class="danger">
                  {t('twoFactor.disable')}
                </button>
              </HxForm>
            )}
          </div>
        </>
      ) : (
        <>
          <p>{t('twoFactor.off')}</p>
          <HxForm action={`${base}/enrol`} target="#two-factor" label={t('twoFactor.start')}>
            <Field
              name="password"
              type="password"
              label="account.currentPassword"
              errors={errors}
              required
              autocomplete="current-password"
            />
            <button type="submit" class="primary">
              {t('twoFactor.start')}
            </button>
          </HxForm>
        </>
      )}
      {props.tenant && (
        <div class="subsection">
          <h3>{t('twoFactor.tenantTitle')}</h3>
          <p class="muted small">{t('twoFactor.tenantLead')}</p>
          <p>
            {props.tenant.required
              ? t('twoFactor.tenantOn', { count: props.tenant.membersWithout })
              : t('twoFactor.tenantOff')}
          </p>
          <ActionButton
            action={`${base}/tenant`}
            target="#two-factor"
            label={t(props.tenant.required ? 'twoFactor.unrequire' : 'twoFactor.require')}
            fields={{ required: props.tenant.required ? 'false' : 'true' }}
            variant="secondary"
          />
        </div>
      )}
    </section>
  )
}

/** The second step of a sign-in: the code, with the challenge the password step answered. */
export function LoginCodePage(props: {
  area: 'admin' | 'app'
  challengeToken: string
  next?: string
  error?: MessageKey
}) {
  const { t } = useI18n()
  return (
    <section class="narrow card" aria-labelledby="code-title">
      <h1 id="code-title">{t('login.codeTitle')}</h1>
      <p class="muted">{t('login.codeLead')}</p>
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <form method="post" action={`/${props.area}/login/two-factor`}>
        <CsrfField />
        <input type="hidden" name="challenge_token" value={props.challengeToken} />
        {props.next && <input type="hidden" name="next" value={props.next} />}
        <Field name="code" label="login.code" required autocomplete="one-time-code" />
        <button type="submit" class="primary">
          {t('login.verify')}
        </button>
      </form>
    </section>
  )
}
