import { and, asc, eq, gte, lte } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import {
  type ExceptionKind,
  schedulingExceptions,
  schedulingPlanIntervals,
  schedulingProfessionals,
  users,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage } from '../keyset.ts'
import { minuteOf, timeOf } from './zones.ts'

const COLUMNS = {
  id: schedulingProfessionals.id,
  name: schedulingProfessionals.name,
  userId: schedulingProfessionals.userId,
  timeZone: schedulingProfessionals.timeZone,
  active: schedulingProfessionals.active,
  createdAt: schedulingProfessionals.createdAt,
  updatedAt: schedulingProfessionals.updatedAt,
}

const professionalExists = () =>
  new ApiError(409, 'PROFESSIONAL_EXISTS', 'A professional with this name already exists.')

export type ProfessionalInput = { name: string; userId?: string | null; timeZone?: string; active?: boolean }

async function requireMember(ctx: ServiceContext, userId: string | null | undefined) {
  if (!userId) return
  const [member] = await ctx.tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.tenantId, ctx.principal.tenantId ?? '')))
  if (!member) throw invalidField('json.user_id', 'no such member', 'The member does not exist.')
}

export async function createProfessional(ctx: ServiceContext, input: ProfessionalInput) {
  authorize(ctx.principal, 'scheduling.manage')
  await requireMember(ctx, input.userId)
  const id = newId('pro')
  await ctx.tx
    .insert(schedulingProfessionals)
    .values({ id, tenantId: ctx.principal.tenantId, ...input })
    .catch(onUniqueViolation({ scheduling_professionals_name_key: professionalExists }))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.professional_created',
    tenantId: ctx.principal.tenantId,
    target: { type: 'professional', id },
    data: { name: input.name, time_zone: input.timeZone ?? 'America/Sao_Paulo' },
  })
  return getProfessional(ctx, id)
}

export async function listProfessionals(ctx: ServiceContext, input: { limit: number; cursor?: string }) {
  authorize(ctx.principal, 'scheduling.read')
  const rows = await ctx.tx
    .select(COLUMNS)
    .from(schedulingProfessionals)
    .where(
      and(
        eq(schedulingProfessionals.tenantId, ctx.principal.tenantId),
        afterCursor([key.id(schedulingProfessionals.id, 'pro')], input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(schedulingProfessionals.id))
    .limit(input.limit + 1)
  return nextPage(rows, input.limit, (row) => [row.id])
}

export async function getProfessional(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'scheduling.read')
  const [row] = await ctx.tx
    .select(COLUMNS)
    .from(schedulingProfessionals)
    .where(
      and(eq(schedulingProfessionals.id, id), eq(schedulingProfessionals.tenantId, ctx.principal.tenantId)),
    )
  if (!row) throw notFound('professional')
  return row
}

export async function updateProfessional(ctx: ServiceContext, id: string, input: Partial<ProfessionalInput>) {
  authorize(ctx.principal, 'scheduling.manage')
  await getProfessional(ctx, id)
  await requireMember(ctx, input.userId)
  await ctx.tx
    .update(schedulingProfessionals)
    .set({ ...input, updatedAt: ctx.now })
    .where(
      and(eq(schedulingProfessionals.id, id), eq(schedulingProfessionals.tenantId, ctx.principal.tenantId)),
    )
    .catch(onUniqueViolation({ scheduling_professionals_name_key: professionalExists }))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.professional_updated',
    tenantId: ctx.principal.tenantId,
    target: { type: 'professional', id },
    data: { changed: Object.keys(input) },
  })
  return getProfessional(ctx, id)
}

/** `HH:MM`–`HH:MM` on the professional's wall clock. */
export type TimeRange = { start: string; end: string }
export type WorkingDay = { weekday: number; hours: TimeRange[]; breaks: TimeRange[] }

export async function getWorkingPlan(ctx: ServiceContext, professionalId: string) {
  authorize(ctx.principal, 'scheduling.read')
  const professional = await getProfessional(ctx, professionalId)
  const rows = await ctx.tx
    .select()
    .from(schedulingPlanIntervals)
    .where(
      and(
        eq(schedulingPlanIntervals.tenantId, ctx.principal.tenantId),
        eq(schedulingPlanIntervals.professionalId, professionalId),
      ),
    )
    .orderBy(asc(schedulingPlanIntervals.weekday), asc(schedulingPlanIntervals.startMinute))
  const days: WorkingDay[] = []
  for (let weekday = 0; weekday < 7; weekday++) {
    const of = (kind: 'work' | 'break') =>
      rows
        .filter((row) => row.weekday === weekday && row.kind === kind)
        .map((row) => ({ start: timeOf(row.startMinute), end: timeOf(row.endMinute) }))
    days.push({ weekday, hours: of('work'), breaks: of('break') })
  }
  return { professionalId, timeZone: professional.timeZone, days }
}

