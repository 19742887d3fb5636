import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type { MessageStatus } from '../../../db/schema/index.ts'
import { errorText } from '../../connectors/messaging/types.ts'
import { whatsappSendError } from '../../connectors/messaging/whatsapp.ts'
import type { WhatsappStatusUpdate } from '../meta-webhooks/meta-events.ts'

/** The order a message goes through; a status webhook only ever moves it right. */
const PROGRESS = ['queued', 'sending', 'sent', 'delivered', 'read'] as const
type Progress = (typeof PROGRESS)[number]

/** Voice messages are `played` after `read`: for the outbox that is as far as `read`. */
const progressOf = (status: WhatsappStatusUpdate['status']): Progress | null =>
  status === 'played' ? 'read' : status === 'failed' ? null : status

type Applied = {
  /** wamid */
  w: string
  /** The furthest status of the batch (null: only `failed`). */
  s: Progress | null
  /** The pricing category, if any status carried one. */
  c: string | null
  /** A failure of the batch: our code, Meta's code and its words. */
  f: string | null
  fc: string | null
  fm: string | null
}

/**
 * Applies WhatsApp status webhooks to the messages Integra sent (matched by wamid), in the
 * webhook's transaction: a status only moves a message forward (`read` never goes back to
 * `delivered`; Meta may skip `delivered` and sends out of order), `failed` only fails a message
 * that was `sent` and keeps its error code (131047 is recorded as WINDOW_CLOSED), and a failed
 * message stays failed. The pricing category, which comes with the statuses and not with the send,
 * is recorded as the message's cost category. A status of a wamid the outbox does not know (sent
 * from elsewhere, or arriving before the send recorded its wamid) changes nothing. Returns the
 * messages whose status moved, with their new status (for the portal's live updates).
 */
export async function applyWhatsappStatuses(
  tx: Tx,
  tenantId: string,
  updates: readonly WhatsappStatusUpdate[],
): Promise<StatusMove[]> {
  if (updates.length === 0) return []
  const byWamid = new Map<string, Applied>()
  for (const update of updates) {
    const applied = byWamid.get(update.wamid) ?? {
      w: update.wamid,
      s: null,
      c: null,
      f: null,
      fc: null,
      fm: null,
    }
    const progress = progressOf(update.status)
    if (progress && (!applied.s || PROGRESS.indexOf(progress) > PROGRESS.indexOf(applied.s)))
      applied.s = progress
    applied.c ??= update.category
    if (update.status === 'failed' && !applied.f) {
      const code = update.error?.code ?? 0
      applied.f = update.error ? whatsappSendError(code, 0, update.error.message).code : 'REJECTED'
      applied.fc = update.error ? String(code) : null
      applied.fm = errorText(update.error?.message ?? 'WhatsApp reported the message as failed.')
    }
    byWamid.set(update.wamid, applied)
  }
  const rank = (column: ReturnType<typeof sql>) =>
    sql`array_position(array['queued', 'sending', 'sent', 'delivered', 'read']::text[], ${column})`
  const forward = sql`(m.status <> 'failed' and b.s is not null and ${rank(sql`b.s`)} > ${rank(sql`m.status`)})`
  const fails = sql`(b.f is not null and m.status = 'sent' and (b.s is null or b.s = 'sent'))`
  const result = await tx.execute<StatusMove & { moved: boolean }>(sql`
    update outbound_messages m set
      status = case when ${forward} then b.s when ${fails} then 'failed' else m.status end,
      error_code = case when ${fails} then b.f else m.error_code end,
      provider_error_code = case when ${fails} then b.fc else m.provider_error_code end,
      error_message = case when ${fails} then b.fm else m.error_message end,
      cost_category = coalesce(m.cost_category, b.c),
      updated_at = now()
    from json_to_recordset(${JSON.stringify([...byWamid.values()])}::json)
      as b(w text, s text, c text, f text, fc text, fm text),
      -- The row as it was: RETURNING sees only the new one, and a page is told of moves only.
      outbound_messages was
    where m.tenant_id = ${tenantId} and m.channel = 'whatsapp' and m.provider_message_id = b.w
      and was.id = m.id
      and (${forward} or ${fails} or (m.cost_category is null and b.c is not null))
    returning m.id, m.status, m.status <> was.status as moved`)
  return result.rows.filter((row) => row.moved).map(({ id, status }) => ({ id, status }))
}

/** An outbound message whose status a webhook moved. */
export type StatusMove = { id: string; status: MessageStatus }
