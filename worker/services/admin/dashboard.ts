import { and, asc, count, desc, eq, gte, inArray } from 'drizzle-orm'
import {
  CONNECTION_STATUSES,
  collectionRuns,
  connections,
  jobDeadLetters,
  licenses,
  operators,
  plans,
  RUN_STATUSES,
  TENANT_STATUSES,
  tenants,
  users,
} from '../../../db/schema/index.ts'
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
    collection: await collectionHealth(ctx),
  }
}

const HEALTH_WINDOW_HOURS = 24

/**
 * Collection health over the last 24 hours, across tenants: runs by status, dead letters,
 * connections by status, and the latest failures for drill-down.
 */
async function collectionHealth(ctx: ServiceContext) {
  const since = new Date(ctx.now.getTime() - HEALTH_WINDOW_HOURS * 3_600_000)
  const runs = await ctx.tx
    .select({ status: collectionRuns.status, total: count() })
    .from(collectionRuns)
    .where(gte(collectionRuns.startedAt, since))
    .groupBy(collectionRuns.status)
  const byConnectionStatus = await ctx.tx
    .select({ status: connections.status, total: count() })
    .from(connections)
    .groupBy(connections.status)
  const [deadLetters] = await ctx.tx
    .select({ total: count() })
    .from(jobDeadLetters)
    .where(gte(jobDeadLetters.receivedAt, since))
  const recentFailures = await ctx.tx
    .select({
      runId: collectionRuns.id,
      tenantId: collectionRuns.tenantId,
      connectionId: collectionRuns.connectionId,
      platform: connections.platform,
      status: collectionRuns.status,
      error: collectionRuns.error,
      startedAt: collectionRuns.startedAt,
    })
    .from(collectionRuns)
    .innerJoin(connections, eq(connections.id, collectionRuns.connectionId))
    .where(
      and(
        gte(collectionRuns.startedAt, since),
        inArray(collectionRuns.status, ['failed', 'dead', 'retrying']),
      ),
    )
    .orderBy(desc(collectionRuns.startedAt))
    .limit(20)
  return {
    windowHours: HEALTH_WINDOW_HOURS,
    runs: Object.fromEntries(
      RUN_STATUSES.map((status) => [status, runs.find((r) => r.status === status)?.total ?? 0]),
    ),
    deadLetters: deadLetters?.total ?? 0,
    connections: Object.fromEntries(
      CONNECTION_STATUSES.map((status) => [
        status,
        byConnectionStatus.find((r) => r.status === status)?.total ?? 0,
      ]),
    ),
    recentFailures,
  }
}
