import { type CalendarConflict, CalendarPage } from '../../../../portal/pages/app/calendar.tsx'
import { listBookings } from '../../../services/calendar/bookings.ts'
import { listConflicts } from '../../../services/calendar/conflicts.ts'
import { listProperties } from '../../../services/calendar/properties.ts'
import { listSources } from '../../../services/calendar/sources.ts'
import type { PortalApp } from '../index.ts'
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
}
