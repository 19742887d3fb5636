import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'
import { createServices } from '../runtime/services.ts'

/**
 * Builds the request's services (configuration, database handle, queue, KV) and closes the
 * database after the response through `waitUntil`. A bad environment throws ConfigError here,
 * which the error handler answers as BAD_ENVIRONMENT.
 */
export const init = createMiddleware<AppEnv>(async (c, next) => {
  const services = createServices(c.env)
  c.set('services', services)
  try {
    await next()
  } finally {
    c.executionCtx.waitUntil(services.db.close())
  }
})
