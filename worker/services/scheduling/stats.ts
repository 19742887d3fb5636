import { sql } from 'drizzle-orm'
import { APPOINTMENT_STATUSES, type AppointmentStatus } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import { addDays, zonedInstant } from './zones.ts'

/** Longest range one statistics read covers (a year and a day: any calendar year fits). */
export const MAX_STATS_DAYS = 366

export type SchedulingStats = {
  from: string
  to: string
  timeZone: string
  byStatus: Record<AppointmentStatus, number>
  /** No-shows ÷ (no-shows + attended); null while neither happened. */
  noShowRate: number | null
  days: { date: string; appointments: number }[]
  professionals: {
    id: string
    name: string
    bookedMinutes: number
    workingMinutes: number
    /** Booked ÷ working minutes; null when the plan has no hours in the range. */
    occupancy: number | null
  }[]
  revenue: { serviceId: string; name: string; currency: string; revenueCents: number; appointments: number }[]
}

/**
 * The module's statistics for the local dates `from`–`to` of `timeZone`, counted in SQL (one
 * statement each): appointments by status and per day (public holds never confirmed are not
 * appointments yet, and are left out; those of an erased customer still count); the no-show rate; occupancy per professional, booked
 * minutes (confirmed, attended and no-show: the time was kept for them) over working minutes (the
 * weekly plan less breaks, or the date's exception, on each date of the range on the plan's wall
 * clock); and revenue per service in centavos: the price at booking time of attended appointments.
 */
export async function readStats(
  ctx: ServiceContext,
  input: { from: string; to: string; timeZone: string },
): Promise<SchedulingStats> {
  authorize(ctx.principal, 'scheduling.read')
  const tenantId = ctx.principal.tenantId
  const start = zonedInstant(input.from, 0, input.timeZone)
  const end = zonedInstant(addDays(input.to, 1), 0, input.timeZone)
  const inRange = sql`a.tenant_id = ${tenantId} and a.starts_at >= ${start} and a.starts_at < ${end}
    and (a.customer_id is not null or a.customer_erased_at is not null)`

  const statuses = await ctx.tx.execute<{ status: AppointmentStatus; n: number }>(sql`
    select a.status, count(*)::int as n from appointments a where ${inRange} group by a.status`)
  const byStatus = Object.fromEntries(APPOINTMENT_STATUSES.map((status) => [status, 0])) as Record<
    AppointmentStatus,
    number
  >
  for (const row of statuses.rows) byStatus[row.status] = row.n
  const closed = byStatus.no_show + byStatus.done

  const days = await ctx.tx.execute<{ date: string; appointments: number }>(sql`
    select to_char(a.starts_at at time zone ${input.timeZone}, 'YYYY-MM-DD') as date, count(*)::int as appointments
    from appointments a where ${inRange} and a.status <> 'cancelled'
    group by 1 order by 1`)

  const professionals = await ctx.tx.execute<{
    id: string
    name: string
    booked_minutes: number
    working_minutes: number
  }>(sql`
    with days as (
      select d::date as day, extract(dow from d)::int as weekday
      from generate_series(${input.from}::date, ${input.to}::date, interval '1 day') d
    ),
    working as (
      select p.id, coalesce(sum(case
        when e.kind = 'off' then 0
        when e.kind = 'hours' then e.end_minute - e.start_minute
        else (select coalesce(sum(case when i.kind = 'work' then i.end_minute - i.start_minute
                                       else i.start_minute - i.end_minute end), 0)
              from scheduling_plan_intervals i
              where i.tenant_id = p.tenant_id and i.professional_id = p.id and i.weekday = days.weekday)
      end), 0)::int as minutes
      from scheduling_professionals p
      cross join days
      left join scheduling_exceptions e on e.tenant_id = p.tenant_id and e.professional_id = p.id and e.date = days.day
      where p.tenant_id = ${tenantId}
      group by p.id
    ),
    booked as (
      select a.professional_id as id,
        round(sum(extract(epoch from a.ends_at - a.starts_at)) / 60)::int as minutes
      from appointments a where ${inRange} and a.status in ('confirmed', 'done', 'no_show')
      group by a.professional_id
    )
    select p.id, p.name, coalesce(b.minutes, 0) as booked_minutes, w.minutes as working_minutes
    from scheduling_professionals p
    join working w on w.id = p.id
    left join booked b on b.id = p.id
    where p.tenant_id = ${tenantId} and (p.active or b.minutes is not null)
    order by p.name, p.id`)

  const revenue = await ctx.tx.execute<{
    service_id: string
    name: string
    currency: string
    revenue_cents: number
    appointments: number
  }>(sql`
    select s.id as service_id, s.name, a.currency, sum(a.price_cents)::int as revenue_cents,
      count(*)::int as appointments
    from appointments a join scheduling_services s on s.id = a.service_id and s.tenant_id = a.tenant_id
    where ${inRange} and a.status = 'done'
    group by s.id, s.name, a.currency
    order by revenue_cents desc, s.name`)

  return {
    from: input.from,
    to: input.to,
    timeZone: input.timeZone,
    byStatus,
    noShowRate: closed === 0 ? null : byStatus.no_show / closed,
    days: days.rows,
    professionals: professionals.rows.map((row) => ({
      id: row.id,
      name: row.name,
      bookedMinutes: row.booked_minutes,
      workingMinutes: row.working_minutes,
      occupancy: row.working_minutes > 0 ? row.booked_minutes / row.working_minutes : null,
    })),
    revenue: revenue.rows.map((row) => ({
      serviceId: row.service_id,
      name: row.name,
      currency: row.currency,
      revenueCents: row.revenue_cents,
      appointments: row.appointments,
    })),
  }
}
