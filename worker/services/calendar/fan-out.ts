import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { fanOutPages } from '../../jobs/fan-out.ts'
import type { JobMessage } from '../../jobs/messages.ts'
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

/**
 * The safety net of alerting: a conflict's `calendar.alert` is sent before its transaction
 * commits, so a consumer that ran first found nothing and acknowledged it. Open conflicts of the
 * last day, not alerted, not refused by Telegram and not being sent, whose tenant has alert
 * settings, are queued again on each tick (a minute after detection, so a fresh one is left to its
 * own message). Sending stays at most once: the alert job claims the conflict first.
 */
export async function queueMissedAlerts(tx: Tx, jobs: JobQueue, now: Date): Promise<number> {
  const rows = await tx.execute<{ id: string; tenant_id: string }>(sql`
    select c.id, c.tenant_id from calendar_conflicts c
    where c.status = 'open' and c.alerted_at is null and c.alert_error is null
      and (c.alert_claimed_at is null or c.alert_claimed_at < ${now}::timestamptz - interval '2 minutes')
      and c.detected_at > ${now}::timestamptz - interval '1 day'
      and c.detected_at < ${now}::timestamptz - interval '1 minute'
      and exists (select 1 from calendar_alert_settings s where s.tenant_id = c.tenant_id)
    order by c.detected_at
    limit ${CALENDAR_FAN_OUT_PAGE}`)
  const messages: JobMessage[] = rows.rows.map((row) => ({
    type: 'calendar.alert',
    v: 1,
    tenantId: row.tenant_id,
    conflictId: row.id,
  }))
  if (messages.length > 0) await jobs.sendMany(messages)
  return messages.length
}
