import { errors, jwtVerify, SignJWT } from 'jose'
import { z } from 'zod'
import { keyForKid, type SigningKey } from '../../auth/jwt.ts'

/**
 * Signed, expiring download links for export archives, served by the Worker itself (R2 presigned
 * URLs would need S3 API credentials in the Worker). HS256 with the access-token keys, so
 * rotation is the same; a distinct `typ` and audience keep a link from ever passing as an access
 * token, and an access token from passing as a link.
 */

const ISSUER = 'integra'
const AUDIENCE = 'integra-export-download'
const TOKEN_TYPE = 'integra-download+jwt'
const ALGORITHM = 'HS256'
/** Long enough to start a download, short enough that a leaked link (logs, history) soon dies. */
export const DOWNLOAD_LINK_TTL_SECONDS = 15 * 60

const claimsSchema = z.object({ sub: z.string().min(1), tid: z.string().min(1), exp_id: z.string().min(1) })

export type DownloadClaims = { exportId: string; tenantId: string; actorId: string }

export async function signDownloadToken(
  claims: DownloadClaims,
  keys: SigningKey[],
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const [key] = keys
  if (!key) throw new Error('signDownloadToken: no signing key')
  const issuedAt = Math.floor(now.getTime() / 1000)
  const expires = issuedAt + DOWNLOAD_LINK_TTL_SECONDS
  const token = await new SignJWT({ tid: claims.tenantId, exp_id: claims.exportId })
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: TOKEN_TYPE })
    .setSubject(claims.actorId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expires)
    .sign(key.secret)
  return { token, expiresAt: new Date(expires * 1000) }
}

/** The link's claims; `expired` for a genuine link past its time, `invalid` for anything else. */
export async function verifyDownloadToken(
  token: string,
  keys: SigningKey[],
): Promise<DownloadClaims | 'expired' | 'invalid'> {
  try {
    const { payload } = await jwtVerify(token, keyForKid(keys), {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: TOKEN_TYPE,
      requiredClaims: ['sub', 'iat', 'exp'],
    })
    const claims = claimsSchema.safeParse(payload)
    if (!claims.success) return 'invalid'
    return { exportId: claims.data.exp_id, tenantId: claims.data.tid, actorId: claims.data.sub }
  } catch (error) {
    // jose checks the signature before the expiry: an expired one was genuinely ours.
    return error instanceof errors.JWTExpired ? 'expired' : 'invalid'
  }
}
