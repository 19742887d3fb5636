import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'

/**
 * The scheduling module's live events, for staff pages that update without a reload (the day
 * view): one topic per tenant, `scheduling`. Ids only, never a customer's name or phone: a page
 * that receives one re-reads its fragment through the API's own permission checks.
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

export const SCHEDULING_TOPIC = 'scheduling'

/**
 * Publishes one event after the transaction that caused it committed (call it through
 * `ctx.afterCommit` or after the transaction returns). MERGE SEAM: the per-tenant live channel
 * (`services.events.publish(tenantId, topic, event)` in worker/runtime/ports.ts) is being built on
 * another branch; until it is wired here, the event is only logged, and the day view polls its
 * fragment every 15 seconds, which works with or without the channel.
 */
export async function publishSchedulingEvent(
  _services: Services,
  tenantId: string,
  event: SchedulingEvent,
): Promise<void> {
  log('info', 'scheduling event', { tenant_id: tenantId, topic: SCHEDULING_TOPIC, event: event.type })
}
