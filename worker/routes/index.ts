import type { App } from '../env.ts'
import { registerAdminRoutes } from './admin/index.ts'
import { registerAttendanceRoutes } from './attendance/index.ts'
import { registerInvitationAccept } from './auth/invitation.ts'
import { registerLogin } from './auth/login.ts'
import { registerPasswordReset } from './auth/password-reset.ts'
import { registerRefresh } from './auth/refresh.ts'
import { registerSession } from './auth/session.ts'
import { registerTwoFactor } from './auth/two-factor.ts'
import { registerCalendarRoutes } from './calendar/index.ts'
import { registerCommerceRoutes } from './commerce/index.ts'
import { registerConnectionCollection } from './connections/collection.ts'
import { registerConnectionItem } from './connections/item.ts'
import { registerConnectionOAuthSelection } from './connections/oauth-selection.ts'
import { registerConnectionOAuthStart } from './connections/oauth-start.ts'
import { registerConnectionReconnect } from './connections/reconnect.ts'
import { registerHealth } from './health.ts'
import { registerIcalExport } from './ical.ts'
import { registerMessages } from './messages/messages.ts'
import { registerMetricsRoutes } from './metrics/index.ts'
import { registerOAuthCallback } from './oauth/callback.ts'
import { registerPrivacyRoutes } from './privacy/index.ts'
import { registerSchedulingRoutes } from './scheduling/index.ts'
import { registerShopRoutes } from './shop/index.ts'
import { registerTenantRoutes } from './tenant/index.ts'
import { registerWebhookRoutes } from './webhooks/index.ts'

/** Every route of the API, in one place so the OpenAPI document and the tests can list them. */
export function registerRoutes(app: App) {
  registerHealth(app)
  registerLogin(app)
  registerRefresh(app)
  registerSession(app)
  registerTwoFactor(app)
  registerPasswordReset(app)
  registerInvitationAccept(app)
  registerTenantRoutes(app)
  registerConnectionCollection(app)
  registerConnectionItem(app)
  registerConnectionReconnect(app)
  registerConnectionOAuthStart(app)
  registerConnectionOAuthSelection(app)
  registerOAuthCallback(app)
  registerPrivacyRoutes(app)
  registerMetricsRoutes(app)
  registerCalendarRoutes(app)
  registerAttendanceRoutes(app)
  registerSchedulingRoutes(app)
  registerMessages(app)
  registerCommerceRoutes(app)
  registerIcalExport(app)
  registerAdminRoutes(app)
  registerWebhookRoutes(app)
  // Commerce: the public storefront API (its staff API is under /api/v1/commerce).
  registerShopRoutes(app)
}
