import { sql } from 'drizzle-orm'
import { authorize } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'

type Row = {
  property_id: string
  name: string
  nights_booked: number
  nights_blocked: number
  bookings: number
  stay_nights: number
  by_channel: Record<string, number>
}

const round2 = (n: number) => Math.round(n * 100) / 100

/**
 * Occupancy for a period of nights `from`..`to` (both inclusive; a night is named by its date).
 * Per property: `nights_booked` = nights covered by at least one confirmed stay (a double
 * booking counts once), `nights_blocked` = nights blocked and not booked, `occupancy_rate` =
 * nights_booked ÷ nights in the period × 100; over the confirmed stays with a night in the period:
 * `bookings`, `bookings_by_channel` and `average_stay` (their whole length in nights). One
 * statement; totals are summed from it.
 */
export async function calendarStatistics(
  ctx: ServiceContext,
  input: { from: string; to: string; propertyId?: string },
) {
  authorize(ctx.principal, 'calendar.read')
  const tenantId = ctx.principal.tenantId
  const rows = await ctx.tx.execute<Row>(sql`
    with props as (
      select id, name from properties
      where tenant_id = ${tenantId} ${input.propertyId ? sql`and id = ${input.propertyId}` : sql``}
    ),
    nights as (
      select b.property_id, d::date as night,
        bool_or(b.status = 'confirmed') as booked, bool_or(b.status = 'blocked') as blocked
      from bookings b
      cross join lateral generate_series(greatest(b.check_in, ${input.from}::date),
        least(b.check_out - 1, ${input.to}::date), interval '1 day') d
      where b.tenant_id = ${tenantId} and b.property_id in (select id from props)
        and b.status <> 'cancelled' and b.check_in <= ${input.to}::date and b.check_out > ${input.from}::date
      group by b.property_id, d::date
    ),
    stays as (
      select b.property_id, coalesce(s.channel, 'direct') as channel, b.check_out - b.check_in as length
      from bookings b left join calendar_sources s on s.id = b.source_id
      where b.tenant_id = ${tenantId} and b.property_id in (select id from props)
        and b.status = 'confirmed' and b.check_in <= ${input.to}::date and b.check_out > ${input.from}::date
    )
    select p.id as property_id, p.name,
      (select count(*)::int from nights n where n.property_id = p.id and n.booked) as nights_booked,
      (select count(*)::int from nights n where n.property_id = p.id and n.blocked and not n.booked)
        as nights_blocked,
      (select count(*)::int from stays s where s.property_id = p.id) as bookings,
      (select coalesce(sum(length), 0)::int from stays s where s.property_id = p.id) as stay_nights,
      (select coalesce(json_object_agg(channel, n), '{}') from (
        select channel, count(*)::int as n from stays s where s.property_id = p.id group by channel) c)
        as by_channel
    from props p order by p.name, p.id`)
  const periodNights = (Date.parse(input.to) - Date.parse(input.from)) / 86_400_000 + 1
  const perProperty = rows.rows.map((row) => ({
    propertyId: row.property_id,
    name: row.name,
    nightsInPeriod: periodNights,
    nightsBooked: row.nights_booked,
    nightsBlocked: row.nights_blocked,
    occupancyRate: round2((row.nights_booked / periodNights) * 100),
    bookings: row.bookings,
    bookingsByChannel: row.by_channel,
    averageStay: row.bookings > 0 ? round2(row.stay_nights / row.bookings) : null,
  }))
  const sum = (pick: (row: Row) => number) => rows.rows.reduce((total, row) => total + pick(row), 0)
  const byChannel: Record<string, number> = {}
  for (const row of rows.rows)
    for (const [channel, n] of Object.entries(row.by_channel))
      byChannel[channel] = (byChannel[channel] ?? 0) + n
  const bookingsTotal = sum((r) => r.bookings)
  return {
    from: input.from,
    to: input.to,
    properties: perProperty,
    totals: {
      properties: rows.rows.length,
      nightsInPeriod: periodNights * rows.rows.length,
      nightsBooked: sum((r) => r.nights_booked),
      nightsBlocked: sum((r) => r.nights_blocked),
      occupancyRate:
        rows.rows.length > 0
          ? round2((sum((r) => r.nights_booked) / (periodNights * rows.rows.length)) * 100)
          : null,
      bookings: bookingsTotal,
      bookingsByChannel: byChannel,
      averageStay: bookingsTotal > 0 ? round2(sum((r) => r.stay_nights) / bookingsTotal) : null,
    },
  }
}
