import { createMiddleware } from 'hono/factory'
import type { AppEnv, Bindings } from '../env.ts'
import type { Services } from '../runtime/ports.ts'
import { createCaller, requestMetaOf } from '../services/caller.ts'

/**
 * Builds the request scope: the runtime handles (configuration, database handle, queue, KV), the
 * request facts for audit rows, and no credential yet (`authenticate` adds it). Closes the
 * database after the response through `waitUntil`. A bad environment throws ConfigError here,
 * which the error handler answers as BAD_ENVIRONMENT. `servicesOf` is the runtime's: Workers
 * builds the ports from its bindings (`createServices`), Deno from Deno KV and its queue
 * (worker/runtime/deno/).
 */
export function initWith(servicesOf: (env: Bindings) => Services) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const services = servicesOf(c.env)
    c.set(
      'caller',
      createCaller({
        services,
        meta: requestMetaOf(c.req.raw.headers, c.get('requestId')),
        onTenant: (tenantId) => c.set('tenantId', tenantId),
      }),
    )
    try {
      await next()
    } finally {
      c.executionCtx.waitUntil(services.db.close())
    }
  })
}
