import { asc, count, eq } from 'drizzle-orm'
import { licenses, operators, plans, TENANT_STATUSES, tenants, users } from '../../../db/schema/index.ts'
import { authorizeOperator } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import { expiringWithin } from './licenses.ts'

const EXPIRING_DAYS = 30
const EXPIRING_SHOWN = 10

/** The operators' summary: tenants by status, licenses about to expire, user counts. */
export async function dashboardSummary(ctx: ServiceContext) {
  authorizeOperator(ctx.principal)
  const byStatus = await ctx.tx
    .select({ status: tenants.status, total: count() })
    .from(tenants)
    .groupBy(tenants.status)
  const expiring = expiringWithin(EXPIRING_DAYS, ctx.now)
  const [expiringCount] = await ctx.tx.select({ total: count() }).from(licenses).where(expiring)
  const soonest = await ctx.tx
    .select({
      id: licenses.id,
      tenantId: licenses.tenantId,
      tenantSlug: tenants.slug,
      tenantName: tenants.name,
      planCode: plans.code,
      status: licenses.status,
      validUntil: licenses.validUntil,
    })
    .from(licenses)
    .innerJoin(tenants, eq(tenants.id, licenses.tenantId))
    .innerJoin(plans, eq(plans.id, licenses.planId))
    .where(expiring)
    .orderBy(asc(licenses.validUntil), asc(licenses.id))
    .limit(EXPIRING_SHOWN)
  const [members] = await ctx.tx.select({ total: count() }).from(users).where(eq(users.status, 'active'))
  const [staff] = await ctx.tx
    .select({ total: count() })
    .from(operators)
    .where(eq(operators.status, 'active'))

  return {
    tenants: Object.fromEntries(
      TENANT_STATUSES.map((status) => [status, byStatus.find((row) => row.status === status)?.total ?? 0]),
    ),
    licensesExpiring: { withinDays: EXPIRING_DAYS, count: expiringCount?.total ?? 0, data: soonest },
    users: { activeMembers: members?.total ?? 0, operators: staff?.total ?? 0 },
    // Collection health arrives with the data-collection issue, which fills these from its runs;
    // the shape is fixed now so the admin portal can render it from day one.
    collection: { connections: 0, healthy: 0, failing: 0, lastRunAt: null },
  }
}
