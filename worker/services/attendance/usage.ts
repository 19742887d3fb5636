import { sql } from 'drizzle-orm'
import { authorize } from '../../auth/permissions.ts'
import { ApiError } from '../../errors.ts'
import type { ServiceContext } from '../context.ts'

/** The calendar month (UTC) a send counts in, as `YYYY-MM-01`. */
const monthOf = (now: Date) => `${now.toISOString().slice(0, 7)}-01`

/** The plan's monthly limit of the tenant's current license (auth_entitlement(): the latest). */
const limitSql = (tenantId: string) => sql`(
  select p.attendance_messages_limit from licenses l join plans p on p.id = l.plan_id
  where l.id = (select license_id from auth_entitlement(${tenantId})))`

/**
 * Takes one of the plan's monthly sends, or throws 403 ATTENDANCE_LIMIT_REACHED. One statement:
 * the increment is conditional on the count being under the limit, so concurrent sends at the
 * limit are refused by Postgres (the row lock orders them), never counted past it.
 */
export async function reserveMonthlySend(ctx: ServiceContext): Promise<void> {
  const tenantId = ctx.principal.tenantId ?? ''
  const limit = limitSql(tenantId)
  const result = await ctx.tx.execute<{ sent: number }>(sql`
    insert into attendance_usage as u (tenant_id, month, sent)
    select ${tenantId}, ${monthOf(ctx.now)}, 1 where coalesce(${limit}, 0) > 0
    on conflict (tenant_id, month) do update set sent = u.sent + 1, updated_at = now()
      where u.sent < coalesce(${limit}, 0)
    returning sent`)
  if (result.rows.length === 0)
    throw new ApiError(
      403,
      'ATTENDANCE_LIMIT_REACHED',
      "Your plan's monthly limit of WhatsApp messages is reached; it renews on the 1st (UTC) or with a larger plan.",
    )
}

/**
 * This month's use of the inbox: messages sent against the plan's limit, and the sent messages by
 * WhatsApp pricing category (from the status webhooks: a utility template is a cost line; a
 * message whose category Meta has not reported yet counts as `unknown`).
 */
export async function attendanceUsage(ctx: ServiceContext) {
  authorize(ctx.principal, 'attendance.read')
  const tenantId = ctx.principal.tenantId
  const month = monthOf(ctx.now)
  const [row] = (
    await ctx.tx.execute<{ sent: number | null; limit: number | null }>(sql`
      select (select sent from attendance_usage where tenant_id = ${tenantId} and month = ${month}) as sent,
        ${limitSql(tenantId)} as limit`)
  ).rows
  const categories = await ctx.tx.execute<{ category: string; messages: number }>(sql`
    select coalesce(o.cost_category, 'unknown') as category, count(*)::int as messages
    from attendance_messages m join outbound_messages o on o.id = m.outbound_message_id and o.tenant_id = m.tenant_id
    where m.tenant_id = ${tenantId} and m.direction = 'out' and m.sent_at >= ${month}::date
      and o.status in ('sent', 'delivered', 'read')
    group by 1 order by 1`)
  return {
    month,
    sent: row?.sent ?? 0,
    limit: row?.limit ?? 0,
    byCategory: categories.rows,
  }
}
