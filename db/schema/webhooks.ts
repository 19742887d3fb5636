import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'

/** Deliveries already applied, by provider and delivery id: a redelivery is answered 200 and ignored. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    provider: text('provider').notNull(),
    deliveryId: text('delivery_id').notNull(),
    eventType: text('event_type').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.deliveryId] })],
)
