import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import {
  DEAD_LETTERS_RETENTION_DAYS,
  LOGIN_ATTEMPTS_RETENTION_DAYS,
  WEBHOOK_EVENTS_RETENTION_DAYS,
  WEBHOOK_SEEN_RETENTION_DAYS,
} from './processing-records.ts'

/**
 * Rows one run deletes from one table at most, so the cron tick's transaction stays short; a
 * backlog (the first run, a plan moved to a shorter retention) drains over the next ticks.
 */
export const RETENTION_BATCH_ROWS = 50_000

export type RetentionResult = {
  /** Metric points deleted per tenant (only tenants with deletions appear). */
  metricPoints: Record<string, number>
  webhookEvents: number
  webhookSeen: number
  loginAttempts: number
  resetRequests: number
  deadLetters: number
}

/**
 * Deletes what is past its retention, in the caller's transaction (the cron tick's, operator
 * mode, after it claimed its slot): metric points older than the retention_days of the plan of
 * each tenant's current license (as auth_entitlement() reads it, like every gate; a tenant without a
 * license keeps its points), raw webhook events, their deduplication claims and login attempts
 * older than their fixed limits, and dead-lettered queue messages. Idempotent: a second run finds nothing more to delete.
 */
export async function purgeExpiredData(tx: Tx, now: Date): Promise<RetentionResult> {
  const points = await tx.execute<{ tenant_id: string; n: number }>(sql`
    with current_plan as (
      select t.id as tenant_id, p.retention_days
      from tenants t cross join lateral auth_entitlement(t.id) e join plans p on p.id = e.plan_id
    ), expired as (
      select m.ctid from metric_points m join current_plan c on c.tenant_id = m.tenant_id
      where m.period_start < (${now}::timestamptz at time zone 'UTC')::date - c.retention_days
      limit ${RETENTION_BATCH_ROWS}
    ), gone as (
      delete from metric_points where ctid in (select ctid from expired) returning tenant_id
    )
    select tenant_id, count(*)::int as n from gone group by tenant_id order by tenant_id`)
  const webhookEvents = await deleteOlderThan(
    tx,
    'webhook_events',
    'received_at',
    now,
    WEBHOOK_EVENTS_RETENTION_DAYS,
  )
  const webhookSeen = await deleteOlderThan(
    tx,
    'meta_webhook_seen',
    'seen_at',
    now,
    WEBHOOK_SEEN_RETENTION_DAYS,
  )
  const loginAttempts = await deleteOlderThan(
    tx,
    'login_attempts',
    'created_at',
    now,
    LOGIN_ATTEMPTS_RETENTION_DAYS,
  )
  // Reset-link requests count for the same rate-limit window: kept as long as login attempts.
  const resetRequests = await deleteOlderThan(
    tx,
    'password_reset_requests',
    'created_at',
    now,
    LOGIN_ATTEMPTS_RETENTION_DAYS,
  )
  const deadLetters = await deleteOlderThan(
    tx,
    'job_dead_letters',
    'received_at',
    now,
    DEAD_LETTERS_RETENTION_DAYS,
  )
  return {
    metricPoints: Object.fromEntries(points.rows.map((row) => [row.tenant_id, row.n])),
    webhookEvents,
    webhookSeen,
    loginAttempts,
    resetRequests,
    deadLetters,
  }
}

async function deleteOlderThan(tx: Tx, table: string, column: string, now: Date, days: number) {
  const name = sql.identifier(table)
  const result = await tx.execute<{ n: number }>(sql`
    with gone as (
      delete from ${name} where ctid in (
        select ctid from ${name}
        where ${sql.identifier(column)} < ${now}::timestamptz - make_interval(days => ${days})
        limit ${RETENTION_BATCH_ROWS})
      returning 1
    )
    select count(*)::int as n from gone`)
  return result.rows[0]?.n ?? 0
}
