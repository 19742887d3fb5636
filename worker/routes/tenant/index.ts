import type { App } from '../../env.ts'
import { registerApiKeys } from './api-keys.ts'
import { registerAudit } from './audit.ts'
import { registerTenantSettings } from './settings.ts'
import { registerTenant } from './tenant.ts'
import { registerTenantTwoFactor } from './two-factor.ts'
import { registerUsers } from './users.ts'

/** The tenant side of the API: members with an access token, or the tenant's API keys. */
export function registerTenantRoutes(app: App) {
  registerTenant(app)
  registerUsers(app)
  registerApiKeys(app)
  registerAudit(app)
  registerTenantSettings(app)
  registerTenantTwoFactor(app)
}
