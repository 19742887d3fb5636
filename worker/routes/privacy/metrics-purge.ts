import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { purgeTenantMetrics } from '../../services/privacy/consent.ts'

/** The purge a tenant-level revocation offers: every metric point of the tenant, connections kept. */
export function registerMetricsPurge(app: App) {
  app.delete('/api/v1/privacy/metrics', authenticate, async (c) =>
    c.json(snake({ deleted: await c.var.caller.run(purgeTenantMetrics) })),
  )
}
