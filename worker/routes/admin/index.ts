import type { App } from '../../env.ts'
import { registerAdminAudit } from './audit.ts'
import { registerAdminDashboard } from './dashboard.ts'
import { registerAdminLicenses } from './licenses.ts'
import { registerAdminPlans } from './plans.ts'
import { registerAdminTenants } from './tenants.ts'
import { registerAdminUsers } from './users.ts'

/** The admin central API (`/api/v1/admin`): operators only, every action audited. */
export function registerAdminRoutes(app: App) {
  registerAdminDashboard(app)
  registerAdminTenants(app)
  registerAdminUsers(app)
  registerAdminPlans(app)
  registerAdminLicenses(app)
  registerAdminAudit(app)
}