/** Replaces the whole weekly plan (days not sent are days off). */
export async function setWorkingPlan(ctx: ServiceContext, professionalId: string, days: WorkingDay[]) {
  authorize(ctx.principal, 'scheduling.manage')
  const tenantId = ctx.principal.tenantId
  await getProfessional(ctx, professionalId)
  await ctx.tx
    .delete(schedulingPlanIntervals)
    .where(
      and(
        eq(schedulingPlanIntervals.tenantId, tenantId),
        eq(schedulingPlanIntervals.professionalId, professionalId),
      ),
    )
  const rows = days.flatMap((day) => [
    ...day.hours.map((range) => ({ day, range, kind: 'work' as const })),
    ...day.breaks.map((range) => ({ day, range, kind: 'break' as const })),
  ])
  if (rows.length > 0)
    await ctx.tx.insert(schedulingPlanIntervals).values(
      rows.map(({ day, range, kind }) => ({
        id: newId('pin'),
        tenantId,
        professionalId,
        weekday: day.weekday,
        kind,
        startMinute: minuteOf(range.start),
        endMinute: minuteOf(range.end),
      })),
    )
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.working_plan_set',
    tenantId,
    target: { type: 'professional', id: professionalId },
    data: { days: days.map((day) => ({ weekday: day.weekday, hours: day.hours, breaks: day.breaks })) },
  })
  return getWorkingPlan(ctx, professionalId)
}

const EXCEPTION_COLUMNS = {
  id: schedulingExceptions.id,
  professionalId: schedulingExceptions.professionalId,
  date: schedulingExceptions.date,
  kind: schedulingExceptions.kind,
  startMinute: schedulingExceptions.startMinute,
  endMinute: schedulingExceptions.endMinute,
  reason: schedulingExceptions.reason,
  createdAt: schedulingExceptions.createdAt,
}

const presentException = ({
  startMinute,
  endMinute,
  ...row
}: typeof schedulingExceptions.$inferSelect | ExceptionRow) => ({
  ...row,
  hours:
    startMinute !== null && endMinute !== null
      ? { start: timeOf(startMinute), end: timeOf(endMinute) }
      : null,
})
type ExceptionRow = { [K in keyof typeof EXCEPTION_COLUMNS]: (typeof schedulingExceptions.$inferSelect)[K] }

export async function listExceptions(
  ctx: ServiceContext,
  professionalId: string,
  input: { from?: string; to?: string },
) {
  authorize(ctx.principal, 'scheduling.read')
  await getProfessional(ctx, professionalId)
  const rows = await ctx.tx
    .select(EXCEPTION_COLUMNS)
    .from(schedulingExceptions)
    .where(
      and(
        eq(schedulingExceptions.tenantId, ctx.principal.tenantId),
        eq(schedulingExceptions.professionalId, professionalId),
        input.from ? gte(schedulingExceptions.date, input.from) : undefined,
        input.to ? lte(schedulingExceptions.date, input.to) : undefined,
      ),
    )
    .orderBy(asc(schedulingExceptions.date))
    .limit(400)
  return { data: rows.map(presentException) }
}

/** A day off or other hours on one date; a second exception for the same date replaces the first. */
export async function setException(
  ctx: ServiceContext,
  professionalId: string,
  input: { date: string; kind: ExceptionKind; hours?: TimeRange | null; reason?: string | null },
) {
  authorize(ctx.principal, 'scheduling.manage')
  const tenantId = ctx.principal.tenantId
  await getProfessional(ctx, professionalId)
  const hours = input.kind === 'hours' && input.hours ? input.hours : null
  const values = {
    kind: input.kind,
    startMinute: hours ? minuteOf(hours.start) : null,
    endMinute: hours ? minuteOf(hours.end) : null,
    reason: input.reason ?? null,
  }
  const [row] = await ctx.tx
    .insert(schedulingExceptions)
    .values({ id: newId('exc'), tenantId, professionalId, date: input.date, ...values })
    .onConflictDoUpdate({
      target: [schedulingExceptions.professionalId, schedulingExceptions.date],
      set: { ...values, updatedAt: ctx.now },
    })
    .returning()
  if (!row) throw new Error('exception neither inserted nor updated')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.exception_set',
    tenantId,
    target: { type: 'professional', id: professionalId },
    data: { date: input.date, kind: input.kind, hours },
  })
  return presentException(row)
}

export async function deleteException(ctx: ServiceContext, professionalId: string, id: string) {
  authorize(ctx.principal, 'scheduling.manage')
  const tenantId = ctx.principal.tenantId
  const deleted = await ctx.tx
    .delete(schedulingExceptions)
    .where(
      and(
        eq(schedulingExceptions.id, id),
        eq(schedulingExceptions.professionalId, professionalId),
        eq(schedulingExceptions.tenantId, tenantId),
      ),
    )
    .returning({ date: schedulingExceptions.date })
  if (deleted.length === 0) throw notFound('exception')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.exception_deleted',
    tenantId,
    target: { type: 'professional', id: professionalId },
    data: { date: deleted[0]?.date },
  })
}
