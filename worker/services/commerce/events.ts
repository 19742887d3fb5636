import type { OrderStatus } from '../../../db/schema/index.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'

/** What the store team's live board hears about: a new order, and each order's moves. */
export type CommerceEvent =
  | { type: 'commerce.order_created'; orderId: string; storeId: string; status: OrderStatus }
  | { type: 'commerce.order_status_changed'; orderId: string; from: OrderStatus; to: OrderStatus }

/**
 * The one place commerce publishes live events, called through `afterCommit` so nothing is heard
 * of an order that rolled back. SEAM: the per-tenant live channel (a `services.events.publish(
 * tenantId, topic, event)` port) is being built on another branch; until it is wired here the
 * event is only logged, and the portal's board polls its list every 15 seconds instead.
 */
export async function publishCommerceEvent(
  _services: Services,
  tenantId: string,
  event: CommerceEvent,
): Promise<void> {
  log('info', 'commerce event', { tenant_id: tenantId, event: event.type, order_id: event.orderId })
}
