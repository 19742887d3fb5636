import { getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { randomSecret, timingSafeEqual } from '../auth/tokens.ts'
import { ApiError } from '../errors.ts'
import type { PortalEnv } from './portal-env.ts'

const COOKIE = 'csrf'
const TOKEN = /^[A-Za-z0-9_-]{43}$/
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
export const CSRF_FIELD = '_csrf'
export const CSRF_HEADER = 'x-csrf-token'

export const csrfRefused = () =>
  new ApiError(403, 'CSRF_REFUSED', 'This request did not come from a page of this site.')

/**
 * CSRF protection for every state-changing portal request, the login forms included, in two
 * independent layers:
 *
 * 1. Where the request came from: a browser's `Sec-Fetch-Site` must say `same-origin` (or `none`,
 *    a request the person made directly), and an `Origin` header, when sent, must be this origin.
 *    Every current browser sends at least one of them on a POST.
 * 2. A token the page carried: the `_csrf` form field (or `X-CSRF-Token` header) must equal the
 *    `__Host-csrf` cookie (double submit). Another site can neither read the cookie nor set it
 *    (the `__Host-` prefix refuses cookies from sibling subdomains), so it cannot forge the field.
 *
 * The token cookie is created on the first portal page and replaced at sign-in (see login), so a
 * token planted before authentication is not the one used after it.
 */
export const portalCsrf = createMiddleware<PortalEnv>(async (c, next) => {
  const cookie = getCookie(c, COOKIE, 'host')
  const known = cookie && TOKEN.test(cookie) ? cookie : null
  c.set('csrfToken', known ?? issueCsrfToken(c))

  if (!SAFE_METHODS.has(c.req.method)) {
    const site = c.req.header('sec-fetch-site')
    if (site && site !== 'same-origin' && site !== 'none') throw csrfRefused()
    const origin = c.req.header('origin')
    if (origin !== undefined && origin !== new URL(c.req.url).origin) throw csrfRefused()
    const sent =
      c.req.header(CSRF_HEADER) ?? (await formToken(c.req.raw.headers, () => c.req.parseBody({ all: true })))
    if (!known || !sent || !timingSafeEqual(sent, known)) throw csrfRefused()
  }
  await next()
})

/** A fresh token in a fresh cookie; returns the token for the page's forms. */
export function issueCsrfToken(c: Parameters<typeof setCookie>[0]): string {
  const token = randomSecret(32)
  // Lax, not Strict: a page opened from a link on another site must keep the same token, or the
  // forms of tabs already open would stop working.
  setCookie(c, COOKIE, token, { prefix: 'host', path: '/', secure: true, httpOnly: true, sameSite: 'Lax' })
  return token
}

async function formToken(
  headers: Headers,
  parse: () => Promise<Record<string, unknown>>,
): Promise<string | undefined> {
  const type = headers.get('content-type') ?? ''
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) {
    return undefined
  }
  const value = (await parse())[CSRF_FIELD]
  return typeof value === 'string' ? value : undefined
}
