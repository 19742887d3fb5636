import type { App } from '../env.ts'
import { notFound } from '../errors.ts'
import { exportCalendar } from '../services/calendar/export.ts'

/**
 * `GET /ical/<token>.ics`: a property's calendar for the channels to import (Airbnb, Booking
 * poll it). No Authorization header, the unguessable token is the proof; an unknown or revoked
 * token, or a tenant without the calendar module, is 404.
 */
export function registerIcalExport(app: App) {
  app.get('/ical/:file', async (c) => {
    const match = /^(.+)\.ics$/.exec(c.req.param('file'))
    const body = match?.[1] ? await exportCalendar(c.var.caller.services, match[1], new Date()) : null
    if (body === null) throw notFound('calendar')
    return c.body(body, 200, {
      'Content-Type': 'text/calendar; charset=utf-8',
      'Content-Disposition': 'inline; filename="calendar.ics"',
      // The token is in the URL: no shared cache may keep the answer.
      'Cache-Control': 'private, no-store',
    })
  })
}
