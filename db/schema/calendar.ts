import { sql } from 'drizzle-orm'
import {
  bigserial,
  check,
  date,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { tenants } from './tenancy.ts'

/** Where a calendar feed comes from; manual bookings have no source and count as `direct`. */
export const CALENDAR_CHANNELS = ['airbnb', 'booking', 'vrbo', 'other'] as const
export const BOOKING_CHANNELS = [...CALENDAR_CHANNELS, 'direct'] as const
export const SOURCE_STATUSES = ['active', 'paused'] as const
export const BOOKING_STATUSES = ['confirmed', 'cancelled', 'blocked'] as const
export const CONFLICT_SEVERITIES = ['critical', 'warning', 'info'] as const
export const CONFLICT_STATUSES = ['open', 'resolved'] as const
export const SYNC_RUN_KINDS = ['scheduled', 'manual'] as const
export const SYNC_RUN_STATUSES = ['succeeded', 'not_modified', 'failed'] as const

export type CalendarChannel = (typeof CALENDAR_CHANNELS)[number]
export type BookingChannel = (typeof BOOKING_CHANNELS)[number]
export type BookingStatus = (typeof BOOKING_STATUSES)[number]
export type ConflictSeverity = (typeof CONFLICT_SEVERITIES)[number]

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}

/**
 * A rental unit. `timezone` (IANA) turns timed feed events into check-in/check-out dates. The
 * iCal export token is shown once; only its SHA-256 is kept, so rotating it revokes the old URL.
 */
export const properties = pgTable(
  'properties',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    address: text('address'),
    timezone: text('timezone').notNull(),
    /** Guests the unit sleeps. */
    capacity: integer('capacity'),
    icalTokenHash: text('ical_token_hash'),
    icalTokenCreatedAt: timestamp('ical_token_created_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('properties_tenant_id_idx').on(t.tenantId),
    uniqueIndex('properties_name_key').on(t.tenantId, t.name),
    uniqueIndex('properties_ical_token_key').on(t.icalTokenHash),
  ],
)

/**
 * An iCal feed of one channel for one property. The URL is a secret (whoever has it reads the
 * calendar): it lives in the vault (purpose `ical_url`, version `url_version`); Postgres keeps a
 * masked form and a digest that finds duplicates. `etag`/`last_modified` are the feed's own
 * validators for the next conditional request.
 */
export const calendarSources = pgTable(
  'calendar_sources',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    propertyId: text('property_id')
      .notNull()
      .references(() => properties.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: CALENDAR_CHANNELS }).notNull(),
    name: text('name'),
    urlVersion: integer('url_version').notNull().default(1),
    urlMasked: text('url_masked').notNull(),
    urlDigest: text('url_digest').notNull(),
    etag: text('etag'),
    lastModified: text('last_modified'),
    status: text('status', { enum: SOURCE_STATUSES }).notNull().default('active'),
    lastSyncedAt: timestamp('last_synced_at', { withTimezone: true }),
    nextSyncAt: timestamp('next_sync_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
    /** Last "sync now": manual runs are limited to one a minute. */
    manualRequestedAt: timestamp('manual_requested_at', { withTimezone: true }),
    createdBy: text('created_by'),
    ...timestamps,
  },
  (t) => [
    index('calendar_sources_tenant_id_idx').on(t.tenantId),
    index('calendar_sources_property_idx').on(t.propertyId),
    uniqueIndex('calendar_sources_url_key').on(t.propertyId, t.urlDigest),
    // The cron's keyset scan over due sources.
    index('calendar_sources_due_idx').on(t.nextSyncAt, t.id).where(sql`status = 'active'`),
  ],
)

/**
 * A stay or a block on a property's calendar, from a feed (`source_id`, `uid`) or entered by hand
 * (no source). Dates are nights: `check_out` is exclusive, so a check-out on the day of the next
 * check-in is no overlap. A feed event that disappears is kept as `cancelled`.
 */
