import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import type { AttendanceEvent } from '../attendance/events.ts'
import { sendAwayReplies } from '../attendance/hours.ts'
import { applyTemplateStatuses, recordInbound } from '../attendance/inbound.ts'
import { applyWhatsappStatuses, type StatusMove } from '../messaging/statuses.ts'
import type { CountedEvent, MetaDelivery, RawEvent } from './meta-events.ts'

/**
 * JSON for a statement parameter. Postgres text and jsonb refuse U+0000, which a comment's text
 * may carry: it becomes U+FFFD so one such character cannot fail (and retry) the delivery forever.
 */
const pgJson = (value: unknown) => JSON.stringify(value).replaceAll('\\u0000', '\\ufffd')

/**
 * Counts events exactly once in ONE statement: the events travel as one JSON parameter; the
 * `fresh` CTE claims each (tenant, platform, object, event) in `meta_webhook_seen` with
 * `ON CONFLICT DO NOTHING`, and only the claims that succeeded increment the daily counters
 * (`all` plus the pricing category). A duplicate (Meta redelivers for days) finds its claim taken
 * and adds nothing; a concurrent duplicate waits on the claim's key until the first commits. Order
 * does not matter, since each status is its own counter. Rows are claimed and counters locked in
 * a fixed order so two concurrent deliveries cannot deadlock.
 */
async function countOnce(tx: Tx, tenantId: string, events: CountedEvent[]): Promise<void> {
  if (events.length === 0) return
  // One batch may repeat an event (Meta batches retries too): the first one stands for it.
  const unique = new Map<string, CountedEvent>()
  for (const event of events) {
    const key = `${event.platform}|${event.objectId}|${event.event}`
    if (!unique.has(key)) unique.set(key, event)
  }
  const rows = [...unique.values()].map((e) => ({
    p: e.platform,
    a: e.accountId,
    n: e.phoneNumberId,
    o: e.objectId,
    e: e.event,
    m: e.metric,
    d: e.day,
    c: e.category,
  }))
  await tx.execute(sql`
    with input as (
      select * from json_to_recordset(${pgJson(rows)}::json)
        as r(p text, a text, n text, o text, e text, m text, d date, c text)
    ), fresh as (
      insert into meta_webhook_seen (tenant_id, platform, object_id, event)
      select ${tenantId}, p, o, e from input order by p, o, e
      on conflict do nothing
      returning platform, object_id, event
    )
    insert into meta_webhook_counters as counter
      (tenant_id, platform, account_id, phone_number_id, day, metric, pricing_category, value)
    select ${tenantId}, i.p, i.a, i.n, i.d, i.m, k.category, count(*)
    from input i
    join fresh f on f.platform = i.p and f.object_id = i.o and f.event = i.e
    cross join lateral (values ('all'), (i.c)) as k(category)
    where k.category is not null
    group by i.p, i.a, i.n, i.d, i.m, k.category
    order by i.p, i.a, i.n, i.d, i.m, k.category
    on conflict (tenant_id, platform, account_id, phone_number_id, day, metric, pricing_category)
    do update set value = counter.value + excluded.value, updated_at = now()`)
}

/** Keeps uncounted events raw, one row per unit; a redelivered unit (same digest) adds nothing. */
async function keepRaw(tx: Tx, tenantId: string, events: RawEvent[], receivedAt: Date): Promise<void> {
  if (events.length === 0) return
  const rows = await Promise.all(
    events.map(async (event) => {
      const payload = JSON.stringify(event.payload)
      return { o: event.object, f: event.field, p: event.payload, h: await sha256Hex(payload) }
    }),
  )
  await tx.execute(sql`
    insert into webhook_events (tenant_id, source, object, field, payload, digest, received_at)
    select ${tenantId}, 'meta', r.o, r.f, r.p, r.h, ${receivedAt.toISOString()}::timestamptz
    from json_to_recordset(${pgJson(rows)}::json) as r(o text, f text, p jsonb, h text)
    on conflict (tenant_id, source, digest) do nothing`)
}

/**
 * Records one delivery in the caller's (tenant) transaction: counters first, then the statuses of
 * messages Integra sent (forward only, so a redelivery changes nothing), then the attendance
 * inbox's inbound messages (deduplicated by wamid), the away replies to those that came while the
 * business was closed (outbox rows, `sends`), and template statuses, then raw units, among
 * them the changes of inbound messages no attendance number of the tenant takes. Returns the
 * messages whose status moved and the attendance inbox's events, for the caller to publish once
 * the transaction commits.
 */
export async function recordMetaDelivery(
  tx: Tx,
  tenantId: string,
  delivery: MetaDelivery,
  receivedAt: Date,
): Promise<{ moved: StatusMove[]; events: AttendanceEvent[]; sends: string[] }> {
  await countOnce(tx, tenantId, delivery.counted)
  const moved = await applyWhatsappStatuses(tx, tenantId, delivery.statuses)
  const inbound = await recordInbound(
    tx,
    tenantId,
    delivery.inbound.map((item) => item.message),
  )
  const away = await sendAwayReplies(tx, tenantId, inbound.settings, inbound.fresh)
  await applyTemplateStatuses(tx, tenantId, delivery.templates)
  const unrouted = new Set(inbound.unrouted.flatMap((i) => delivery.inbound[i]?.unit ?? []))
  await keepRaw(tx, tenantId, [...delivery.raw, ...unrouted], receivedAt)
  return { moved, events: [...inbound.events, ...away.events], sends: away.sends }
}
