import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type { JobMessage } from '../../jobs/messages.ts'
import type { JobQueue } from '../../platform/ports.ts'
import { collectableSql, intervalMinutesSql } from './gates.ts'

export const FAN_OUT_PAGE = 1000

/**
 * Enqueues one `collect.connection` per due connection, inside the caller's transaction (the
 * cron tick's, on the system path across tenants). Each page is claimed and leased in one
 * statement: the rows (oldest due first, `FOR UPDATE SKIP LOCKED`) get `next_collect_at` moved one
 * interval ahead, so the next page, a concurrent tick and the next tick never pick them again;
 * the lease is the keyset. Messages are sent before commit: if sending fails, the leases roll
 * back with the tick's claim and the retry redoes it; a message sent twice is harmless because
 * collection upserts.
 */
export async function fanOutDueConnections(
  tx: Tx,
  jobs: JobQueue,
  now: Date,
): Promise<{ connections: number; batches: number; pages: number }> {
  let connections = 0
  let batches = 0
  let pages = 0
  for (;;) {
    const rows = await tx.execute<{ id: string; tenant_id: string }>(sql`
      with due as (
        select c.id from connections c
        where c.next_collect_at <= ${now} and ${collectableSql(now)}
        order by c.next_collect_at, c.id
        limit ${FAN_OUT_PAGE}
        for update of c skip locked
      )
      update connections c
      set next_collect_at = ${now}::timestamptz + make_interval(mins => coalesce(${intervalMinutesSql}, 60))
      from due where c.id = due.id
      returning c.id, c.tenant_id`)
    pages++
    const messages: JobMessage[] = rows.rows.map((row) => ({
      type: 'collect.connection',
      v: 1,
      tenantId: row.tenant_id,
      connectionId: row.id,
      kind: 'scheduled',
    }))
    if (messages.length > 0) batches += await jobs.sendMany(messages)
    connections += messages.length
    if (messages.length < FAN_OUT_PAGE) return { connections, batches, pages }
  }
}
