import {
  bigserial,
  date,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core'
import { connections } from './connections.ts'

export const GRANULARITIES = ['day', 'lifetime'] as const
export const RUN_KINDS = ['scheduled', 'manual', 'backfill'] as const
export const RUN_STATUSES = ['running', 'succeeded', 'partial', 'retrying', 'failed', 'dead'] as const

/**
 * Daily history of every metric. One row per connection, metric, granularity and UTC day;
 * collection upserts, so re-collecting a day (or redelivering a message) never duplicates.
 */
export const metricPoints = pgTable(
  'metric_points',
  {
    tenantId: text('tenant_id').notNull(),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    metric: text('metric').notNull(),
    granularity: text('granularity', { enum: GRANULARITIES }).notNull(),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    value: doublePrecision('value').notNull(),
    collectedAt: timestamp('collected_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.metric, t.granularity, t.periodStart] }),
    index('metric_points_tenant_id_idx').on(t.tenantId, t.periodStart),
    // Migration 0022 adds INCLUDE (connection_id, granularity, value), which drizzle cannot
    // declare: the dashboard's summary and charts statements read it alone (index-only scans).
    index('metric_points_tenant_metric_idx').on(t.tenantId, t.metric, t.periodStart),
  ],
)

/** One row per collection attempt: what ran, how it ended, how many points and API calls. */
export const collectionRuns = pgTable(
  'collection_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id').notNull(),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: RUN_KINDS }).notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull(),
    messageId: text('message_id'),
    attempt: integer('attempt').notNull().default(1),
    /** The UTC days the run covered; backfill progress counts the distinct days of successful runs. */
    rangeFrom: date('range_from', { mode: 'string' }),
    rangeTo: date('range_to', { mode: 'string' }),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    points: integer('points').notNull().default(0),
    apiCalls: integer('api_calls').notNull().default(0),
    error: text('error'),
    failedMetrics: text('failed_metrics').array(),
  },
  (t) => [
    index('collection_runs_tenant_id_idx').on(t.tenantId, t.connectionId, t.startedAt),
    index('collection_runs_started_at_idx').on(t.startedAt),
  ],
)
