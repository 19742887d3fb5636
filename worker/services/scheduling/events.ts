import type { Services } from '../../runtime/ports.ts'
import { publishEvents } from '../realtime/publish.ts'

/**
 * The scheduling module's live events, for staff pages that update without a reload (the day
 * view). Ids only, never a customer's name or phone: a page that hears one re-reads its fragment
 * through the verbs, which check the viewer's permission.
 */
export type SchedulingEvent =
  | {
      type: 'appointment.created'
      appointmentId: string
      professionalId: string
      startsAt: string
      source: string
    }
  | { type: 'appointment.rescheduled'; appointmentId: string; professionalId: string; startsAt: string }
  | { type: 'appointment.status_changed'; appointmentId: string; status: string }

/**
 * Publishes one event after the transaction that caused it committed (call it through
 * `ctx.afterCommit` or after the transaction returns). On the tenant's live channel it becomes a
 * `schedule.changed` signal (topic `schedule`); never throws (see `publishEvents`), and the day
 * view polls when the channel is down.
 */
export async function publishSchedulingEvent(
  services: Services,
  tenantId: string,
  event: SchedulingEvent,
): Promise<void> {
  await publishEvents(services, tenantId, [{ type: 'schedule.changed', appointmentId: event.appointmentId }])
}
