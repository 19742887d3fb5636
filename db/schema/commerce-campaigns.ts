import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { commerceOrders } from './commerce.ts'
import { customers } from './customers.ts'
import { tenants } from './tenancy.ts'

// Campaigns and coupons of the commerce module (docs/commerce.md, "Campaigns"). Money in centavos.

/** What a campaign discounts: the items' subtotal, some items (by product or category), or the shipping. */
export const CAMPAIGN_TARGETS = ['order', 'items', 'shipping'] as const
export const CAMPAIGN_KINDS = ['percent', 'fixed'] as const
/** A budget counts centavos given (`spend`) or orders discounted (`uses`). */
export const CAMPAIGN_BUDGET_KINDS = ['spend', 'uses'] as const
export const REDEMPTION_STATUSES = ['active', 'returned'] as const

export type CampaignTarget = (typeof CAMPAIGN_TARGETS)[number]
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number]
export type CampaignBudgetKind = (typeof CAMPAIGN_BUDGET_KINDS)[number]

const tenantId = () =>
  text('tenant_id')
    .notNull()
    .references(() => tenants.id)

/**
 * A discount with a period, rules and an optional budget. With a `code` it is a coupon the
 * customer types (unique per tenant whatever its case); without, it applies by itself.
 * `budget_used` only moves by a conditional UPDATE, and its CHECK refuses passing the limit.
 */
export const commerceCampaigns = pgTable(
  'commerce_campaigns',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    code: text('code'),
    target: text('target', { enum: CAMPAIGN_TARGETS }).notNull(),
    kind: text('kind', { enum: CAMPAIGN_KINDS }).notNull(),
    /** Percent (1–100) or centavos, by `kind`. */
    value: integer('value').notNull(),
    /** For `items`: the products and categories whose lines are discounted. */
    productIds: text('product_ids').array().notNull().default(sql`'{}'::text[]`),
    categoryIds: text('category_ids').array().notNull().default(sql`'{}'::text[]`),
    minimumOrderCents: integer('minimum_order_cents').notNull().default(0),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    budgetKind: text('budget_kind', { enum: CAMPAIGN_BUDGET_KINDS }),
    budgetLimit: integer('budget_limit'),
    budgetUsed: integer('budget_used').notNull().default(0),
    perCustomerLimit: integer('per_customer_limit'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('commerce_campaigns_tenant_id_idx').on(t.tenantId, t.startsAt),
    uniqueIndex('commerce_campaigns_code_key')
      .on(t.tenantId, sql`lower(${t.code})`)
      .where(sql`${t.code} is not null`),
    check('commerce_campaigns_value', sql`${t.value} > 0 and (${t.kind} <> 'percent' or ${t.value} <= 100)`),
    check('commerce_campaigns_code_format', sql`${t.code} is null or ${t.code} ~ '^[A-Za-z0-9_-]{3,40}$'`),
    check('commerce_campaigns_minimum', sql`${t.minimumOrderCents} >= 0`),
    check('commerce_campaigns_period', sql`${t.endsAt} is null or ${t.endsAt} > ${t.startsAt}`),
    check(
      'commerce_campaigns_budget',
      sql`(${t.budgetKind} is null and ${t.budgetLimit} is null) or (${t.budgetKind} is not null and ${t.budgetLimit} > 0)`,
    ),
    check(
      'commerce_campaigns_budget_used',
      sql`${t.budgetUsed} >= 0 and (${t.budgetLimit} is null or ${t.budgetUsed} <= ${t.budgetLimit})`,
    ),
    check('commerce_campaigns_per_customer', sql`${t.perCustomerLimit} is null or ${t.perCustomerLimit} > 0`),
  ],
)

/** One per order a campaign discounted; `returned` when the order was cancelled or refunded. */
export const commerceCampaignRedemptions = pgTable(
  'commerce_campaign_redemptions',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => commerceCampaigns.id, { onDelete: 'cascade' }),
    orderId: text('order_id')
      .notNull()
      .references(() => commerceOrders.id, { onDelete: 'cascade' }),
    customerId: text('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    discountCents: integer('discount_cents').notNull(),
    status: text('status', { enum: REDEMPTION_STATUSES }).notNull().default('active'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    returnedAt: timestamp('returned_at', { withTimezone: true }),
  },
  (t) => [
    index('commerce_campaign_redemptions_tenant_id_idx').on(t.tenantId),
    uniqueIndex('commerce_campaign_redemptions_key').on(t.campaignId, t.orderId),
    index('commerce_campaign_redemptions_order_idx').on(t.orderId),
    check('commerce_campaign_redemptions_discount', sql`${t.discountCents} > 0`),
  ],
)

/** A customer's active uses of a campaign: the counter the per-customer limit is enforced on. */
export const commerceCampaignCustomerUses = pgTable(
  'commerce_campaign_customer_uses',
  {
    tenantId: tenantId(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => commerceCampaigns.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    uses: integer('uses').notNull(),
  },
  (t) => [
    primaryKey({ name: 'commerce_campaign_customer_uses_pk', columns: [t.campaignId, t.customerId] }),
    index('commerce_campaign_customer_uses_tenant_id_idx').on(t.tenantId),
    index('commerce_campaign_customer_uses_customer_idx').on(t.customerId),
    check('commerce_campaign_customer_uses_uses', sql`${t.uses} >= 0`),
  ],
)
