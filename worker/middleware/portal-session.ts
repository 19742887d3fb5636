import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { base64url } from 'jose'
import { z } from 'zod'
import { ACCESS_ROLES, type SigningKey } from '../auth/jwt.ts'
import type { Principal } from '../auth/principal.ts'
import { SESSION_ABSOLUTE_SECONDS } from '../services/context.ts'
import type { PortalEnv } from './portal-env.ts'

/**
 * Portal sessions are the API's server-side sessions (`sessions` table, opened by the login
 * service through `openSession`), carried in a cookie instead of a bearer token.
 *
 * Decision: the cookie holds the existing session id and its principal, signed with HMAC, rather
 * than lucia's `id.secret` with a hashed secret in the row. The sessions table (owned by the
 * tenancy schema) has no secret column, and the signature gives the property the hash gives in
 * lucia's design: a leaked copy of the table (session ids) does not let anyone forge a cookie.
 * The row stays the authority: `caller.run` confirms the session (live, not revoked, idle expiry
 * sliding) inside every request's transaction, so logout and revocation take effect at once.
 * The role travels in the cookie as it does in access tokens; lowering a role ends the member's
 * sessions (services/tenant/users.ts), so a cookie never carries more than the person has.
 */

const COOKIE = 'session'
/** `__Host-`: Secure, Path=/ and no Domain, so no sibling subdomain can set or shadow it. */
const HOST = { prefix: 'host' } as const
const FORMAT = /^([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/

const claimsSchema = z.object({
  sid: z.string().regex(/^ses_[0-9a-z]{20}$/),
  sub: z.string().min(1),
  tid: z.string().min(1).nullable(),
  role: z.enum(ACCESS_ROLES),
})
export type SessionClaims = z.infer<typeof claimsSchema>

const derived = new WeakMap<SigningKey, Promise<CryptoKey>>()

/**
 * The cookie key of one signing key: HMAC(secret, label). Deriving it keeps the two uses apart,
 * so an access-token signature can never pass as a cookie signature or the other way round.
 */
function cookieKey(key: SigningKey): Promise<CryptoKey> {
  let found = derived.get(key)
  if (!found) {
    found = (async () => {
      const root = await crypto.subtle.importKey(
        'raw',
        key.secret,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      )
      const bytes = await crypto.subtle.sign(
        'HMAC',
        root,
        new TextEncoder().encode('integra/portal-session-cookie/v1'),
      )
      return crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
        'verify',
      ])
    })()
    derived.set(key, found)
  }
  return found
}

/** Signs the claims with the newest key (rotation follows JWT_SIGNING_KEYS: newest signs, all verify). */
export async function sealSession(keys: SigningKey[], claims: SessionClaims): Promise<string> {
  const [key] = keys
  if (!key) throw new Error('sealSession: no signing key')
  const payload = base64url.encode(JSON.stringify(claimsSchema.parse(claims)))
  const signature = await crypto.subtle.sign(
    'HMAC',
    await cookieKey(key),
    new TextEncoder().encode(`${key.kid}.${payload}`),
  )
  return `${key.kid}.${payload}.${base64url.encode(new Uint8Array(signature))}`
}

/** The claims of a cookie we signed, or null for anything else (never throws). */
export async function unsealSession(
  keys: SigningKey[],
  value: string | undefined,
): Promise<SessionClaims | null> {
  const match = value ? FORMAT.exec(value) : null
  if (!match) return null
  const [, kid, payload, signature] = match as unknown as [string, string, string, string]
  const key = keys.find((candidate) => candidate.kid === kid)
  if (!key) return null
  try {
    // crypto.subtle.verify compares in constant time.
    const ok = await crypto.subtle.verify(
      'HMAC',
      await cookieKey(key),
      base64url.decode(signature),
      new TextEncoder().encode(`${kid}.${payload}`),
    )
    if (!ok) return null
    const claims = claimsSchema.safeParse(JSON.parse(new TextDecoder().decode(base64url.decode(payload))))
    return claims.success ? claims.data : null
  } catch {
    return null
  }
}

/**
 * HttpOnly: scripts never read it. SameSite=Lax: sent on top-level navigations from other sites
 * (links into the portal work) but not on their cross-site POSTs or subresource requests; CSRF
 * protection does not rely on it alone (portal-csrf.ts). Max-Age is the session's absolute
 * lifetime; the idle expiry is enforced server-side.
 */
export function setSessionCookie(c: Context, value: string): void {
  setCookie(c, COOKIE, value, {
    ...HOST,
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: SESSION_ABSOLUTE_SECONDS,
  })
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, COOKIE, { ...HOST, path: '/', secure: true, httpOnly: true, sameSite: 'Lax' })
}

/** A session cookie's principal: what an access token's claims give the API. */
export function principalOf(
  claims: SessionClaims,
): Extract<Principal, { kind: 'operator' | 'member' }> | null {
  if (claims.role === 'operator') {
    return { kind: 'operator', id: claims.sub, sessionId: claims.sid, role: 'operator', tenantId: null }
  }
  if (!claims.tid) return null
  return { kind: 'member', id: claims.sub, sessionId: claims.sid, role: claims.role, tenantId: claims.tid }
}

/**
 * Reads the session cookie and gives the request scope the same credential the API's `authenticate` gives it, so
 * portal handlers run the same service verbs through `caller.run`, which checks the session row in
 * the request's transaction. No cookie, or one we did not sign: no credential (pages redirect
 * to their login).
 */
export const portalCredential = createMiddleware<PortalEnv>(async (c, next) => {
  const claims = await unsealSession(
    c.var.caller.services.config.JWT_SIGNING_KEYS,
    getCookie(c, COOKIE, 'host'),
  )
  const principal = claims ? principalOf(claims) : null
  if (principal) {
    c.set('caller', c.var.caller.as({ kind: 'token', principal }))
  }
  await next()
})
