import { type CalendarConflict, CalendarPage } from '../../../../portal/pages/app/calendar.tsx'
import {
  type CalendarStatistics,
  CalendarStatisticsPage,
  type StatisticsPeriod,
} from '../../../../portal/pages/app/calendar-statistics.tsx'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { listBookings } from '../../../services/calendar/bookings.ts'
import { listConflicts } from '../../../services/calendar/conflicts.ts'
import { listProperties } from '../../../services/calendar/properties.ts'
import { listSources } from '../../../services/calendar/sources.ts'
import { calendarStatistics } from '../../../services/calendar/statistics.ts'
import { portalRun, signedIn } from '../run.ts'

/** `YYYY-MM` from the query, else the current UTC month; its first night and length. */
function monthOf(query: string | undefined) {
  const now = new Date()
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(query ?? '')
  const year = match ? Number(match[1]) : now.getUTCFullYear()
  const month = match ? Number(match[2]) - 1 : now.getUTCMonth()
  const first = new Date(Date.UTC(year, month, 1))
  const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
  const key = (d: Date) => d.toISOString().slice(0, 7)
  return {
    from: first.toISOString().slice(0, 10),
    to: new Date(Date.UTC(year, month, days)).toISOString().slice(0, 10),
    days,
    previous: key(new Date(Date.UTC(year, month - 1, 1))),
    next: key(new Date(Date.UTC(year, month + 1, 1))),
  }
}

/** `this month` is the month in view (`?month=`, else the current UTC one); 30/90 days end today. */
function periodOf(period: string | undefined, month: string | undefined) {
  const chosen: StatisticsPeriod = period === '30' || period === '90' ? period : 'month'
  const viewed = monthOf(month)
  if (chosen === 'month')
    return { period: chosen, from: viewed.from, to: viewed.to, month: viewed.from.slice(0, 7) }
  const today = new Date().toISOString().slice(0, 10)
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - (Number(chosen) - 1) * 86_400_000)
  return { period: chosen, from: from.toISOString().slice(0, 10), to: today, month: viewed.from.slice(0, 7) }
}

/** The calendar module's page: everything read in one transaction through the API's services. */
export function registerPortalCalendar(portal: PortalApp) {
  portal.get('/app/calendar', signedIn('member'), async (c) => {
    const month = monthOf(c.req.query('month'))
    const data = await portalRun(
      c,
      async (ctx) => ({
        properties: await listProperties(ctx, { limit: 100 }),
        sources: await listSources(ctx, { limit: 100 }),
        bookings: await listBookings(ctx, { limit: 100, from: month.from, to: month.to }),
        conflicts: await listConflicts(ctx, { status: 'open', limit: 100 }),
      }),
      { module: 'calendar' },
    )
    const { t, locale } = c.var.i18n
    const label = new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
      new Date(`${month.from}T00:00:00Z`),
    )
    return c.render(
      <CalendarPage
        month={{ ...month, label }}
        properties={data.properties.data}
        sources={data.sources.data}
        bookings={data.bookings.data}
        conflicts={data.conflicts.data as CalendarConflict[]}
      />,
      { title: t('calendar.title') },
    )
  })

  portal.get('/app/calendar/statistics', signedIn('member'), async (c) => {
    const period = periodOf(c.req.query('period'), c.req.query('month'))
    const stats = await portalRun(c, (ctx) => calendarStatistics(ctx, { from: period.from, to: period.to }), {
      module: 'calendar',
    })
    return c.render(
      <CalendarStatisticsPage
        period={period.period}
        month={period.month}
        stats={stats as CalendarStatistics}
      />,
      { title: c.var.i18n.t('calendar.stats.title') },
    )
  })
}
