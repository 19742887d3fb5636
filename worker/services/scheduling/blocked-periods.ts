import { and, asc, eq, gt, lt } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import { schedulingBlockedPeriods } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'

const COLUMNS = {
  id: schedulingBlockedPeriods.id,
  startsAt: schedulingBlockedPeriods.startsAt,
  endsAt: schedulingBlockedPeriods.endsAt,
  reason: schedulingBlockedPeriods.reason,
  createdAt: schedulingBlockedPeriods.createdAt,
}

/** Periods overlapping [from, to) when given, by start; a tenant has a few dozen a year at most. */
export async function listBlockedPeriods(ctx: ServiceContext, input: { from?: Date; to?: Date }) {
  authorize(ctx.principal, 'scheduling.read')
  const rows = await ctx.tx
    .select(COLUMNS)
    .from(schedulingBlockedPeriods)
    .where(
      and(
        eq(schedulingBlockedPeriods.tenantId, ctx.principal.tenantId),
        input.from ? gt(schedulingBlockedPeriods.endsAt, input.from) : undefined,
        input.to ? lt(schedulingBlockedPeriods.startsAt, input.to) : undefined,
      ),
    )
    .orderBy(asc(schedulingBlockedPeriods.startsAt))
    .limit(500)
  return { data: rows }
}

/**
 * Closes the business for a period (a holiday). Appointments already inside it stay: the staff
 * decide whether to move them; availability stops offering the period at once.
 */
export async function createBlockedPeriod(
  ctx: ServiceContext,
  input: { startsAt: Date; endsAt: Date; reason?: string | null },
) {
  authorize(ctx.principal, 'scheduling.manage')
  const id = newId('blk')
  const [row] = await ctx.tx
    .insert(schedulingBlockedPeriods)
    .values({ id, tenantId: ctx.principal.tenantId, ...input, reason: input.reason ?? null })
    .returning(COLUMNS)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.blocked_period_created',
    tenantId: ctx.principal.tenantId,
    target: { type: 'blocked_period', id },
    data: { starts_at: input.startsAt.toISOString(), ends_at: input.endsAt.toISOString() },
  })
  return row
}

export async function deleteBlockedPeriod(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'scheduling.manage')
  const deleted = await ctx.tx
    .delete(schedulingBlockedPeriods)
    .where(
      and(eq(schedulingBlockedPeriods.id, id), eq(schedulingBlockedPeriods.tenantId, ctx.principal.tenantId)),
    )
    .returning({ id: schedulingBlockedPeriods.id })
  if (deleted.length === 0) throw notFound('blocked period')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.blocked_period_deleted',
    tenantId: ctx.principal.tenantId,
    target: { type: 'blocked_period', id },
  })
}
