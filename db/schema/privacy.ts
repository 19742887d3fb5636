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
/** A request ends when its receipt is written and it is deleted with the rest of the tenant. */
export const ERASURE_STATUSES = ['pending', 'confirmed'] as const
export type ErasureScope = (typeof ERASURE_SCOPES)[number]
export type ErasureStatus = (typeof ERASURE_STATUSES)[number]

/**
 * A tenant's request to be erased whole (LGPD Art. 18 VI), waiting for an operator's confirmation,
 * then carried out by a resumable job (a connection is erased at once, without a request). Tenant-owned, so the erasure deletes it too: what remains is the
 * receipt. `progress` keeps the counts of the batches already committed, so a retried job resumes.
 */
export const erasureRequests = pgTable(
  'erasure_requests',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    status: text('status', { enum: ERASURE_STATUSES }).notNull().default('pending'),
    requestedByType: text('requested_by_type', { enum: ['member', 'operator'] }).notNull(),
    requestedBy: text('requested_by').notNull(),
    confirmedBy: text('confirmed_by'),
    progress: jsonb('progress').$type<Record<string, number>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  },
  (t) => [
    index('erasure_requests_tenant_id_idx').on(t.tenantId, t.createdAt),
    uniqueIndex('erasure_requests_one_open_key')
      .on(t.tenantId)
      .where(sql`status in ('pending', 'confirmed')`),
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
