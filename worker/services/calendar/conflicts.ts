import { type SQL, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import type { CONFLICT_STATUSES, ConflictSeverity } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage } from '../keyset.ts'

type Pair = {
  a_id: string
  b_id: string
  overlap_start: string
  overlap_end: string
  severity: ConflictSeverity
}

/**
 * Recomputes the conflicts of one property after any booking change, in the caller's
 * transaction. Two non-cancelled bookings conflict when their nights overlap (half-open ranges:
 * a check-out on the next check-in day is no conflict). Severity: two confirmed stays from
 * different channels are `critical`; a block over a stay is a `warning`; two confirmed stays of
 * the same channel (a feed listing one stay twice, two manual entries) are `info`. Two blocks
 * overlapping double-book nothing and are not conflicts. Pairs that no longer overlap are
 * resolved; a resolved pair that overlaps again reopens its row. Returns the ids of conflicts
 * that did not exist before, the ones to alert.
 */
export async function recomputeConflicts(
  tx: Tx,
  tenantId: string,
  propertyId: string,
): Promise<{ opened: string[]; resolved: number }> {
  const pairs = await tx.execute<Pair>(sql`
    with live as (
      select b.id, b.status, b.check_in, b.check_out, coalesce(s.channel, 'direct') as channel
      from bookings b left join calendar_sources s on s.id = b.source_id
      where b.tenant_id = ${tenantId} and b.property_id = ${propertyId} and b.status <> 'cancelled'
    )
    select a.id as a_id, b.id as b_id,
      to_char(greatest(a.check_in, b.check_in), 'YYYY-MM-DD') as overlap_start,
      to_char(least(a.check_out, b.check_out), 'YYYY-MM-DD') as overlap_end,
      case
        when a.status = 'confirmed' and b.status = 'confirmed' and a.channel <> b.channel then 'critical'
        when a.status = 'confirmed' and b.status = 'confirmed' then 'info'
        else 'warning'
      end as severity
    from live a join live b on a.id < b.id and a.check_in < b.check_out and b.check_in < a.check_out
    where not (a.status = 'blocked' and b.status = 'blocked')`)
  const current = JSON.stringify(pairs.rows.map((pair) => ({ ...pair, id: newId('cfl') })))
  const opened = await tx.execute<{ id: string }>(sql`
    insert into calendar_conflicts
      (id, tenant_id, property_id, booking_a_id, booking_b_id, overlap_start, overlap_end, severity)
    select p.id, ${tenantId}, ${propertyId}, p.a_id, p.b_id, p.overlap_start, p.overlap_end, p.severity
    from json_to_recordset(${current}::json)
      as p(id text, a_id text, b_id text, overlap_start date, overlap_end date, severity text)
    on conflict (booking_a_id, booking_b_id) do update set
      overlap_start = excluded.overlap_start, overlap_end = excluded.overlap_end,
      severity = excluded.severity, status = 'open', resolved_at = null, updated_at = now()
    where (calendar_conflicts.overlap_start, calendar_conflicts.overlap_end, calendar_conflicts.severity,
           calendar_conflicts.status)
      is distinct from (excluded.overlap_start, excluded.overlap_end, excluded.severity, 'open')
    returning id, (xmax = 0) as inserted`)
  const resolved = await tx.execute(sql`
    update calendar_conflicts c set status = 'resolved', resolved_at = now(), updated_at = now()
    where c.tenant_id = ${tenantId} and c.property_id = ${propertyId} and c.status = 'open'
      and not exists (
        select 1 from json_to_recordset(${current}::json) as p(a_id text, b_id text)
        where p.a_id = c.booking_a_id and p.b_id = c.booking_b_id)`)
  return {
    opened: (opened.rows as { id: string; inserted: boolean }[]).filter((r) => r.inserted).map((r) => r.id),
    resolved: resolved.rowCount ?? 0,
  }
}

