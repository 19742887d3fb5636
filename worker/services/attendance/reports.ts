import { sql } from 'drizzle-orm'
import { authorize } from '../../auth/permissions.ts'
import { invalidField } from '../../errors.ts'
import type { ServiceContext } from '../context.ts'

export type ReportQuery = { from: string; to: string }

type Times = {
  conversations: number
  replied: number
  resolved: number
  first_response_p50_s: number | null
  first_response_avg_s: number | null
  resolution_p50_s: number | null
  resolution_avg_s: number | null
}

/** Medians and means in seconds over the episodes (opened → first reply, opened → resolved) of a group. */
const timesSql = sql`
  count(*)::int as conversations,
  count(c.first_reply_at)::int as replied,
  count(c.resolved_at)::int as resolved,
  round(percentile_cont(0.5) within group (order by extract(epoch from c.first_reply_at - c.opened_at)))::int as first_response_p50_s,
  round(avg(extract(epoch from c.first_reply_at - c.opened_at)))::int as first_response_avg_s,
  round(percentile_cont(0.5) within group (order by extract(epoch from c.resolved_at - c.opened_at)))::int as resolution_p50_s,
  round(avg(extract(epoch from c.resolved_at - c.opened_at)))::int as resolution_avg_s`

/**
 * The inbox's report for the UTC days `from`..`to` (at most a year): messages per day (in, out,
 * notes), and first-response and resolution times per agent and per number over the conversations
 * opened (or reopened) in the period. One conversation keeps its current episode's times: a
 * reopened conversation counts once, with its latest episode.
 */
export async function attendanceReport(ctx: ServiceContext, input: ReportQuery) {
  authorize(ctx.principal, 'attendance.read')
  const tenantId = ctx.principal.tenantId
  const days = (Date.parse(input.to) - Date.parse(input.from)) / 86_400_000
  if (!(days >= 0)) throw invalidField('query.to', 'must not be before from')
  if (days > 366) throw invalidField('query.to', 'at most a year after from')
  const range = sql`>= ${input.from}::date and c.opened_at < ${input.to}::date + 1`
  const volume = await ctx.tx.execute<{ day: string; inbound: number; outbound: number; notes: number }>(sql`
    select to_char(m.sent_at at time zone 'UTC', 'YYYY-MM-DD') as day,
      count(*) filter (where m.direction = 'in')::int as inbound,
      count(*) filter (where m.direction = 'out')::int as outbound,
      count(*) filter (where m.direction = 'note')::int as notes
    from attendance_messages m
    where m.tenant_id = ${tenantId} and m.sent_at >= ${input.from}::date and m.sent_at < ${input.to}::date + 1
    group by 1 order by 1`)
  const byAgent = await ctx.tx.execute<Times & { agent_id: string | null; agent_name: string | null }>(sql`
    select c.assignee_id as agent_id, u.name as agent_name, ${timesSql}
    from attendance_conversations c left join users u on u.id = c.assignee_id and u.tenant_id = c.tenant_id
    where c.tenant_id = ${tenantId} and c.opened_at ${range}
    group by c.assignee_id, u.name order by u.name nulls last`)
  const byNumber = await ctx.tx.execute<Times & { number_id: string; display_number: string }>(sql`
    select c.number_id, n.display_number, ${timesSql}
    from attendance_conversations c join attendance_numbers n on n.id = c.number_id and n.tenant_id = c.tenant_id
    where c.tenant_id = ${tenantId} and c.opened_at ${range}
    group by c.number_id, n.display_number order by n.display_number`)
  return {
    from: input.from,
    to: input.to,
    volume: volume.rows,
    byAgent: byAgent.rows,
    byNumber: byNumber.rows,
  }
}
