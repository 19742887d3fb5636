import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import type { InboxHoursException, InboxWeeklyHours } from '../../../db/schema/index.ts'
import { rolesWith } from '../../auth/permissions.ts'
import type { AttendanceEvent } from './events.ts'
import type { FreshInbound, HoursSettings } from './hours.ts'
import type { TemplateStatusUpdate, WhatsappInbound } from './inbound-parse.ts'

/** JSON for a statement parameter; Postgres text refuses U+0000, which a message may carry. */
const pgJson = (value: unknown) => JSON.stringify(value).replaceAll('\\u0000', '\\ufffd')

/** Digits Meta sends as `wa_id`, as the E.164 phone the shared customers are keyed by. */
const phoneOf = (waId: string | null) => (waId && /^[1-9]\d{7,14}$/.test(waId) ? `+${waId}` : null)

/** The contact identity: the BSUID when Meta sent one, else the phone's WhatsApp id. */
export const contactKeyOf = (message: { bsuid: string | null; waId: string | null }) =>
  message.bsuid ?? `wa:${message.waId}`

export type InboundResult = {
  /** Indexes (into the input) of messages no number of the tenant takes: kept raw by the caller. */
  unrouted: number[]
  /** Messages stored now (a redelivered one is not among them). */
  created: number
  events: AttendanceEvent[]
  /** The messages stored now, with what an away reply needs, and the away settings if any. */
  fresh: FreshInbound[]
  settings: HoursSettings | null
}

type FreshRow = {
  id: string
  conversation_id: string
  sent_at: string
  status: string
  assignee_id: string | null
  wa_id: string | null
  connection_id: string
  phone_number_id: string
  time_zone: string | null
  weekly: InboxWeeklyHours[] | null
  exceptions: InboxHoursException[] | null
  away_message: string | null
  away_now: boolean | null
  away_since: string | null
}

type Routed = { i: number; number_id: string; contact_id: string }

/**
 * Records inbound WhatsApp messages in the webhook job's transaction, in three statements whatever
 * their number (so at most 3 per message): (1) contacts upserted by BSUID or WhatsApp id, with
 * the shared customer of their phone, only for messages to a number of the tenant; (2) the
 * conversation of each number and contact found or opened; (3) the messages inserted with
 * `ON CONFLICT (tenant_id, wamid) DO NOTHING`, and only the conversations that got a new message
 * moved: the window (`last_inbound_at`), the waiting time, and back to `open` (a resolved one
 * reopens as a new episode), and one with nobody on a number with a team assigned to the team's
 * next available member (round-robin, docs/attendance.md). A redelivered message finds its wamid
 * taken and changes nothing.
 * Rows are locked in a fixed order (phone, key, pair, wamid) so concurrent deliveries cannot
 * deadlock.
 */
