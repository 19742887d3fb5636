import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { verifyAccessToken } from '../auth/jwt.ts'
import { parseApiKey } from '../auth/tokens.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'

const UNAUTHENTICATED = () =>
  new ApiError(401, 'UNAUTHENTICATED', 'Send a valid access token or API key as a Bearer token.', {
    headers: { 'WWW-Authenticate': 'Bearer realm="integra"' },
  })

/**
 * Reads `Authorization: Bearer …`: an access token is verified here (signature, expiry, claims;
 * no database), an API key is only parsed; both are confirmed against the database by the
 * service runner, inside the request's transaction.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? ''
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (!match?.[1]) throw UNAUTHENTICATED()
  const token = match[1]
  if (token.startsWith('ik_')) {
    const key = parseApiKey(token)
    if (!key) throw UNAUTHENTICATED()
    c.set('caller', c.var.caller.as({ kind: 'api_key', keyId: key.keyId, secret: key.secret }))
  } else {
    const claims = await verifyAccessToken(token, c.var.caller.services.config.JWT_SIGNING_KEYS)
    if (!claims) throw UNAUTHENTICATED()
    const principal =
      claims.role === 'operator'
        ? ({
            kind: 'operator',
            id: claims.sub,
            sessionId: claims.sid,
            role: 'operator',
            tenantId: null,
          } as const)
        : claims.tenant_id
          ? ({
              kind: 'member',
              id: claims.sub,
              sessionId: claims.sid,
              role: claims.role,
              tenantId: claims.tenant_id,
            } as const)
          : null
    if (!principal) throw UNAUTHENTICATED()
    c.set('caller', c.var.caller.as({ kind: 'token', principal }))
  }
  await limitRate(c)
  await next()
})

export const API_RATE_LIMIT_PERIOD_SECONDS = 60

/**
 * Per-caller API rate limit through the Workers rate-limiting binding: keyed by API key, or by
 * tenant for members (by operator for operators). Approximate and per location by design: this
 * protects the API from floods without a database round trip on every request.
 */
async function limitRate(c: Context<AppEnv>): Promise<void> {
  const limiter = c.env.API_RATE_LIMITER
  const credential = c.var.caller.credential
  if (!limiter || !credential) return
  const key =
    credential.kind === 'api_key'
      ? `key:${credential.keyId}`
      : `${credential.principal.kind}:${credential.principal.tenantId ?? credential.principal.id}`
  const { success } = await limiter.limit({ key })
  if (!success) {
    throw new ApiError(429, 'RATE_LIMITED', 'Too many requests; slow down and retry shortly.', {
      headers: { 'Retry-After': String(API_RATE_LIMIT_PERIOD_SECONDS) },
    })
  }
}
