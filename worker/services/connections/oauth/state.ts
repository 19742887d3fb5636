import { base64url, type JWTHeaderParameters, jwtVerify, SignJWT } from 'jose'
import { z } from 'zod'
import { MEMBER_ROLES, PLATFORMS, type Platform } from '../../../../db/schema/index.ts'
import type { SigningKey } from '../../../auth/jwt.ts'

/**
 * The OAuth `state`: a short-lived HS256 token signed with the access-token keys (newest signs,
 * all verify, so rotation needs nothing new) that names the tenant, the person and their session,
 * the platform and the server-side `oauth_states` row. Its own audience keeps it from ever being
 * accepted as an access token, and an access token from being accepted as a state. It carries no
 * secret: the PKCE verifier stays in Postgres.
 */

export const STATE_TTL_SECONDS = 10 * 60
const AUDIENCE = 'integra-oauth-state'
const ALGORITHM = 'HS256'

const claimsSchema = z.object({
  jti: z.uuid(),
  sub: z.string().min(1),
  tid: z.string().min(1),
  sid: z.string().min(1),
  role: z.enum(MEMBER_ROLES),
  plt: z.enum(PLATFORMS),
})

export type OAuthStateClaims = {
  /** The `oauth_states` row. */
  stateId: string
  userId: string
  tenantId: string
  sessionId: string
  role: (typeof MEMBER_ROLES)[number]
  platform: Platform
}

export async function signOAuthState(
  claims: OAuthStateClaims,
  keys: SigningKey[],
  options: { now: Date },
): Promise<string> {
  const [key] = keys
  if (!key) throw new Error('signOAuthState: no signing key')
  const issuedAt = Math.floor(options.now.getTime() / 1000)
  return new SignJWT({ tid: claims.tenantId, sid: claims.sessionId, role: claims.role, plt: claims.platform })
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid })
    .setSubject(claims.userId)
    .setJti(claims.stateId)
    .setAudience(AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + STATE_TTL_SECONDS)
    .sign(key.secret)
}

/** The claims of a state we signed, still fresh, for `platform`; null for anything else. */
export async function verifyOAuthState(
  state: string,
  platform: Platform,
  keys: SigningKey[],
): Promise<OAuthStateClaims | null> {
  const keyFor = (header: JWTHeaderParameters): Uint8Array => {
    const key = keys.find((candidate) => candidate.kid === header.kid)
    if (!key) throw new Error('unknown kid')
    return key.secret
  }
  try {
    const { payload } = await jwtVerify(state, keyFor, {
      algorithms: [ALGORITHM],
      audience: AUDIENCE,
      requiredClaims: ['jti', 'sub', 'exp', 'iat'],
      maxTokenAge: STATE_TTL_SECONDS,
    })
    const claims = claimsSchema.safeParse(payload)
    if (!claims.success || claims.data.plt !== platform) return null
    const { jti, sub, tid, sid, role, plt } = claims.data
    return { stateId: jti, userId: sub, tenantId: tid, sessionId: sid, role, platform: plt }
  } catch {
    return null
  }
}

/** A PKCE verifier (RFC 7636: 43–128 unreserved characters) from 32 random bytes. */
export const newCodeVerifier = () => base64url.encode(crypto.getRandomValues(new Uint8Array(32)))

/** S256: base64url(SHA-256(verifier)). */
export async function codeChallengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return base64url.encode(new Uint8Array(digest))
}
