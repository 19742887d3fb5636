import type { App } from '../../env.ts'
import { registerSchedulingAppointments } from './appointments.ts'
import { registerSchedulingAvailability } from './availability.ts'
import { registerSchedulingBlockedPeriods } from './blocked-periods.ts'
import { registerSchedulingCustomers } from './customers.ts'
import { registerSchedulingProfessionals } from './professionals.ts'
import { registerSchedulingReminderRules } from './reminder-rules.ts'
import { registerSchedulingServices } from './services.ts'
import { registerSchedulingStats } from './stats.ts'

/** The scheduling module (docs/scheduling.md); the public booking page is in routes/book/. */
export function registerSchedulingRoutes(app: App) {
  registerSchedulingServices(app)
  registerSchedulingProfessionals(app)
  registerSchedulingBlockedPeriods(app)
  registerSchedulingAvailability(app)
  registerSchedulingAppointments(app)
  registerSchedulingReminderRules(app)
  registerSchedulingStats(app)
  registerSchedulingCustomers(app)
}
