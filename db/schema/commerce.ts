import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { customers } from './customers.ts'
import { tenants } from './tenancy.ts'

// The commerce module (docs/commerce.md): stores, catalog, stock that never oversells, checkout,
// payments, orders and their public tracking. Money is always integer centavos.

export const STORE_STATUSES = ['open', 'closed', 'paused'] as const
export const FULFILMENTS = ['delivery', 'pickup'] as const
export const ORDER_STATUSES = [
  'pending_payment',
  'paid',
  'accepted',
  'preparing',
  'out_for_delivery',
  'ready_for_pickup',
  'delivered',
  'cancelled',
  'refunded',
] as const
export const PAYMENT_STATUSES = [
  'creating',
  'pending',
  'approved',
  'rejected',
  'expired',
  'refunded',
] as const
export const RESERVATION_STATUSES = ['held', 'sold', 'released'] as const
export const STOCK_MOVEMENT_KINDS = ['sale', 'cancellation', 'adjustment', 'restock'] as const
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const

export type StoreStatus = (typeof STORE_STATUSES)[number]
export type Fulfilment = (typeof FULFILMENTS)[number]
export type OrderStatus = (typeof ORDER_STATUSES)[number]
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number]
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number]
export type Weekday = (typeof WEEKDAYS)[number]

/** Opening intervals per weekday in the store's time zone, `HH:MM` each: `{ mon: [["09:00","18:00"]] }`. */
export type OpeningHours = Partial<Record<Weekday, [string, string][]>>
/** A day that differs from the weekly hours (a holiday closed, a Sunday opened). */
export type HoursException = { date: string; intervals: [string, string][] }

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}
const tenantId = () =>
  text('tenant_id')
    .notNull()
    .references(() => tenants.id)

/**
 * The tenant's storefront settings: the browser origins the public storefront API answers with
 * CORS, and the WhatsApp number order updates go out from (none: e-mail only).
 */
export const commerceSettings = pgTable('commerce_settings', {
  tenantId: text('tenant_id')
    .primaryKey()
    .references(() => tenants.id),
  storefrontOrigins: text('storefront_origins').array().notNull().default(sql`'{}'::text[]`),
  whatsappConnectionId: text('whatsapp_connection_id'),
  whatsappPhoneNumberId: text('whatsapp_phone_number_id'),
  ...timestamps,
})

/** A shop that sells for delivery and/or pickup; how many a tenant may have is its plan's `stores_limit`. */
export const commerceStores = pgTable(
  'commerce_stores',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    status: text('status', { enum: STORE_STATUSES }).notNull().default('open'),
    /** IANA zone the opening hours are in. */
    timezone: text('timezone').notNull().default('America/Sao_Paulo'),
    street: text('street').notNull(),
    city: text('city').notNull(),
    state: text('state').notNull(),
    /** Brazilian postal code, 8 digits. */
    cep: text('cep').notNull(),
    latitude: doublePrecision('latitude').notNull(),
    longitude: doublePrecision('longitude').notNull(),
    openingHours: jsonb('opening_hours').$type<OpeningHours>().notNull().default({}),
    hoursExceptions: jsonb('hours_exceptions').$type<HoursException[]>().notNull().default([]),
    /** Orders placed while closed are taken for the next opening instead of refused. */
    preorderWhenClosed: boolean('preorder_when_closed').notNull().default(false),
    pickup: boolean('pickup').notNull().default(true),
    delivery: boolean('delivery').notNull().default(true),
    minimumOrderCents: integer('minimum_order_cents').notNull().default(0),
    ...timestamps,
  },
  (t) => [
    index('commerce_stores_tenant_id_idx').on(t.tenantId),
    uniqueIndex('commerce_stores_name_key').on(t.tenantId, t.name),
    check('commerce_stores_cep_format', sql`${t.cep} ~ '^[0-9]{8}$'`),
    check('commerce_stores_minimum_order', sql`${t.minimumOrderCents} >= 0`),
    check('commerce_stores_fulfilment', sql`${t.pickup} or ${t.delivery}`),
  ],
)

export const commerceCategories = pgTable(
  'commerce_categories',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    position: integer('position').notNull().default(0),
    ...timestamps,
  },
  (t) => [
    index('commerce_categories_tenant_id_idx').on(t.tenantId),
    uniqueIndex('commerce_categories_name_key').on(t.tenantId, t.name),
  ],
)

export const commerceProducts = pgTable(
  'commerce_products',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    categoryId: text('category_id').references(() => commerceCategories.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    description: text('description'),
    priceCents: integer('price_cents').notNull(),
    active: boolean('active').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    index('commerce_products_tenant_id_idx').on(t.tenantId, t.id),
    check('commerce_products_price', sql`${t.priceCents} >= 0`),
  ],
)

