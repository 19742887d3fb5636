import { and, desc, eq, isNull } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import { type Module, plans } from '../../../db/schema/index.ts'
import { authorizeOperator } from '../../auth/permissions.ts'
import { ApiError, notFound } from '../../errors.ts'
import { snake } from '../../http.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'

export type PlanLimits = {
  users: number
  connections: number
  retentionDays: number
  collectionIntervalMinutes: number
  /** Commerce: how many stores a tenant may open (docs/commerce.md); left out, the default (1). */
  stores?: number
  /** The attendance inbox's messages per month (plans.attendance_messages_limit; 1000 when not given). */
  attendanceMessages?: number
}

type PlanRow = typeof plans.$inferSelect

/** A plan as the API shows it: the same shape as the plan in a tenant's entitlement. */
export function planView(row: PlanRow) {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    modules: row.modules as Module[],
    limits: {
      users: row.usersLimit,
      connections: row.connectionsLimit,
      retentionDays: row.retentionDays,
      collectionIntervalMinutes: row.collectionIntervalMinutes,
      stores: row.storesLimit,
      attendanceMessages: row.attendanceMessagesLimit,
    },
    retiredAt: row.retiredAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

const limitChanges = (limits: Partial<PlanLimits>) => ({
  usersLimit: limits.users,
  connectionsLimit: limits.connections,
  retentionDays: limits.retentionDays,
  collectionIntervalMinutes: limits.collectionIntervalMinutes,
  storesLimit: limits.stores,
  attendanceMessagesLimit: limits.attendanceMessages,
})

const CODE_CONFLICTS = {
  plans_code_key: () => new ApiError(409, 'PLAN_CODE_TAKEN', 'Another plan already uses this code.'),
}

export const planRetired = () =>
  new ApiError(409, 'PLAN_RETIRED', 'This plan is retired; it cannot be used for new licenses.')

export async function createPlan(
  ctx: ServiceContext,
  input: { code: string; name: string; modules: Module[]; limits: PlanLimits },
) {
  authorizeOperator(ctx.principal)
  const [row] = await ctx.tx
    .insert(plans)
    .values({
      id: newId('pln'),
      code: input.code,
      name: input.name,
      modules: input.modules,
      usersLimit: input.limits.users,
      connectionsLimit: input.limits.connections,
      retentionDays: input.limits.retentionDays,
      collectionIntervalMinutes: input.limits.collectionIntervalMinutes,
      storesLimit: input.limits.stores,
      attendanceMessagesLimit: input.limits.attendanceMessages,
    })
    .returning()
    .catch(onUniqueViolation(CODE_CONFLICTS))
  if (!row) throw new Error('insert returned no row')
  const plan = planView(row)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'plan.created',
    target: { type: 'plan', id: plan.id },
    data: snake({ code: plan.code, modules: plan.modules, limits: plan.limits }),
  })
  return plan
}

/** Plans newest first; retired ones only when asked for. */
export async function listPlans(
  ctx: ServiceContext,
  input: { includeRetired: boolean; limit: number; cursor?: string },
) {
  authorizeOperator(ctx.principal)
  const rows = await ctx.tx
    .select({ plan: plans, id: plans.id, sortKey: sortKey(plans.createdAt) })
    .from(plans)
    .where(
      and(
        input.includeRetired ? undefined : isNull(plans.retiredAt),
        afterCursor(byCreatedAt(plans, 'pln'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(plans.createdAt), desc(plans.id))
    .limit(input.limit + 1)
  const page = cutPage(rows, input.limit)
  return { data: page.data.map((row) => planView(row.plan)), nextCursor: page.nextCursor }
}

/**
 * Changes a plan in place: every license on it sees the new modules and limits at once (that is
 * the point of a plan); retired plans can still be corrected for the licenses they keep.
 */
export async function updatePlan(
  ctx: ServiceContext,
  planId: string,
  input: { code?: string; name?: string; modules?: Module[]; limits?: Partial<PlanLimits> },
) {
  authorizeOperator(ctx.principal)
  const [before] = await ctx.tx.select().from(plans).where(eq(plans.id, planId)).for('update')
  if (!before) throw notFound('plan')
  const [row] = await ctx.tx
    .update(plans)
    .set({
      code: input.code,
      name: input.name,
      modules: input.modules,
      ...limitChanges(input.limits ?? {}),
      updatedAt: ctx.now,
    })
    .where(eq(plans.id, planId))
    .returning()
    .catch(onUniqueViolation(CODE_CONFLICTS))
  if (!row) throw notFound('plan')
  const [from, to] = [planView(before), planView(row)]
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'plan.updated',
    target: { type: 'plan', id: planId },
    data: snake({
      from: { code: from.code, name: from.name, modules: from.modules, limits: from.limits },
      to: { code: to.code, name: to.name, modules: to.modules, limits: to.limits },
    }),
  })
  return to
}

/** Retires a plan: its licenses keep working, but no new license may use it. */
export async function retirePlan(ctx: ServiceContext, planId: string) {
  authorizeOperator(ctx.principal)
  const [before] = await ctx.tx.select().from(plans).where(eq(plans.id, planId)).for('update')
  if (!before) throw notFound('plan')
  if (before.retiredAt) throw new ApiError(409, 'PLAN_RETIRED', 'This plan is already retired.')
  const [row] = await ctx.tx
    .update(plans)
    .set({ retiredAt: ctx.now, updatedAt: ctx.now })
    .where(eq(plans.id, planId))
    .returning()
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'plan.retired',
    target: { type: 'plan', id: planId },
    data: { code: before.code },
  })
  return planView(row ?? before)
}
