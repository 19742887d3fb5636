import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { dashboardSummary } from '../../services/admin/dashboard.ts'

/** The operators' summary: tenants by status, licenses expiring within 30 days, user counts. */
export function registerAdminDashboard(app: App) {
  app.get('/api/v1/admin/dashboard', authenticate, async (c) =>
    c.json(snake(await c.var.caller.run(dashboardSummary))),
  )
}
