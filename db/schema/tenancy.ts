import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

export const TENANT_STATUSES = ['active', 'suspended', 'deleted'] as const
export const MODULES = [
  'metrics',
  'calendar',
  // Stores, catalog, stock, checkout and orders (docs/commerce.md).
  'commerce',
  // The WhatsApp attendance inbox (docs/attendance.md).
  'attendance',
  // Services, professionals and appointments that cannot double-book (docs/scheduling.md).
  'scheduling',
] as const
export const LICENSE_STATUSES = [
  'trialing',
  'active',
  'past_due',
  'suspended',
  'expired',
  'canceled',
] as const

export type TenantStatus = (typeof TENANT_STATUSES)[number]
export type Module = (typeof MODULES)[number]
export type LicenseStatus = (typeof LICENSE_STATUSES)[number]

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}

/** A customer of the platform (agency or business). Global: read by id/slug after authentication. */
export const tenants = pgTable(
  'tenants',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    status: text('status', { enum: TENANT_STATUSES }).notNull().default('active'),
    /** X bills every read (pay-per-use): a tenant can switch X collection off. */
    xCollectionEnabled: boolean('x_collection_enabled').notNull().default(true),
    /** The owner's switch: every member signs in with a second factor (those without one enrol first). */
    requireTotp: boolean('require_totp').notNull().default(false),
    /** Where the business is (IANA): times on screen for members who chose no zone of their own. */
    timeZone: text('time_zone').notNull().default('America/Sao_Paulo'),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('tenants_slug_key').on(t.slug),
    check('tenants_slug_format', sql`${t.slug} ~ '^[a-z0-9](-?[a-z0-9])*$' and length(${t.slug}) <= 48`),
  ],
)

/** What a license sells: modules and limits. Retired plans keep their licenses but cannot be sold. */
export const plans = pgTable(
  'plans',
  {
    id: text('id').primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    modules: text('modules').array().notNull().default(sql`'{}'::text[]`),
    usersLimit: integer('users_limit').notNull(),
    connectionsLimit: integer('connections_limit').notNull(),
    retentionDays: integer('retention_days').notNull(),
    collectionIntervalMinutes: integer('collection_interval_minutes').notNull(),
    /** Stores of the commerce module a tenant may have (migration 0028). */
    storesLimit: integer('stores_limit').notNull().default(1),
    /** Messages the attendance team may send per calendar month (UTC). */
    attendanceMessagesLimit: integer('attendance_messages_limit').notNull().default(1000),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [uniqueIndex('plans_code_key').on(t.code)],
)

/**
 * A tenant's right to use a plan for a period. Tenant-owned (row-level security). Several rows
 * per tenant are history; the current one is the latest created that is not canceled/expired.
 */
export const licenses = pgTable(
  'licenses',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id),
    status: text('status', { enum: LICENSE_STATUSES }).notNull(),
    validFrom: timestamp('valid_from', { withTimezone: true }).notNull(),
    validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
    externalRef: text('external_ref'),
    ...timestamps,
  },
  (t) => [
    index('licenses_tenant_id_idx').on(t.tenantId, t.createdAt),
    index('licenses_valid_until_idx').on(t.validUntil),
    uniqueIndex('licenses_external_ref_key').on(t.externalRef),
    check('licenses_validity', sql`${t.validUntil} > ${t.validFrom}`),
  ],
)
