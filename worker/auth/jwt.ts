import { base64url, type JWTHeaderParameters, jwtVerify, SignJWT } from 'jose'
import { z } from 'zod'

/**
 * Short-lived access tokens (HS256). Signing keys come as a list, newest first: the first signs,
 * all verify. Rotation is: prepend a new key, wait one token lifetime, drop the old one.
 */

export type SigningKey = { kid: string; secret: Uint8Array }

const ISSUER = 'integra'
const AUDIENCE = 'integra-api'
const ALGORITHM = 'HS256'
/** RFC 9068 type: any other JWT signed with the same keys (e.g. a future invite link) is refused. */
const TOKEN_TYPE = 'at+jwt'
const DEFAULT_TTL_SECONDS = 900
/** HS256 needs a key at least as long as its output (RFC 7518 §3.2). */
const MIN_SECRET_BYTES = 32
const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+={0,2}$/

export const ACCESS_ROLES = ['operator', 'owner', 'admin', 'analyst', 'viewer', 'agent'] as const

const accessClaimsSchema = z.object({
  sub: z.string().min(1),
  tenant_id: z.string().min(1).nullable(),
  role: z.enum(ACCESS_ROLES),
  sid: z.string().min(1),
})

export type AccessClaims = {
  sub: string
  tenant_id: string | null
  role: (typeof ACCESS_ROLES)[number]
  sid: string
}

/**
 * Parses `kid1:base64url-secret,kid2:base64url-secret` (newest first). Errors name the entry by
 * position and never echo its text, which could be (part of) a secret.
 */
export function parseSigningKeys(value: string): SigningKey[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  if (entries.length === 0) throw new Error('signing keys: expected at least one kid:secret entry')
  const keys: SigningKey[] = []
  entries.forEach((entry, index) => {
    const where = `signing keys: entry ${index + 1}`
    const colon = entry.indexOf(':')
    if (colon < 0) throw new Error(`${where} is not in the form kid:base64url-secret`)
    const kid = entry.slice(0, colon)
    const encoded = entry.slice(colon + 1)
    if (!KID_PATTERN.test(kid)) throw new Error(`${where}: kid must match ${KID_PATTERN}`)
    if (keys.some((key) => key.kid === kid)) throw new Error(`${where}: kid "${kid}" is used twice`)
    let secret: Uint8Array
    try {
      if (!BASE64URL_PATTERN.test(encoded)) throw new Error('not base64url')
      secret = base64url.decode(encoded)
    } catch {
      throw new Error(`${where} (kid "${kid}"): secret is not valid base64url`)
    }
    if (secret.length < MIN_SECRET_BYTES) {
      throw new Error(
        `${where} (kid "${kid}"): secret decodes to ${secret.length} bytes, at least ${MIN_SECRET_BYTES} are required`,
      )
    }
    keys.push({ kid, secret })
  })
  return keys
}

/** Signs an access token with the first (newest) key. Throws on invalid claims or options. */
export async function signAccessToken(
  claims: AccessClaims,
  keys: SigningKey[],
  options: { ttlSeconds?: number; now?: Date } = {},
): Promise<{ token: string; expiresIn: number }> {
  const [key] = keys
  if (!key) throw new Error('signAccessToken: no signing key')
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS
  if (!Number.isSafeInteger(ttl) || ttl < 1) throw new Error('signAccessToken: ttlSeconds must be >= 1')
  const { sub, ...rest } = accessClaimsSchema.parse(claims)
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000)
  const token = await new SignJWT(rest)
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: TOKEN_TYPE })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttl)
    .setJti(base64url.encode(crypto.getRandomValues(new Uint8Array(16))))
    .sign(key.secret)
  return { token, expiresIn: ttl }
}

/** For jose's `jwtVerify`: the key the token's `kid` names; an unknown kid fails verification. */
export const keyForKid =
  (keys: SigningKey[]) =>
  (header: JWTHeaderParameters): Uint8Array => {
    const key = keys.find((candidate) => candidate.kid === header.kid)
    if (!key) throw new Error('unknown kid')
    return key.secret
  }

/**
 * Verifies an access token against every key in the list (chosen by `kid`). Returns null for
 * anything that is not a valid, current token of ours; never throws, so callers answer 401.
 */
export async function verifyAccessToken(token: string, keys: SigningKey[]): Promise<AccessClaims | null> {
  try {
    const { payload } = await jwtVerify(token, keyForKid(keys), {
      // Pinning the algorithm refuses `none` and any asymmetric-key confusion.
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: TOKEN_TYPE,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    })
    const claims = accessClaimsSchema.safeParse(payload)
    return claims.success ? claims.data : null
  } catch {
    return null
  }
}