/** Add-ons of a product: the customer picks between `min_choices` and `max_choices` of its options. */
export const commerceOptionGroups = pgTable(
  'commerce_option_groups',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    productId: text('product_id')
      .notNull()
      .references(() => commerceProducts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    minChoices: integer('min_choices').notNull().default(0),
    maxChoices: integer('max_choices').notNull().default(1),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    index('commerce_option_groups_tenant_id_idx').on(t.tenantId),
    index('commerce_option_groups_product_idx').on(t.productId),
    check(
      'commerce_option_groups_choices',
      sql`${t.minChoices} >= 0 and ${t.maxChoices} >= greatest(${t.minChoices}, 1)`,
    ),
  ],
)

export const commerceOptions = pgTable(
  'commerce_options',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    groupId: text('group_id')
      .notNull()
      .references(() => commerceOptionGroups.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Added to the product's price per unit (may be 0). */
    priceDeltaCents: integer('price_delta_cents').notNull().default(0),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    index('commerce_options_tenant_id_idx').on(t.tenantId),
    index('commerce_options_group_idx').on(t.groupId),
    check('commerce_options_delta', sql`${t.priceDeltaCents} >= 0`),
  ],
)

/**
 * A product's stock in one store, which is also whether the store sells it (`available`).
 * `reserved` units are held by unpaid orders; `on_hand - reserved` is what can still be sold.
 * The CHECK is the last word: no statement can leave more reserved than there is, nor less than
 * none, whatever the application does.
 */
export const commerceStock = pgTable(
  'commerce_stock',
  {
    tenantId: tenantId(),
    storeId: text('store_id')
      .notNull()
      .references(() => commerceStores.id, { onDelete: 'cascade' }),
    productId: text('product_id')
      .notNull()
      .references(() => commerceProducts.id, { onDelete: 'cascade' }),
    available: boolean('available').notNull().default(true),
    onHand: integer('on_hand').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.storeId, t.productId] }),
    index('commerce_stock_tenant_id_idx').on(t.tenantId),
    index('commerce_stock_product_idx').on(t.productId),
    check('commerce_stock_reserved', sql`${t.reserved} >= 0 and ${t.reserved} <= ${t.onHand}`),
  ],
)

/** Units held for an unpaid order until `expires_at`; sold when paid, released when it expires or fails. */
export const commerceReservations = pgTable(
  'commerce_reservations',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    orderId: text('order_id')
      .notNull()
      .references(() => commerceOrders.id, { onDelete: 'cascade' }),
    storeId: text('store_id').notNull(),
    productId: text('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    status: text('status', { enum: RESERVATION_STATUSES }).notNull().default('held'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('commerce_reservations_tenant_id_idx').on(t.tenantId),
    index('commerce_reservations_order_idx').on(t.orderId),
    // The cron's scan for expired holds.
    index('commerce_reservations_due_idx').on(t.expiresAt).where(sql`status = 'held'`),
    check('commerce_reservations_quantity', sql`${t.quantity} > 0`),
  ],
)

/** Every change of `on_hand`, with who and why: sales, cancellations of sold orders, adjustments, restocks. */
export const commerceStockMovements = pgTable(
  'commerce_stock_movements',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    storeId: text('store_id').notNull(),
    productId: text('product_id').notNull(),
    kind: text('kind', { enum: STOCK_MOVEMENT_KINDS }).notNull(),
    /** Signed change of `on_hand`. */
    delta: integer('delta').notNull(),
    orderId: text('order_id'),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('commerce_stock_movements_tenant_id_idx').on(t.tenantId),
    index('commerce_stock_movements_stock_idx').on(t.storeId, t.productId, t.createdAt),
  ],
)

/** Delivery price by straight-line distance: the first band whose `max_km` covers the distance. */
export const commerceShippingBands = pgTable(
  'commerce_shipping_bands',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    storeId: text('store_id')
      .notNull()
      .references(() => commerceStores.id, { onDelete: 'cascade' }),
    maxKm: doublePrecision('max_km').notNull(),
    priceCents: integer('price_cents').notNull(),
  },
  (t) => [
    index('commerce_shipping_bands_tenant_id_idx').on(t.tenantId),
    uniqueIndex('commerce_shipping_bands_key').on(t.storeId, t.maxKm),
    check('commerce_shipping_bands_values', sql`${t.maxKm} > 0 and ${t.priceCents} >= 0`),
  ],
)

/** Commerce's own fact about a shared customer: where they get deliveries. */
export const commerceAddresses = pgTable(
  'commerce_addresses',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    street: text('street').notNull(),
    number: text('number').notNull(),
    complement: text('complement'),
    district: text('district'),
    city: text('city').notNull(),
    state: text('state').notNull(),
    cep: text('cep').notNull(),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    ...timestamps,
  },
  (t) => [
    index('commerce_addresses_tenant_id_idx').on(t.tenantId),
    uniqueIndex('commerce_addresses_key').on(t.customerId, t.cep, t.street, t.number),
  ],
)

/** What an order's delivery address was when it was placed (kept on the order, anonymized on erasure). */
export type OrderAddress = {
  street: string
  number: string
  complement?: string | null
  district?: string | null
  city: string
  state: string
  cep: string
}

/**
 * One checkout. `idempotency_key` is the client's key for the request: unique per tenant, so a
 * retried checkout finds this order instead of making a second one; `request_hash` tells a retry
 * from another request reusing the key. The customer's name and contact are copied as they were
 * (a receipt does not change when the customer does); erasure blanks them, keeping the amounts.
 */
