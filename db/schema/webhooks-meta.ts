import {
  bigint,
  bigserial,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { tenants } from './tenancy.ts'

export const META_WEBHOOK_PLATFORMS = ['whatsapp', 'instagram'] as const
export type MetaWebhookPlatform = (typeof META_WEBHOOK_PLATFORMS)[number]

/**
 * A tenant's Meta webhook settings. The app secret and verify token themselves are in the vault
 * (purposes `app_secret` / `verify_token`, owner `meta-webhook`); `version` is the version they
 * were sealed as, so a reader can tell a stale KV value from the current one.
 */
export const metaWebhookSettings = pgTable('meta_webhook_settings', {
  tenantId: text('tenant_id')
    .primaryKey()
    .references(() => tenants.id),
  version: integer('version').notNull().default(1),
  updatedBy: text('updated_by'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})

/**
 * The vault's register of edge copies: secrets a path without Postgres must read (today the Meta
 * webhook secrets, read by tenant slug), sealed in KV under a key derived from the master key
 * rather than the tenant's data key. Destroying the tenant's data key deletes every copy listed
 * here, which is what keeps crypto-shredding true for them (see `Vault.putEdgeCopy`).
 */
export const vaultEdgeCopies = pgTable(
  'vault_edge_copies',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    /** What the copy is for; one copy per tenant and name (a new KV key replaces the old one). */
    name: text('name').notNull(),
    kvKey: text('kv_key').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name] })],
)

/**
 * Events already counted: a WhatsApp message status (`object_id` = wamid, `event` = the status),
 * an Instagram comment or mention (`object_id` = the comment or media id). Inserted with
 * `ON CONFLICT DO NOTHING` in the same statement as the counter increment, so a redelivered or
 * duplicated event never counts twice. Kept 30 days (Meta retries for at most 7).
 */
export const metaWebhookSeen = pgTable(
  'meta_webhook_seen',
  {
    tenantId: text('tenant_id').notNull(),
    platform: text('platform', { enum: META_WEBHOOK_PLATFORMS }).notNull(),
    objectId: text('object_id').notNull(),
    event: text('event').notNull(),
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.platform, t.objectId, t.event] }),
    index('meta_webhook_seen_seen_at_idx').on(t.seenAt),
  ],
)

/**
 * Daily counters from Meta webhooks, per UTC day of the event. WhatsApp: per business phone
 * number, one row per status (`sent`, `delivered`, `read`, `failed`, `played`) with
 * `pricing_category = 'all'` plus one per pricing category Meta reported. Instagram: `comments`
 * and `mentions` per account (`phone_number_id` empty, category `all`). `account_id` is the
 * entry id (the WABA or the Instagram account), the `external_account_id` of a connection.
 */
export const metaWebhookCounters = pgTable(
  'meta_webhook_counters',
  {
    tenantId: text('tenant_id').notNull(),
    platform: text('platform', { enum: META_WEBHOOK_PLATFORMS }).notNull(),
    accountId: text('account_id').notNull(),
    phoneNumberId: text('phone_number_id').notNull().default(''),
    day: date('day', { mode: 'string' }).notNull(),
    metric: text('metric').notNull(),
    pricingCategory: text('pricing_category').notNull().default('all'),
    value: bigint('value', { mode: 'number' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({
      columns: [t.tenantId, t.platform, t.accountId, t.phoneNumberId, t.day, t.metric, t.pricingCategory],
    }),
    index('meta_webhook_counters_tenant_day_idx').on(t.tenantId, t.day),
  ],
)

/**
 * Webhook events nobody counts yet, kept raw (one row per change) so a later feature can replay
 * them. Bounded: rows older than 30 days are purged (the LGPD retention job). `digest` (SHA-256
 * of the stored JSON) makes a redelivery store nothing new.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id').notNull(),
    source: text('source').notNull(),
    object: text('object'),
    field: text('field'),
    payload: jsonb('payload').notNull(),
    digest: text('digest').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_events_digest_key').on(t.tenantId, t.source, t.digest),
    index('webhook_events_tenant_id_idx').on(t.tenantId, t.receivedAt),
    index('webhook_events_received_at_idx').on(t.receivedAt),
  ],
)
