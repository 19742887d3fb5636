import type { App } from '../env.ts'
import { ApiError } from '../errors.ts'
import { describeError, log } from '../log.ts'

export function registerHealth(app: App) {
  /** Liveness: answers without touching the database. */
  app.get('/health', (c) => c.json({ status: 'ok' as const }))

  /** Readiness: one `select 1` through the Neon driver within the connect timeout. */
  app.get('/health/ready', async (c) => {
    try {
      await c.var.caller.services.db.ping()
    } catch (error) {
      log('warn', 'readiness check failed', { request_id: c.get('requestId'), ...describeError(error) })
      throw new ApiError(503, 'NOT_READY', 'The database is not reachable.', {
        headers: { 'Retry-After': '5' },
      })
    }
    return c.json({ status: 'ready' as const, db: 'ok' as const })
  })
}
