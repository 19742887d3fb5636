import { InboxReportsPage } from '../../../../portal/pages/app/inbox-reports.tsx'
import { isStoredDate } from '../../../dates.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { attendanceReport } from '../../../services/attendance/reports.ts'
import { portalRun, signedIn } from '../run.ts'

const DAY_MS = 86_400_000
export const REPORT_PERIODS = [7, 30, 90] as const

/**
 * The period of the report: `from` and `to` (UTC days) from the URL when both are dates, else the
 * last `days` (7, 30 or 90; 30 by default) ending today, as the API's report takes them.
 */
function periodOf(query: { from?: string; to?: string; days?: string }) {
  if (query.from && query.to && isStoredDate(query.from) && isStoredDate(query.to))
    return { from: query.from, to: query.to, days: null }
  const days = REPORT_PERIODS.find((d) => String(d) === query.days) ?? 30
  const today = new Date().toISOString().slice(0, 10)
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1) * DAY_MS).toISOString().slice(0, 10)
  return { from, to: today, days }
}

/** `/app/inbox/reports`: the same report as `GET /api/v1/attendance/reports`, with charts. */
export function registerPortalInboxReports(portal: PortalApp) {
  portal.get('/app/inbox/reports', signedIn('member'), async (c) => {
    const period = periodOf(c.req.query())
    const report = await portalRun(c, (ctx) => attendanceReport(ctx, { from: period.from, to: period.to }), {
      module: 'attendance',
    })
    return c.render(<InboxReportsPage report={report} days={period.days} />, {
      title: c.var.i18n.t('inbox.reports.title'),
    })
  })
}
