import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { App, AppEnv } from '../../env.ts'
import { ApiError, notFound } from '../../errors.ts'
import { jsonBodies } from '../../middleware/json-body.ts'
import { storefrontOrigins } from '../../services/commerce/settings.ts'
import { TENANT_SLUG } from '../../services/commerce/storefront.ts'

/** The public storefront API lives under this prefix (apart from `/api/v1`, which needs a credential). */
export const SHOP_API = '/shop-api/v1'
const RATE_LIMIT_PERIOD_SECONDS = 60

/** The tenant the storefront names in `X-Tenant`; a malformed slug is no tenant (404, no query). */
export function tenantSlug(c: Context<AppEnv>): string {
  const slug = c.req.header('x-tenant') ?? ''
  if (!TENANT_SLUG.test(slug) || slug.length > 48) throw notFound('store')
  return slug
}

/**
 * What every public storefront request goes through: JSON bodies only, a rate limit per client
 * address (the API limiter's binding, keyed `shop:<ip>`, so a flood from one place cannot starve
 * the tenant's staff API), and CORS. A preflight is answered for any origin without credentials
 * (the storefront API takes none, and the tenant is not known before the real request); the real
 * answer carries `Access-Control-Allow-Origin` only for an origin the tenant configured, which
 * is read after the handler, in a transaction of its own, only for requests that name an origin.
 */
export function registerStorefrontGate(app: App) {
  app.options(`${SHOP_API}/*`, (c) =>
    c.body(null, 204, {
      'Access-Control-Allow-Origin': c.req.header('origin') ?? '*',
      'Access-Control-Allow-Methods': 'GET, POST',
      'Access-Control-Allow-Headers': 'Content-Type, X-Tenant, Idempotency-Key',
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
    }),
  )
  app.use(`${SHOP_API}/*`, jsonBodies, gate)
}

const gate = createMiddleware<AppEnv>(async (c, next) => {
  const limiter = c.env.API_RATE_LIMITER
  if (limiter) {
    const ip = c.req.header('cf-connecting-ip') ?? 'unknown'
    const { success } = await limiter.limit({ key: `shop:${ip}` })
    if (!success)
      throw new ApiError(429, 'RATE_LIMITED', 'Too many requests; slow down and retry shortly.', {
        headers: { 'Retry-After': String(RATE_LIMIT_PERIOD_SECONDS) },
      })
  }
  await next()
  const origin = c.req.header('origin')
  const slug = c.req.header('x-tenant') ?? ''
  if (origin && TENANT_SLUG.test(slug)) {
    const allowed = await storefrontOrigins(c.var.caller.services, slug).catch((): string[] => [])
    if (allowed.includes(origin)) {
      c.header('Access-Control-Allow-Origin', origin)
      c.header('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After')
    }
    c.header('Vary', 'Origin')
  }
})
