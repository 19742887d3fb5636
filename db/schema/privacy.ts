import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { tenants } from './tenancy.ts'

export const EXPORT_STATUSES = ['queued', 'running', 'completed', 'failed'] as const
export type ExportStatus = (typeof EXPORT_STATUSES)[number]

export type ExportProgress = {
  /** Files of the archive finished, out of `totalFiles`. */
  doneFiles: number
  totalFiles: number
  /** Rows written so far, per file (`users.ndjson` → 3). */
  rows: Record<string, number>
}

/**
 * A portability export (LGPD Art. 18 V, 19): one zip of NDJSON files in the EXPORTS bucket, built
 * by a queue job. Tenant-owned; at most one queued or running per tenant.
 */
export const dataExports = pgTable(
  'data_exports',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    requestedBy: text('requested_by').notNull(),
    status: text('status', { enum: EXPORT_STATUSES }).notNull().default('queued'),
    progress: jsonb('progress').$type<ExportProgress>(),
    objectKey: text('object_key'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** After this the archive is no longer offered (and the bucket's lifecycle rule deletes it). */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [
    index('data_exports_tenant_id_idx').on(t.tenantId, t.createdAt),
    uniqueIndex('data_exports_one_in_flight_key').on(t.tenantId).where(sql`status in ('queued', 'running')`),
  ],
)

export const ERASURE_SCOPES = ['tenant', 'connection'] as const
/**
 * `pending`: the owner asked for the whole tenant, an operator has not confirmed yet.
 * `scheduled`: confirmed; the subject is stopped and the deletion waits for `scheduled_for`
 * (the grace period), cancellable until then. `erasing`: the cron tick found it due and handed
 * it to the deletion job. `canceled`: stopped within the grace period, nothing deleted.
 * `completed`: a connection's deletion is done (a tenant's request goes with the tenant: its
 * receipt is what remains).
 */
export const ERASURE_STATUSES = ['pending', 'scheduled', 'erasing', 'canceled', 'completed'] as const
export type ErasureScope = (typeof ERASURE_SCOPES)[number]
export type ErasureStatus = (typeof ERASURE_STATUSES)[number]

/**
 * A request to erase a whole tenant or one connection (LGPD Art. 18 VI). A tenant's request is
 * the owner's, confirmed by an operator, or an operator's own; a connection's is an owner's or
 * admin's. Once confirmed the subject is suspended at once (`previous_status` keeps what it was, so
 * a cancellation restores it) and the deletion runs after the grace period, found by the cron tick.
 * Tenant-owned, so a tenant's erasure deletes it too: what remains is the receipt. `progress`
 * keeps the counts of the batches already committed, so a retried job resumes.
 */
export const erasureRequests = pgTable(
  'erasure_requests',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    scope: text('scope', { enum: ERASURE_SCOPES }).notNull().default('tenant'),
    /** The tenant's id, or the connection's (not `connection_id`: a connection's erasure must not delete its own request). */
    subjectId: text('subject_id').notNull(),
    status: text('status', { enum: ERASURE_STATUSES }).notNull().default('pending'),
    requestedByType: text('requested_by_type', { enum: ['member', 'operator'] }).notNull(),
    requestedBy: text('requested_by').notNull(),
    confirmedBy: text('confirmed_by'),
    /** Days between confirmation and deletion; fewer than the configured default only at the owner's confirmed request. */
    graceDays: integer('grace_days'),
    /** The subject's status before the suspension, restored by a cancellation. */
    previousStatus: text('previous_status'),
    progress: jsonb('progress').$type<Record<string, number>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    /** When the deletion becomes due (the receipt's answer to "when will my data be deleted"). */
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    canceledBy: text('canceled_by'),
    canceledAt: timestamp('canceled_at', { withTimezone: true }),
    cancelReason: text('cancel_reason'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    receiptId: text('receipt_id'),
  },
  (t) => [
    index('erasure_requests_tenant_id_idx').on(t.tenantId, t.createdAt),
    uniqueIndex('erasure_requests_one_open_key')
      .on(t.tenantId, t.subjectId)
      .where(sql`status in ('pending', 'scheduled', 'erasing')`),
    // The cron tick's scan for requests whose grace period is over.
    index('erasure_requests_due_idx').on(t.scheduledFor).where(sql`status = 'scheduled'`),
  ],
)

/**
 * Proof that an erasure happened: what was erased, how many rows per table, KV keys and archives
 * deleted, whether the data key was destroyed, and when. Ids and counts only, no personal data,
 * and no foreign key to the tenant: this row outlives everything it describes.
 */
export const erasureReceipts = pgTable(
  'erasure_receipts',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    scope: text('scope', { enum: ERASURE_SCOPES }).notNull(),
    subjectId: text('subject_id').notNull(),
    requestId: text('request_id'),
    requestedAt: timestamp('requested_at', { withTimezone: true }),
    confirmedBy: text('confirmed_by'),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    /** Rows deleted per table (`metric_points` → 1200). */
    rowCounts: jsonb('row_counts').$type<Record<string, number>>().notNull(),
    kvKeysDeleted: integer('kv_keys_deleted').notNull().default(0),
    objectsDeleted: integer('objects_deleted').notNull().default(0),
    keyDestroyed: boolean('key_destroyed').notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('erasure_receipts_tenant_id_idx').on(t.tenantId, t.completedAt)],
)
