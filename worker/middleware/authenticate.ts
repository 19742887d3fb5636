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
    c.set('credential', { kind: 'api_key', keyId: key.keyId, secret: key.secret })
  } else {
    const claims = await verifyAccessToken(token, c.get('services').config.JWT_SIGNING_KEYS)
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
    c.set('credential', { kind: 'token', principal })
    c.set('tenantId', principal.tenantId ?? undefined)
  }
  await next()
})