export const bookings = pgTable(
  'bookings',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    propertyId: text('property_id')
      .notNull()
      .references(() => properties.id, { onDelete: 'cascade' }),
    sourceId: text('source_id').references(() => calendarSources.id, { onDelete: 'cascade' }),
    uid: text('uid'),
    guestName: text('guest_name'),
    checkIn: date('check_in', { mode: 'string' }).notNull(),
    checkOut: date('check_out', { mode: 'string' }).notNull(),
    status: text('status', { enum: BOOKING_STATUSES }).notNull(),
    /** The feed event's SUMMARY as received ("Reserved", "CLOSED - Not available", …). */
    summary: text('summary'),
    notes: text('notes'),
    createdBy: text('created_by'),
    ...timestamps,
  },
  (t) => [
    index('bookings_tenant_id_idx').on(t.tenantId),
    index('bookings_property_dates_idx').on(t.propertyId, t.checkIn, t.checkOut),
    uniqueIndex('bookings_source_uid_key').on(t.sourceId, t.uid),
    check('bookings_dates_order', sql`${t.checkOut} > ${t.checkIn}`),
  ],
)

/**
 * Two non-cancelled bookings of one property whose nights overlap, `booking_a_id < booking_b_id`
 * so a pair has one row. Recomputed on every booking change: a pair that no longer overlaps is
 * `resolved`; one that overlaps again reopens the same row (and is not alerted twice).
 */
export const calendarConflicts = pgTable(
  'calendar_conflicts',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    propertyId: text('property_id')
      .notNull()
      .references(() => properties.id, { onDelete: 'cascade' }),
    bookingAId: text('booking_a_id')
      .notNull()
      .references(() => bookings.id, { onDelete: 'cascade' }),
    bookingBId: text('booking_b_id')
      .notNull()
      .references(() => bookings.id, { onDelete: 'cascade' }),
    overlapStart: date('overlap_start', { mode: 'string' }).notNull(),
    /** Exclusive, like a check-out. */
    overlapEnd: date('overlap_end', { mode: 'string' }).notNull(),
    severity: text('severity', { enum: CONFLICT_SEVERITIES }).notNull(),
    status: text('status', { enum: CONFLICT_STATUSES }).notNull().default('open'),
    detectedAt: timestamp('detected_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    /** When the alert was delivered; set once, so a conflict is alerted at most once. */
    alertedAt: timestamp('alerted_at', { withTimezone: true }),
    /** A sender's short lease on the alert, so two consumers never send it both. */
    alertClaimedAt: timestamp('alert_claimed_at', { withTimezone: true }),
    alertError: text('alert_error'),
    ...timestamps,
  },
  (t) => [
    index('calendar_conflicts_tenant_id_idx').on(t.tenantId, t.status),
    uniqueIndex('calendar_conflicts_pair_key').on(t.bookingAId, t.bookingBId),
    index('calendar_conflicts_property_idx').on(t.propertyId, t.status),
    index('calendar_conflicts_booking_b_idx').on(t.bookingBId),
  ],
)

/** One row per sync attempt of a source: how it ended and what it changed. */
export const calendarSyncRuns = pgTable(
  'calendar_sync_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id').notNull(),
    sourceId: text('source_id')
      .notNull()
      .references(() => calendarSources.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: SYNC_RUN_KINDS }).notNull(),
    status: text('status', { enum: SYNC_RUN_STATUSES }).notNull(),
    messageId: text('message_id'),
    attempt: integer('attempt').notNull().default(1),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    httpStatus: integer('http_status'),
    bytes: integer('bytes'),
    events: integer('events').notNull().default(0),
    created: integer('created').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    cancelled: integer('cancelled').notNull().default(0),
    error: text('error'),
  },
  (t) => [
    index('calendar_sync_runs_tenant_id_idx').on(t.tenantId),
    index('calendar_sync_runs_source_idx').on(t.sourceId, t.startedAt),
  ],
)

/**
 * Where a tenant's conflict alerts go: a Telegram chat. The bot token is in the vault (purpose
 * `bot_token`, version `version`), never here.
 */
export const calendarAlertSettings = pgTable('calendar_alert_settings', {
  tenantId: text('tenant_id')
    .primaryKey()
    .references(() => tenants.id),
  telegramChatId: text('telegram_chat_id').notNull(),
  version: integer('version').notNull().default(1),
  updatedBy: text('updated_by'),
  ...timestamps,
})
