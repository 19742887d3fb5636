import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { fanOutPages } from '../../jobs/fan-out.ts'
import type { JobQueue } from '../../runtime/ports.ts'
import { collectableSql, intervalMinutesSql } from './gates.ts'

export const FAN_OUT_PAGE = 1000

/** Enqueues one `collect.connection` per due connection (see fanOutPages for the lease). */
export async function fanOutDueConnections(
  tx: Tx,
  jobs: JobQueue,
  now: Date,
): Promise<{ connections: number; batches: number; pages: number }> {
  const { rows, ...rest } = await fanOutPages(
    jobs,
    FAN_OUT_PAGE,
    async () =>
      (
        await tx.execute<{ id: string; tenant_id: string }>(sql`
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
      ).rows,
    (row) => ({
      type: 'collect.connection',
      v: 1,
      tenantId: row.tenant_id,
      connectionId: row.id,
      kind: 'scheduled',
    }),
  )
  return { connections: rows, ...rest }
}
