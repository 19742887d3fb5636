import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { channels } from '../../connectors/messaging/index.ts'
import type { JobMessage } from '../../jobs/messages.ts'
import type { JobQueue } from '../../runtime/ports.ts'

/** Rows per sweep and kind; the rest waits for the next tick. */
export const SWEEP_PAGE = 1000
/** How long after its claim a stuck send may still be repeated under the provider's own dedupe. */
const PROVIDER_DEDUPE_HOURS = 23

const DEDUPING = Object.values(channels)
  .filter((channel) => channel.dedupesByKey)
  .map((channel) => channel.name)

/**
 * The outbox's safety net, run by the cron tick in its operator transaction:
 * - a `queued` message due for more than a minute lost its job (queued before a crash, dropped
 *   by the queue, dead-lettered while backing off): its `messaging.send` is queued again. The
 *   claim makes a duplicate job harmless.
 * - a `sending` message past its deadline (claimed, then no outcome recorded: the consumer died
 *   between the provider's answer and the record) is never resent blindly: the provider may have
 *   delivered it, and WhatsApp and Telegram have no key of ours to ask them by. It fails with
 *   OUTCOME_UNKNOWN, which the module can see and act on. Only where the provider dedupes on our
 *   key (Resend's Idempotency-Key, 24 h) does it go back to `queued`: the repeat cannot send twice.
 */
export async function sweepOutbox(
  tx: Tx,
  jobs: JobQueue,
  now: Date,
): Promise<{ requeued: number; unknown: number; retried: number }> {
  const stuck = await tx.execute<{ id: string; tenant_id: string; requeued: boolean }>(sql`
    with stuck as (
      select id from outbound_messages
      where status = 'sending' and next_attempt_at <= ${now}
      order by next_attempt_at limit ${SWEEP_PAGE}
      for update skip locked
    )
    update outbound_messages m set updated_at = now(),
      status = case when m.channel = any(${`{${DEDUPING.join(',')}}`}::text[])
        and m.next_attempt_at > ${now}::timestamptz - make_interval(hours => ${PROVIDER_DEDUPE_HOURS})
        then 'queued' else 'failed' end,
      next_attempt_at = ${now},
      error_code = 'OUTCOME_UNKNOWN', provider_error_code = null,
      error_message = 'The send started but its outcome was never recorded; it may or may not have been delivered, and is not sent again.'
    from stuck where m.id = stuck.id
    returning m.id, m.tenant_id, m.status = 'queued' as requeued`)
  const lost = await tx.execute<{ id: string; tenant_id: string }>(sql`
    select id, tenant_id from outbound_messages
    where status = 'queued' and next_attempt_at < ${now}::timestamptz - interval '1 minute'
    order by next_attempt_at limit ${SWEEP_PAGE}`)
  const requeued = stuck.rows.filter((row) => row.requeued)
  const messages: JobMessage[] = [...lost.rows, ...requeued].map((row) => ({
    type: 'messaging.send',
    v: 1,
    tenantId: row.tenant_id,
    messageId: row.id,
  }))
  if (messages.length > 0) await jobs.sendMany(messages)
  return {
    requeued: lost.rows.length,
    retried: requeued.length,
    unknown: stuck.rows.length - requeued.length,
  }
}