export const commerceOrders = pgTable(
  'commerce_orders',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    storeId: text('store_id')
      .notNull()
      .references(() => commerceStores.id),
    customerId: text('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('pending_payment'),
    fulfilment: text('fulfilment', { enum: FULFILMENTS }).notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    customerName: text('customer_name').notNull(),
    customerPhone: text('customer_phone'),
    customerEmail: text('customer_email'),
    address: jsonb('address').$type<OrderAddress>(),
    subtotalCents: integer('subtotal_cents').notNull(),
    shippingCents: integer('shipping_cents').notNull(),
    /** Campaigns' and coupons' discount (commerce-campaigns.ts); the total is net of it. */
    discountCents: integer('discount_cents').notNull().default(0),
    totalCents: integer('total_cents').notNull(),
    /** Placed while the store was closed: to be prepared at the next opening. */
    preorder: boolean('preorder').notNull().default(false),
    notes: text('notes'),
    /** Unpaid after this, the order is cancelled and its stock released. */
    paymentDueAt: timestamp('payment_due_at', { withTimezone: true }).notNull(),
    anonymizedAt: timestamp('anonymized_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('commerce_orders_tenant_id_idx').on(t.tenantId, t.createdAt, t.id),
    index('commerce_orders_status_idx').on(t.tenantId, t.status, t.createdAt, t.id),
    index('commerce_orders_customer_idx').on(t.customerId),
    uniqueIndex('commerce_orders_idempotency_key').on(t.tenantId, t.idempotencyKey),
    check(
      'commerce_orders_amounts',
      sql`${t.subtotalCents} >= 0 and ${t.shippingCents} >= 0 and ${t.discountCents} >= 0 and ${t.discountCents} <= ${t.subtotalCents} + ${t.shippingCents} and ${t.totalCents} = ${t.subtotalCents} + ${t.shippingCents} - ${t.discountCents}`,
    ),
  ],
)

/** A chosen option as it was priced when ordered. */
export type OrderItemOption = { id: string; group: string; name: string; priceDeltaCents: number }

export const commerceOrderItems = pgTable(
  'commerce_order_items',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    orderId: text('order_id')
      .notNull()
      .references(() => commerceOrders.id, { onDelete: 'cascade' }),
    productId: text('product_id').notNull(),
    name: text('name').notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
    options: jsonb('options').$type<OrderItemOption[]>().notNull().default([]),
    lineTotalCents: integer('line_total_cents').notNull(),
  },
  (t) => [
    index('commerce_order_items_tenant_id_idx').on(t.tenantId),
    index('commerce_order_items_order_idx').on(t.orderId),
    check('commerce_order_items_quantity', sql`${t.quantity} > 0`),
  ],
)

/**
 * The order's payment at the provider. `creating` until the provider answered (the call happens
 * between the checkout's two transactions); `provider_payment_id` is how the webhook finds it.
 */
export const commercePayments = pgTable(
  'commerce_payments',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    orderId: text('order_id')
      .notNull()
      .references(() => commerceOrders.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    method: text('method').notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull().default('creating'),
    amountCents: integer('amount_cents').notNull(),
    providerPaymentId: text('provider_payment_id'),
    /** PIX "copia e cola" (EMV payload the customer's bank app reads). */
    pixCode: text('pix_code'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('commerce_payments_tenant_id_idx').on(t.tenantId),
    uniqueIndex('commerce_payments_order_key').on(t.orderId),
    uniqueIndex('commerce_payments_provider_key').on(t.provider, t.providerPaymentId),
  ],
)

/** Webhook deliveries already applied, by the sender's `webhook-id`: a redelivery changes nothing. */
export const commercePaymentEvents = pgTable(
  'commerce_payment_events',
  {
    tenantId: tenantId(),
    webhookId: text('webhook_id').notNull(),
    paymentId: text('payment_id').notNull(),
    status: text('status').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.webhookId] })],
)

/** How a delivery order's fee was found. */
export const commerceDeliveries = pgTable(
  'commerce_deliveries',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    orderId: text('order_id')
      .notNull()
      .references(() => commerceOrders.id, { onDelete: 'cascade' }),
    distanceKm: doublePrecision('distance_km').notNull(),
    /** `straight_line` (Haversine): the distance the bands are priced on. */
    distanceMethod: text('distance_method').notNull(),
    feeCents: integer('fee_cents').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('commerce_deliveries_tenant_id_idx').on(t.tenantId),
    uniqueIndex('commerce_deliveries_order_key').on(t.orderId),
  ],
)

/** Every status an order went through, who moved it and why (the audit log has the same with request facts). */
export const commerceOrderEvents = pgTable(
  'commerce_order_events',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    orderId: text('order_id')
      .notNull()
      .references(() => commerceOrders.id, { onDelete: 'cascade' }),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('commerce_order_events_tenant_id_idx').on(t.tenantId),
    index('commerce_order_events_order_idx').on(t.orderId, t.createdAt),
  ],
)
