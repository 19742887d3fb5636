import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'
import { secureHeaders } from 'hono/secure-headers'
import type { Config } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { API_DOCS_PATH } from '../openapi/paths.ts'

const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
}

const headersWith = (
  contentSecurityPolicy: typeof CONTENT_SECURITY_POLICY,
  referrerPolicy = 'strict-origin-when-cross-origin',
) =>
  secureHeaders({
    contentSecurityPolicy,
    strictTransportSecurity: 'max-age=63072000; includeSubDomains',
    xContentTypeOptions: 'nosniff',
    referrerPolicy,
    xFrameOptions: 'DENY',
    crossOriginResourcePolicy: 'same-origin',
  })

const strictHeaders = headersWith(CONTENT_SECURITY_POLICY)
// Scalar (the API reference) injects <style> elements and style attributes at run time, which
// no hash or nonce can cover: that one page allows inline styles. Scripts stay 'self' only (no
// inline script, no eval) and connections stay same-origin, so nothing else is loosened.
const docsHeaders = headersWith({ ...CONTENT_SECURITY_POLICY, styleSrc: ["'self'", "'unsafe-inline'"] })

// The pages an e-mailed link opens carry its token in their URL: not even our own assets get it
// in a Referer.
const tokenPageHeaders = headersWith(CONTENT_SECURITY_POLICY, 'no-referrer')
const TOKEN_PAGES = new Set(['/app/password-reset', '/app/invitation'])

/** Security headers on every response, error responses included. */
export const securityHeaders: MiddlewareHandler = (c, next) =>
  c.req.path === API_DOCS_PATH
    ? docsHeaders(c, next)
    : TOKEN_PAGES.has(c.req.path)
      ? tokenPageHeaders(c, next)
      : strictHeaders(c, next)

/** With TRUSTED_HOSTS set, a request for any other Host is refused (Host-header attacks). */
export const trustedHosts = createMiddleware<AppEnv>(async (c, next) => {
  const allowed = c.var.caller.services.config.TRUSTED_HOSTS
  if (allowed.length > 0) {
    const host = (c.req.header('host') ?? new URL(c.req.url).host).toLowerCase()
    const bare = host.replace(/:\d+$/, '')
    if (!allowed.includes(host) && !allowed.includes(bare)) {
      throw new ApiError(400, 'HOST_NOT_ALLOWED', 'This host is not served here.')
    }
  }
  await next()
})

/**
 * CORS for the configured origins only. Credentials are allowed, which is why a wildcard origin
 * is rejected when the configuration is parsed.
 */
export const corsFromConfig = createMiddleware<AppEnv>(async (c, next) => {
  const config = c.var.caller.services.config
  const origin = c.req.header('origin')
  // Requests from other origins get no CORS headers at all, so the browser blocks them.
  if (!origin || !config.CORS_ORIGINS.includes(origin)) return next()
  let handler = corsByConfig.get(config)
  if (!handler) {
    handler = cors({
      origin: (requestOrigin) => requestOrigin,
      credentials: true,
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'Idempotency-Key'],
      exposeHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    })
    corsByConfig.set(config, handler)
  }
  return handler(c, next)
})

const corsByConfig = new WeakMap<Config, MiddlewareHandler>()
