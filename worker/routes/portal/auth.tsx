import type { Context } from 'hono'
import { z } from 'zod'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import { LoginPage } from '../../../portal/pages/login.tsx'
import { LoginCodePage } from '../../../portal/pages/two-factor.tsx'
import { verifyAccessToken } from '../../auth/jwt.ts'
import { ApiError, type ErrorCode } from '../../errors.ts'
import { issueCsrfToken } from '../../middleware/portal-csrf.ts'
import type { PortalApp, PortalEnv } from '../../middleware/portal-env.ts'
import { rememberLocale } from '../../middleware/portal-locale.ts'
import { clearSessionCookie, sealSession, setSessionCookie } from '../../middleware/portal-session.ts'
import { logout } from '../../services/auth/account.ts'
import { completeLoginChallenge, isChallenge, login } from '../../services/auth/login.ts'
import { setMyLocale, USER_LOCALES } from '../../services/auth/preferences.ts'
import type { TokenPair } from '../../services/auth/sessions.ts'
import { one, readForm } from './forms.ts'
import { portalRun, safeNext, seeOther } from './run.ts'

const loginForm = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(1024),
  next: z.string().max(500).optional(),
})

const codeForm = z.object({
  challenge_token: z.string().min(10).max(100),
  code: z.string().trim().min(1).max(20),
  next: z.string().max(500).optional(),
})

const LOGIN_ERRORS: Partial<Record<ErrorCode, { status: 401 | 403 | 429; message: MessageKey }>> = {
  INVALID_CREDENTIALS: { status: 401, message: 'error.INVALID_CREDENTIALS' },
  INVALID_CODE: { status: 401, message: 'error.INVALID_CODE' },
  INVALID_CHALLENGE: { status: 401, message: 'error.INVALID_CHALLENGE' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'error.TOO_MANY_ATTEMPTS' },
  TENANT_SUSPENDED: { status: 403, message: 'error.TENANT_SUSPENDED' },
}

/**
 * Puts the session a login opened into the portal's cookie; answers the signed-in person's portal.
 * The login service answers an access token whose claims name the new server-side session; the
 * cookie carries that session instead of the token. (The refresh token it also issues is stored
 * only as a hash and never leaves here: unused, it ends with the session.)
 */
export async function startPortalSession(c: Context<PortalEnv>, pair: TokenPair): Promise<'admin' | 'app'> {
  const keys = c.var.caller.services.config.JWT_SIGNING_KEYS
  const claims = await verifyAccessToken(pair.access_token, keys)
  if (!claims) throw new Error('login issued a token that does not verify')
  setSessionCookie(
    c,
    await sealSession(keys, { sid: claims.sid, sub: claims.sub, tid: claims.tenant_id, role: claims.role }),
  )
  // A new CSRF token at sign-in: one planted before authentication is not the one used after.
  issueCsrfToken(c)
  return claims.role === 'operator' ? 'admin' : 'app'
}

/** The page message of a refused sign-in step; anything else is not the form's business. */
function loginRefusal(c: Context<PortalEnv>, error: unknown) {
  const known = error instanceof ApiError ? LOGIN_ERRORS[error.code] : undefined
  if (!known) throw error
  if (error instanceof ApiError && error.headers?.['Retry-After'])
    c.header('Retry-After', error.headers['Retry-After'])
  return known
}

/** After a complete sign-in: what the session must do first, or where the person was going. */
async function signedInTo(c: Context<PortalEnv>, area: 'admin' | 'app', pair: TokenPair, next?: string) {
  const own = await startPortalSession(c, pair)
  // Someone else set the password: the account page, where it is changed, comes first.
  if (pair.password_change_required) return c.redirect(`/${own}/account?required=password`, 303)
  // A second factor is required and missing: the account page, where it is set up.
  if (pair.totp_enrolment_required) return c.redirect(`/${own}/account?required=totp`, 303)
  return c.redirect(own === area ? safeNext(next, area) : `/${own}`, 303)
}