export async function recordInbound(
  tx: Tx,
  tenantId: string,
  messages: readonly WhatsappInbound[],
): Promise<InboundResult> {
  if (messages.length === 0) return { unrouted: [], created: 0, events: [], fresh: [], settings: null }
  const input = messages.map((m, i) => ({
    i,
    n: m.phoneNumberId,
    k: contactKeyOf(m),
    b: m.bsuid,
    w: m.waId,
    p: phoneOf(m.waId),
    nm: m.profileName,
    cid: newId('cus'),
    kid: newId('ctc'),
  }))
  const routed = await tx.execute<Routed>(sql`
    with input as (
      select * from json_to_recordset(${pgJson(input)}::json)
        as r(i int, n text, k text, b text, w text, p text, nm text, cid text, kid text)
    ), routed as (
      select r.*, num.id as number_id from input r
      join attendance_numbers num on num.tenant_id = ${tenantId} and num.phone_number_id = r.n
    ), customer as (
      insert into customers (id, tenant_id, name, phone)
      select distinct on (p) cid, ${tenantId}, coalesce(nm, p), p from routed where p is not null order by p, i desc
      on conflict (tenant_id, phone) where phone is not null do update set updated_at = now()
      returning id, phone
    ), contact as (
      insert into attendance_contacts as c
        (id, tenant_id, contact_key, bsuid, wa_id, profile_name, customer_id, opted_in_at, opt_in_source)
      select distinct on (r.k) r.kid, ${tenantId}, r.k, r.b, r.w, r.nm, cu.id, now(), 'inbound_message'
      from routed r left join customer cu on cu.phone = r.p
      order by r.k, r.i desc
      on conflict (tenant_id, contact_key) do update set
        profile_name = coalesce(excluded.profile_name, c.profile_name),
        wa_id = coalesce(excluded.wa_id, c.wa_id),
        customer_id = coalesce(c.customer_id, excluded.customer_id),
        updated_at = now()
      returning id, contact_key
    )
    select r.i, r.number_id, ct.id as contact_id from routed r join contact ct on ct.contact_key = r.k`)
  const byIndex = new Map(routed.rows.map((row) => [row.i, row]))
  const unrouted = input.filter((row) => !byIndex.has(row.i)).map((row) => row.i)
  if (byIndex.size === 0) return { unrouted, created: 0, events: [], fresh: [], settings: null }

  // One conversation per number and contact, opened at its first message of this delivery.
  const pairs = new Map<string, { id: string; n: string; c: string; at: string }>()
  for (const row of routed.rows) {
    const at = messages[row.i]?.at ?? new Date().toISOString()
    const key = `${row.number_id}|${row.contact_id}`
    const known = pairs.get(key)
    if (!known) pairs.set(key, { id: newId('cnv'), n: row.number_id, c: row.contact_id, at })
    else if (at < known.at) known.at = at
  }
  const conversations = await tx.execute<{ id: string; number_id: string; contact_id: string }>(sql`
    insert into attendance_conversations as v (id, tenant_id, number_id, contact_id, status, opened_at, last_message_at)
    select r.id, ${tenantId}, r.n, r.c, 'open', r.at, r.at
    from json_to_recordset(${pgJson([...pairs.values()])}::json) as r(id text, n text, c text, at timestamptz)
    order by r.n, r.c
    on conflict (tenant_id, number_id, contact_id) do update set updated_at = v.updated_at
    returning v.id, v.number_id, v.contact_id`)
  const conversationOf = new Map(
    conversations.rows.map((row) => [`${row.number_id}|${row.contact_id}`, row.id]),
  )

  const rows = routed.rows.flatMap((row) => {
    const message = messages[row.i]
    const cv = conversationOf.get(`${row.number_id}|${row.contact_id}`)
    if (!message || !cv) return []
    return [
      {
        id: newId('amg'),
        cv,
        w: message.wamid,
        ty: message.type,
        bd: message.body,
        rt: message.replyTo,
        dt: message.details,
        at: message.at,
      },
    ]
  })
  const fresh = await tx.execute<FreshRow>(sql`
    with input as (
      select * from json_to_recordset(${pgJson(rows)}::json)
        as r(id text, cv text, w text, ty text, bd text, rt text, dt jsonb, at timestamptz)
    ), fresh as (
      insert into attendance_messages (id, tenant_id, conversation_id, direction, type, body, wamid, reply_to, details, sent_at)
      select id, ${tenantId}, cv, 'in', ty, bd, w, rt, dt, at from input order by w
      on conflict (tenant_id, wamid) where wamid is not null do nothing
      returning id, conversation_id, sent_at
    ), latest as (
      select conversation_id, max(sent_at) as last, min(sent_at) as first from fresh group by conversation_id
    ), unassigned as (
      -- Conversations that got a message, have nobody, and whose number has a team: each takes
      -- the next turn of its team (k-th of this delivery).
      select l.conversation_id, num.team_id,
        row_number() over (partition by num.team_id order by l.conversation_id) as k
      from latest l
      join attendance_conversations v on v.tenant_id = ${tenantId} and v.id = l.conversation_id
      join attendance_numbers num on num.tenant_id = ${tenantId} and num.id = v.number_id
      join attendance_teams tm on tm.tenant_id = ${tenantId} and tm.id = num.team_id and tm.round_robin
      where v.assignee_id is null
    ), turns as (
      -- The team's row lock serialises concurrent deliveries: each reads the counter the last
      -- one left (re-read after the wait) and takes as many turns as it has conversations.
      update attendance_teams t set rr_next = t.rr_next + c.n, updated_at = now()
      from (select team_id, count(*) as n from unassigned group by team_id) c
      where t.tenant_id = ${tenantId} and t.id = c.team_id
      returning t.id, t.rr_next - c.n as base
    ), available as (
      -- Members who may answer, are active and not away, in a fixed order.
      select m.team_id, m.user_id,
        row_number() over (partition by m.team_id order by m.user_id) - 1 as idx,
        count(*) over (partition by m.team_id) as size
      from attendance_team_members m
      join users u on u.tenant_id = ${tenantId} and u.id = m.user_id and u.status = 'active'
        and u.role in (${sql.join(
          rolesWith('attendance.reply').map((role) => sql`${role}`),
          sql`, `,
        )})
      left join attendance_agents a on a.tenant_id = ${tenantId} and a.user_id = m.user_id
      where m.tenant_id = ${tenantId} and not coalesce(a.away, false)
        and m.team_id in (select team_id from unassigned)
    ), picked as (
      select u.conversation_id, a.user_id
      from unassigned u
      join turns t on t.id = u.team_id
      join available a on a.team_id = u.team_id and a.idx = (t.base + u.k - 1) % a.size
    ), moved as (
      update attendance_conversations v set
        -- A conversation someone took meanwhile keeps them (the row is re-read after a wait).
        assignee_id = coalesce(v.assignee_id, p.user_id),
        last_inbound_at = greatest(v.last_inbound_at, l.last),
        last_message_at = greatest(v.last_message_at, l.last),
        waiting_since = coalesce(v.waiting_since, l.first),
        status = 'open',
        opened_at = case when v.status = 'resolved' then l.first else v.opened_at end,
        first_reply_at = case when v.status = 'resolved' then null else v.first_reply_at end,
        resolved_at = null,
        snoozed_until = null,
        updated_at = now()
      from latest l left join picked p on p.conversation_id = l.conversation_id
      where v.tenant_id = ${tenantId} and v.id = l.conversation_id
      returning v.id, v.status, v.assignee_id, v.contact_id, v.number_id
    )
    -- What an away reply needs rides along, so a delivery stays at three statements.
    select f.id, f.conversation_id, f.sent_at, m.status, m.assignee_id, ct.wa_id, num.connection_id,
      num.phone_number_id, s.time_zone, s.weekly, s.exceptions, s.away_message, s.away_now, s.away_since
    from fresh f join moved m on m.id = f.conversation_id
    join attendance_contacts ct on ct.tenant_id = ${tenantId} and ct.id = m.contact_id
    join attendance_numbers num on num.tenant_id = ${tenantId} and num.id = m.number_id
    left join attendance_settings s on s.tenant_id = ${tenantId} and s.away_message is not null`)
  const events: AttendanceEvent[] = []
  const seen = new Set<string>()
  for (const row of fresh.rows) {
    events.push({
      type: 'message.created',
      conversationId: row.conversation_id,
      messageId: row.id,
      direction: 'in',
    })
    if (seen.has(row.conversation_id)) continue
    seen.add(row.conversation_id)
    events.push({
      type: 'conversation.updated',
      conversationId: row.conversation_id,
      status: row.status,
      assigneeId: row.assignee_id,
    })
  }
  const [first] = fresh.rows
  const settings: HoursSettings | null = first?.away_message
    ? {
        timeZone: first.time_zone ?? 'America/Sao_Paulo',
        weekly: first.weekly ?? [],
        exceptions: first.exceptions ?? [],
        awayMessage: first.away_message,
        awayNow: first.away_now ?? false,
        awaySince: first.away_since ? new Date(first.away_since) : null,
      }
    : null
  const stored: FreshInbound[] = fresh.rows.map((row) => ({
    conversationId: row.conversation_id,
    sentAt: new Date(row.sent_at),
    waId: row.wa_id,
    connectionId: row.connection_id,
    phoneNumberId: row.phone_number_id,
  }))
  return { unrouted, created: fresh.rows.length, events, fresh: stored, settings }
}

/**
 * Applies `message_template_status_update` webhooks to synced templates (one statement): a template
 * not synced yet is left for the next sync, which reads its status from Meta.
 */
export async function applyTemplateStatuses(
  tx: Tx,
  tenantId: string,
  updates: readonly TemplateStatusUpdate[],
): Promise<number> {
  if (updates.length === 0) return 0
  const rows = updates.map((u) => ({ w: u.wabaId, n: u.name, l: u.language, s: u.status }))
  const result = await tx.execute(sql`
    update attendance_templates t set status = r.s, updated_at = now()
    from json_to_recordset(${pgJson(rows)}::json) as r(w text, n text, l text, s text)
    where t.tenant_id = ${tenantId} and t.waba_id = r.w and t.name = r.n and t.language = r.l
      and t.status <> r.s`)
  return result.rowCount ?? 0
}
