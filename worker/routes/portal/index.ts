import { Hono } from 'hono'
import type { App } from '../../env.ts'
import { portalCsrf } from '../../middleware/portal-csrf.ts'
import type { PortalApp, PortalEnv } from '../../middleware/portal-env.ts'
import { portalLocale } from '../../middleware/portal-locale.ts'
import { portalCredential } from '../../middleware/portal-session.ts'
import { registerPortalAccount } from './account.tsx'
import { registerPortalAdminAudit } from './admin/audit.tsx'
import { registerPortalAdminDashboard } from './admin/dashboard.tsx'
import { registerPortalAdminLicenses } from './admin/licenses.tsx'
import { registerPortalAdminPlans } from './admin/plans.tsx'
import { registerPortalAdminTenants } from './admin/tenants.tsx'
import { registerPortalApiKeys } from './app/api-keys.tsx'
import { registerPortalCalendar } from './app/calendar.tsx'
import { registerPortalCampaigns } from './app/campaigns.tsx'
import { registerPortalCommerce } from './app/commerce.tsx'
import { registerPortalConnections } from './app/connections.tsx'
import { registerPortalEvents } from './app/events.ts'
import { registerPortalInbox } from './app/inbox.tsx'
import { registerPortalMessages } from './app/messages.tsx'
import { registerPortalMetrics } from './app/metrics.tsx'
import { registerPortalOverview } from './app/overview.tsx'
import { registerPortalPrivacy } from './app/privacy.tsx'
import { registerPortalReports } from './app/reports.tsx'
import { registerPortalSchedule } from './app/schedule.tsx'
import { registerPortalScheduleSettings } from './app/schedule-settings.tsx'
import { registerPortalSettings } from './app/settings.tsx'
import { registerPortalTeam } from './app/team.tsx'
import { registerPortalAuth } from './auth.tsx'
import { registerPortalRecovery } from './recovery.tsx'
import { portalRenderer } from './renderer.tsx'

/**
 * The two portals, `/admin` (operators) and `/app` (tenant members), server-rendered with
 * hono/jsx and htmx. Their middleware runs for every path under them, unknown ones included, so
 * even a 404 page speaks the visitor's language: language first (errors are pages in it), then
 * the CSRF check (before anything acts on a request), then the session cookie, then the layout.
 */
export function registerPortal(app: App) {
  for (const base of ['/admin', '/app']) {
    for (const path of [base, `${base}/*`]) {
      app.use(path, portalLocale, portalCsrf, portalCredential, portalRenderer)
    }
  }
  const portal: PortalApp = new Hono<PortalEnv>()
  registerPortalAuth(portal)
  registerPortalRecovery(portal)
  registerPortalAdminDashboard(portal)
  registerPortalAccount(portal)
  registerPortalAdminTenants(portal)
  registerPortalAdminPlans(portal)
  registerPortalAdminLicenses(portal)
  registerPortalAdminAudit(portal)
  registerPortalOverview(portal)
  registerPortalConnections(portal)
  registerPortalMetrics(portal)
  registerPortalCalendar(portal)
  registerPortalInbox(portal)
  // Scheduling (docs/scheduling.md): the day and week views, and the catalogue for managers.
  registerPortalSchedule(portal)
  registerPortalScheduleSettings(portal)
  // Commerce (docs/commerce.md): the orders board and one order's page.
  registerPortalCommerce(portal)
  // Scheduled reports (docs/reports.md): schedules, runs, held runs and their PDFs.
  registerPortalReports(portal)
  // Commerce campaigns and coupons (docs/commerce.md).
  registerPortalCampaigns(portal)
  registerPortalTeam(portal)
  registerPortalApiKeys(portal)
  registerPortalSettings(portal)
  registerPortalPrivacy(portal)
  // Real-time updates: the live page of the messaging outbox and the channel every page uses.
  registerPortalMessages(portal)
  registerPortalEvents(portal)
  app.route('/', portal)
}