/** Sign-in, sign-out and the language switch of both portals. */
export function registerPortalAuth(portal: PortalApp) {
  for (const area of ['admin', 'app'] as const) {
    const kind = area === 'admin' ? 'operator' : 'member'

    portal.get(`/${area}/login`, (c) => {
      const credential = c.var.caller.credential
      if (credential?.kind === 'token' && credential.principal.kind === kind)
        return c.redirect(`/${area}`, 303)
      const next = c.req.query('next')
      const notice =
        c.req.query('signed_out') === '1'
          ? ('login.signedOut' as const)
          : c.req.query('reset') === '1'
            ? ('login.resetDone' as const)
            : undefined
      return c.render(<LoginPage area={area} next={next} notice={notice} />, {
        title: c.var.i18n.t('login.submit'),
      })
    })

    /** The same login service as `POST /api/v1/auth/login` (rate limit, audit, session limit). */
    portal.post(`/${area}/login`, async (c) => {
      const form = await readForm(c, loginForm)
      const next = one(form.values, 'next') || undefined
      const render = (status: 400 | 401 | 403 | 429, message: MessageKey) => {
        c.status(status)
        return c.render(
          <LoginPage area={area} email={one(form.values, 'email')} next={next} error={message} />,
          {
            title: c.var.i18n.t('login.submit'),
          },
        )
      }
      if (!form.ok) return render(400, 'login.missing')
      const services = c.var.caller.services
      let answer: Awaited<ReturnType<typeof login>>
      try {
        answer = await login(services, c.var.caller.meta, {
          email: form.data.email,
          password: form.data.password,
        })
      } catch (error) {
        const known = loginRefusal(c, error)
        return render(known.status, known.message)
      }
      // Two-factor on: the second form, carrying the challenge (never the password) forward.
      if (isChallenge(answer)) {
        return c.render(<LoginCodePage area={area} challengeToken={answer.challenge_token} next={next} />, {
          title: c.var.i18n.t('login.codeTitle'),
        })
      }
      return signedInTo(c, area, answer, form.data.next)
    })

    /** The second step: the same service as `POST /api/v1/auth/login/two-factor`. */
    portal.post(`/${area}/login/two-factor`, async (c) => {
      const form = await readForm(c, codeForm)
      const next = one(form.values, 'next') || undefined
      const challengeToken = one(form.values, 'challenge_token')
      const again = (status: 400 | 401 | 403 | 429, message: MessageKey) => {
        c.status(status)
        // A dead challenge goes back to the password; a wrong code may be typed again.
        if (message === 'error.INVALID_CHALLENGE' || !challengeToken) {
          return c.render(<LoginPage area={area} next={next} error={message} />, {
            title: c.var.i18n.t('login.submit'),
          })
        }
        return c.render(
          <LoginCodePage area={area} challengeToken={challengeToken} next={next} error={message} />,
          { title: c.var.i18n.t('login.codeTitle') },
        )
      }
      if (!form.ok) return again(400, 'error.INVALID_CODE')
      try {
        const pair = await completeLoginChallenge(c.var.caller.services, c.var.caller.meta, {
          challengeToken: form.data.challenge_token,
          code: form.data.code,
        })
        return signedInTo(c, area, pair, form.data.next)
      } catch (error) {
        const known = loginRefusal(c, error)
        return again(known.status, known.message)
      }
    })

    portal.post(`/${area}/logout`, async (c) => {
      if (c.var.caller.credential?.kind === 'token') {
        await c.var.caller.run(logout, { allowRestricted: true }).catch((error: unknown) => {
          // An already-ended session is signed out all the same.
          if (!(error instanceof ApiError && error.status === 401)) throw error
        })
      }
      clearSessionCookie(c)
      return seeOther(c, `/${area}/login?signed_out=1`)
    })

    /** Members save the choice to their account (users.locale); everyone gets the `lang` cookie. */
    portal.post(`/${area}/language`, async (c) => {
      const form = await readForm(c, z.object({ locale: z.enum(USER_LOCALES), back: z.string().optional() }))
      const back = safeNext(one(form.values, 'back'), area)
      if (!form.ok) return seeOther(c, back)
      const credential = c.var.caller.credential
      if (credential?.kind === 'token' && credential.principal.kind === 'member') {
        await portalRun(c, (ctx) => setMyLocale(ctx, form.data.locale))
      }
      rememberLocale(c, form.data.locale)
      return seeOther(c, back)
    })
  }
}