/** A conflict as the API shows it: both bookings with their channel, the overlap, the alert. */
export const conflictSelect = sql`
  select c.id, c.property_id, c.overlap_start::text, c.overlap_end::text, c.severity, c.status,
    c.detected_at, c.resolved_at,
    -- Alerted: when its outbox message was sent (before the outbox, the conflict kept it itself).
    coalesce(c.alerted_at, (select m.sent_at from outbound_messages m where m.tenant_id = c.tenant_id
      and m.idempotency_key = 'calendar.conflict:' || c.id)) as alerted_at,
    to_char(c.detected_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as sort_key,
    json_build_array(
      json_build_object('id', a.id, 'channel', coalesce(sa.channel, 'direct'), 'source_id', a.source_id,
        'status', a.status, 'check_in', a.check_in::text, 'check_out', a.check_out::text, 'summary', a.summary),
      json_build_object('id', b.id, 'channel', coalesce(sb.channel, 'direct'), 'source_id', b.source_id,
        'status', b.status, 'check_in', b.check_in::text, 'check_out', b.check_out::text, 'summary', b.summary)
    ) as bookings
  from calendar_conflicts c
  join bookings a on a.id = c.booking_a_id left join calendar_sources sa on sa.id = a.source_id
  join bookings b on b.id = c.booking_b_id left join calendar_sources sb on sb.id = b.source_id`

export type ConflictView = {
  id: string
  property_id: string
  overlap_start: string
  overlap_end: string
  severity: ConflictSeverity
  status: (typeof CONFLICT_STATUSES)[number]
  detected_at: string
  resolved_at: string | null
  alerted_at: string | null
  bookings: unknown[]
}

/** Conflicts matching `where` (over `c`), newest first, with their keyset sort key. */
async function selectConflictRows(tx: Tx, where: SQL, limit: number) {
  const rows = await tx.execute<ConflictView & { sort_key: string }>(
    sql`${conflictSelect} where ${where} order by c.detected_at desc, c.id desc limit ${limit}`,
  )
  return rows.rows.map((row) => ({
    ...row,
    detected_at: new Date(row.detected_at).toISOString(),
    resolved_at: row.resolved_at ? new Date(row.resolved_at).toISOString() : null,
    alerted_at: row.alerted_at ? new Date(row.alerted_at).toISOString() : null,
  }))
}

const strip = ({ sort_key: _, ...row }: ConflictView & { sort_key: string }): ConflictView => row

/** The open conflicts a booking is part of (what a manual booking change "caused"). */
export async function openConflictsOf(tx: Tx, tenantId: string, bookingId: string): Promise<ConflictView[]> {
  const where = sql`c.tenant_id = ${tenantId} and c.status = 'open'
    and (c.booking_a_id = ${bookingId} or c.booking_b_id = ${bookingId})`
  return (await selectConflictRows(tx, where, 100)).map(strip)
}

/** Conflicts page newest first: by detection time to the microsecond (`sort_key`), then id. */
const BY_DETECTION = [key.timestamp(sql`c.detected_at`), key.id(sql`c.id`, 'cfl')]

export async function listConflicts(
  ctx: ServiceContext,
  input: {
    propertyId?: string
    status?: (typeof CONFLICT_STATUSES)[number]
    severity?: ConflictSeverity
    limit: number
    cursor?: string
  },
) {
  authorize(ctx.principal, 'calendar.read')
  const conditions = [
    sql`c.tenant_id = ${ctx.principal.tenantId}`,
    input.propertyId ? sql`c.property_id = ${input.propertyId}` : undefined,
    input.status ? sql`c.status = ${input.status}` : undefined,
    input.severity ? sql`c.severity = ${input.severity}` : undefined,
    afterCursor(BY_DETECTION, input.cursor, 'desc'),
  ].filter((condition): condition is SQL => Boolean(condition))
  const rows = await selectConflictRows(ctx.tx, sql.join(conditions, sql` and `), input.limit + 1)
  const page = nextPage(rows, input.limit, (row) => [row.sort_key, row.id])
  return { ...page, data: page.data.map(strip) }
}
