import { z } from 'zod'
import type { FieldErrors } from '../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import { ChoosePasswordPage, ForgotPasswordPage, ResetSentPage } from '../../../portal/pages/recovery.tsx'
import { ApiError } from '../../errors.ts'
import { newPasswordField, portalOrigin } from '../../http.ts'
import type { PortalApp } from '../../middleware/portal-env.ts'
import { acceptInvitation } from '../../services/accounts/invitations.ts'
import { confirmPasswordReset, requestPasswordReset } from '../../services/accounts/recovery.ts'
import { ACCOUNT_TOKEN_PATTERN } from '../../services/accounts/tokens.ts'
import { isChallenge, login } from '../../services/auth/login.ts'
import { startPortalSession } from './auth.tsx'
import { one, readForm } from './forms.ts'
import type { PortalContext } from './run.ts'

const emailForm = z.object({ email: z.email().max(254) })
const choosePasswordForm = z
  .object({
    token: z.string().regex(ACCOUNT_TOKEN_PATTERN),
    password: newPasswordField,
    confirm_password: z.string().max(1024),
  })
  .refine((form) => form.password === form.confirm_password, {
    path: ['confirm_password'],
    message: 'mismatch',
  })

/** What the API's refusals of a token or a request become beside the form. */
function knownRefusal(error: unknown): { status: 400 | 403 | 429; message: MessageKey } | null {
  if (!(error instanceof ApiError)) return null
  if (error.code === 'INVALID_ACCOUNT_TOKEN') return { status: 400, message: 'error.INVALID_ACCOUNT_TOKEN' }
  if (error.code === 'TOO_MANY_ATTEMPTS') return { status: 429, message: 'error.TOO_MANY_ATTEMPTS' }
  if (error.code === 'TENANT_SUSPENDED') return { status: 403, message: 'error.TENANT_SUSPENDED' }
  return null
}

/**
 * Members' account recovery and invitations, before anyone is signed in: "forgot your password?"
 * (request a link, then the form behind it) and accepting an invitation (choose a password, get
 * signed in). The same services as `POST /api/v1/auth/password-reset{,/confirm}` and
 * `/api/v1/auth/invitations/accept`; CSRF as for every portal form.
 */
export function registerPortalRecovery(portal: PortalApp) {
  const title = (c: PortalContext, key: MessageKey) => ({ title: c.var.i18n.t(key) })

  portal.get('/app/password-reset', (c) => {
    const token = c.req.query('token')
    return token
      ? c.render(<ChoosePasswordPage kind="reset" token={token} />, title(c, 'recovery.newTitle'))
      : c.render(<ForgotPasswordPage />, title(c, 'recovery.title'))
  })

  portal.post('/app/password-reset/request', async (c) => {
    const form = await readForm(c, emailForm)
    if (!form.ok) {
      c.status(400)
      return c.render(
        <ForgotPasswordPage email={one(form.values, 'email')} errors={form.errors} />,
        title(c, 'recovery.title'),
      )
    }
    try {
      await requestPasswordReset(c.var.caller.services, c.var.caller.meta, {
        email: form.data.email,
        origin: portalOrigin(c.var.caller.services.config, c.req.url),
      })
    } catch (error) {
      const refusal = knownRefusal(error)
      if (!refusal) throw error
      c.status(refusal.status)
      return c.render(
        <ForgotPasswordPage email={form.data.email} error={refusal.message} />,
        title(c, 'recovery.title'),
      )
    }
    return c.render(<ResetSentPage />, title(c, 'recovery.sentTitle'))
  })

  for (const kind of ['reset', 'invitation'] as const) {
    const page = kind === 'reset' ? 'recovery.newTitle' : 'invitation.title'

    if (kind === 'invitation') {
      portal.get('/app/invitation', (c) =>
        c.render(<ChoosePasswordPage kind="invitation" token={c.req.query('token') ?? ''} />, title(c, page)),
      )
    }

    portal.post(kind === 'reset' ? '/app/password-reset' : '/app/invitation', async (c) => {
      const form = await readForm(c, choosePasswordForm)
      const token = one(form.values, 'token')
      const again = (status: 400 | 403 | 429, extra: { errors?: FieldErrors; error?: MessageKey }) => {
        c.status(status)
        return c.render(<ChoosePasswordPage kind={kind} token={token} {...extra} />, title(c, page))
      }
      if (!form.ok) {
        const errors = { ...form.errors }
        if (errors.confirm_password === 'form.invalid') errors.confirm_password = 'account.mismatch'
        // A token that is not even shaped like one is the same dead link as a used one.
        if (errors.token) return again(400, { error: 'error.INVALID_ACCOUNT_TOKEN' })
        return again(400, { errors, error: 'form.fix' })
      }
      const { services, meta } = c.var.caller
      try {
        if (kind === 'reset') {
          await confirmPasswordReset(services, meta, form.data)
          return c.redirect('/app/login?reset=1', 303)
        }
        const { email } = await acceptInvitation(services, meta, form.data)
        const pair = await login(services, meta, { email, password: form.data.password })
        // A member who has just set their first password has no second factor to ask for.
        if (isChallenge(pair)) throw new Error('a new member was asked for a second factor')
        return c.redirect(`/${await startPortalSession(c, pair)}`, 303)
      } catch (error) {
        const refusal = knownRefusal(error)
        if (!refusal) throw error
        return again(refusal.status, { error: refusal.message })
      }
    })
  }
}
