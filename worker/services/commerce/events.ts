import type { OrderStatus } from '../../../db/schema/index.ts'
import type { Services } from '../../runtime/ports.ts'
import { publishEvents } from '../realtime/publish.ts'

/** What the store team's live board hears about: a new order, and each order's moves. */
export type CommerceEvent =
  | { type: 'commerce.order_created'; orderId: string; storeId: string; status: OrderStatus }
  | { type: 'commerce.order_status_changed'; orderId: string; from: OrderStatus; to: OrderStatus }

/**
 * The one place commerce publishes live events, called through `afterCommit` so nothing is heard
 * of an order that rolled back: the tenant's open pages subscribed to `orders` (the board) hear a
 * `commerce.order` signal and fetch their fragment again (docs/realtime.md). Never throws.
 */
export async function publishCommerceEvent(
  services: Services,
  tenantId: string,
  event: CommerceEvent,
): Promise<void> {
  const status = event.type === 'commerce.order_created' ? event.status : event.to
  await publishEvents(services, tenantId, [{ type: 'commerce.order', orderId: event.orderId, status }])
}
