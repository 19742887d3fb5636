import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { fanOutPages } from '../../jobs/fan-out.ts'
import type { JobQueue } from '../../runtime/ports.ts'
import { SYNC_INTERVAL_MINUTES, syncableSql } from './gates.ts'

export const CALENDAR_FAN_OUT_PAGE = 1000

/** Enqueues one `calendar.sync` per due source, with the collection fan-out's lease (fanOutPages). */
export async function fanOutDueSources(
  tx: Tx,
  jobs: JobQueue,
  now: Date,
): Promise<{ sources: number; batches: number; pages: number }> {
  const { rows, ...rest } = await fanOutPages(
    jobs,
    CALENDAR_FAN_OUT_PAGE,
    async () =>
      (
        await tx.execute<{ id: string; tenant_id: string }>(sql`
          with due as (
            select s.id from calendar_sources s
            where s.next_sync_at <= ${now} and ${syncableSql(now)}
            order by s.next_sync_at, s.id
            limit ${CALENDAR_FAN_OUT_PAGE}
            for update of s skip locked
          )
          update calendar_sources s
          set next_sync_at = ${now}::timestamptz + make_interval(mins => ${SYNC_INTERVAL_MINUTES})
          from due where s.id = due.id
          returning s.id, s.tenant_id`)
      ).rows,
    (row) => ({ type: 'calendar.sync', v: 1, tenantId: row.tenant_id, sourceId: row.id, kind: 'scheduled' }),
  )
  return { sources: rows, ...rest }
}
