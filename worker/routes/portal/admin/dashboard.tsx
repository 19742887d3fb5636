import { DashboardPage } from '../../../../portal/pages/admin/dashboard.tsx'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { dashboardSummary } from '../../../services/admin/dashboard.ts'
import { portalRun, signedIn } from '../run.ts'

/** GET /admin: the same summary as GET /api/v1/admin/dashboard, as a page. */
export function registerPortalAdminDashboard(portal: PortalApp) {
  portal.use('/admin', signedIn('operator'))
  portal.use('/admin/*', async (c, next) => {
    // Everything under /admin but its login and language switch is for signed-in operators.
    if (c.req.path === '/admin/login' || c.req.path === '/admin/language' || c.req.path === '/admin/logout')
      return next()
    return signedIn('operator')(c, next)
  })

  portal.get('/admin', async (c) => {
    const data = await portalRun(c, dashboardSummary)
    return c.render(<DashboardPage data={data} />, { title: c.var.i18n.t('dashboard.title') })
  })
}
