import type { App } from '../../env.ts'
import { registerCalendarAlerts } from './alerts.ts'
import { registerCalendarBookings } from './bookings.ts'
import { registerCalendarConflicts } from './conflicts.ts'
import { registerCalendarProperties } from './properties.ts'
import { registerCalendarSources } from './sources.ts'
import { registerCalendarStatistics } from './statistics.ts'

/** The calendar module (README "Calendar module"); the public iCal export is in routes/ical.ts. */
export function registerCalendarRoutes(app: App) {
  registerCalendarProperties(app)
  registerCalendarSources(app)
  registerCalendarBookings(app)
  registerCalendarConflicts(app)
  registerCalendarAlerts(app)
  registerCalendarStatistics(app)
}
