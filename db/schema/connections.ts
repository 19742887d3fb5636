import { sql } from 'drizzle-orm'
import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { tenants } from './tenancy.ts'

export const PLATFORMS = ['instagram', 'facebook', 'x', 'tiktok', 'whatsapp'] as const
/** `disconnected`: deleted by the tenant with its metrics kept; its tokens are gone. */
export const CONNECTION_STATUSES = ['active', 'needs_reconnect', 'paused', 'error', 'disconnected'] as const
export type Platform = (typeof PLATFORMS)[number]
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number]

/**
 * Each tenant's data key, wrapped by a master key (`master_kid` says which). Destroying it
 * (wrapped_key null, destroyed_at set) makes every ciphertext of the tenant unreadable.
 */
export const tenantKeys = pgTable('tenant_keys', {
  tenantId: text('tenant_id')
    .primaryKey()
    .references(() => tenants.id),
  masterKid: text('master_kid'),
  wrappedKey: text('wrapped_key'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  rewrappedAt: timestamp('rewrapped_at', { withTimezone: true }),
  destroyedAt: timestamp('destroyed_at', { withTimezone: true }),
})

/**
 * A tenant's account on a platform. Tokens are not here: they live encrypted in KV; this row
 * keeps their version and expiry so a reader can tell a stale KV value from the current one.
 */
export const connections = pgTable(
  'connections',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    platform: text('platform', { enum: PLATFORMS }).notNull(),
    externalAccountId: text('external_account_id').notNull(),
    label: text('label'),
    displayName: text('display_name'),
    status: text('status', { enum: CONNECTION_STATUSES }).notNull().default('active'),
    tokenVersion: integer('token_version').notNull().default(1),
    tokenExpiresAt: timestamp('token_expires_at', { withTimezone: true }),
    hasRefreshToken: boolean('has_refresh_token').notNull().default(false),
    lastCollectedAt: timestamp('last_collected_at', { withTimezone: true }),
    nextCollectAt: timestamp('next_collect_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
    /** Last "collect now" request: manual runs are limited to one per few minutes. */
    manualRequestedAt: timestamp('manual_requested_at', { withTimezone: true }),
    backfillDoneDays: integer('backfill_done_days').notNull().default(0),
    backfillTotalDays: integer('backfill_total_days').notNull().default(0),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('connections_tenant_id_idx').on(t.tenantId),
    uniqueIndex('connections_account_key').on(t.tenantId, t.platform, t.externalAccountId),
    // The cron's keyset scan over due connections.
    index('connections_due_idx').on(t.nextCollectAt, t.id).where(sql`status = 'active'`),
  ],
)

export const CONSENT_SUBJECTS = ['tenant', 'connection'] as const

/**
 * Append-only consent records (LGPD Art. 8): the latest record per subject and purpose is the
 * current state. Collection requires `metrics_collection` granted for the tenant and not
 * revoked for the connection.
 */
export const consents = pgTable(
  'consents',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    subject: text('subject', { enum: CONSENT_SUBJECTS }).notNull(),
    subjectId: text('subject_id').notNull(),
    purpose: text('purpose').notNull(),
    policyVersion: text('policy_version').notNull(),
    granted: boolean('granted').notNull(),
    actorId: text('actor_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('consents_tenant_id_idx').on(t.tenantId, t.subject, t.subjectId, t.purpose, t.createdAt)],
)
