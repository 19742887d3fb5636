import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'
import { log } from '../log.ts'

/**
 * One JSON line per request. Only the path is logged, never the query string, headers, cookies
 * or bodies: those are where tokens and passwords travel.
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now()
  await next()
  const status = c.res.status
  log(status >= 500 ? 'error' : 'info', 'request', {
    request_id: c.get('requestId'),
    method: c.req.method,
    path: c.req.path,
    status,
    duration_ms: Math.round((performance.now() - started) * 10) / 10,
    tenant_id: c.get('tenantId'),
  })
})
