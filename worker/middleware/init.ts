import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'
import { createServices } from '../runtime/services.ts'
import { createCaller, requestMetaOf } from '../services/caller.ts'

/**
 * Builds the request scope: the runtime handles (configuration, database handle, queue, KV), the
 * request facts for audit rows, and no credential yet (`authenticate` adds it). Closes the
 * database after the response through `waitUntil`. A bad environment throws ConfigError here,
 * which the error handler answers as BAD_ENVIRONMENT.
 */
export const init = createMiddleware<AppEnv>(async (c, next) => {
  const services = createServices(c.env)
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
