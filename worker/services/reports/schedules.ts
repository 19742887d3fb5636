import { and, desc, eq, inArray } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import {
  apiKeys,
  connections,
  type Platform,
  type ReportComparison,
  type ReportFormat,
  type ReportFrequency,
  type ReportLanguage,
  type ReportPeriod,
  reportSchedules,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { nextRunAfter } from './periods.ts'

export type ScheduleInput = {
  name: string
  connectionIds: string[] | null
  platforms: Platform[] | null
  frequency: ReportFrequency
  weekday: number | null
  monthDay: number | null
  localTime: string
  timeZone: string
  period: ReportPeriod
  periodDays: number | null
  comparison: ReportComparison
  language: ReportLanguage
  recipients: string[]
  format: ReportFormat
  holdForReview: boolean
}

const COLUMNS = {
  id: reportSchedules.id,
  name: reportSchedules.name,
  connectionIds: reportSchedules.connectionIds,
  platforms: reportSchedules.platforms,
  frequency: reportSchedules.frequency,
  weekday: reportSchedules.weekday,
  monthDay: reportSchedules.monthDay,
  localTime: reportSchedules.localTime,
  timeZone: reportSchedules.timeZone,
  period: reportSchedules.period,
  periodDays: reportSchedules.periodDays,
  comparison: reportSchedules.comparison,
  language: reportSchedules.language,
  recipients: reportSchedules.recipients,
  format: reportSchedules.format,
  holdForReview: reportSchedules.holdForReview,
  active: reportSchedules.active,
  nextRunAt: reportSchedules.nextRunAt,
  createdAt: reportSchedules.createdAt,
}

/** The tenant's schedules, newest first (a tenant has a handful). */
export async function listSchedules(ctx: ServiceContext) {
  authorize(ctx.principal, 'reports.read')
  const rows = await ctx.tx
    .select(COLUMNS)
    .from(reportSchedules)
    .where(eq(reportSchedules.tenantId, ctx.principal.tenantId))
    .orderBy(desc(reportSchedules.createdAt))
    .limit(200)
  return { data: rows }
}

/**
 * A new schedule, first run at its next local time. The connections named must be the tenant's
 * (another tenant's id reads as unknown). The report is later rendered with the permissions of its
 * owner: the member who created it, or who created the API key that did.
 */
export async function createSchedule(ctx: ServiceContext, input: ScheduleInput) {
  authorize(ctx.principal, 'reports.manage')
  const tenantId = ctx.principal.tenantId
  const owner =
    ctx.principal.kind === 'member'
      ? ctx.principal.id
      : (
          await ctx.tx
            .select({ createdBy: apiKeys.createdBy })
            .from(apiKeys)
            .where(and(eq(apiKeys.id, ctx.principal.id), eq(apiKeys.tenantId, tenantId)))
        )[0]?.createdBy
  if (!owner) throw notFound('API key owner')
  if (input.connectionIds) await checkConnections(ctx, tenantId, input.connectionIds)
  const id = newId('rps')
  const nextRunAt = nextRunAfter(input, ctx.now)
  const [row] = await ctx.tx
    .insert(reportSchedules)
    .values({ id, tenantId, ...input, nextRunAt, createdBy: owner })
    .returning(COLUMNS)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'reports.schedule_created',
    tenantId,
    target: { type: 'report_schedule', id },
    data: { frequency: input.frequency, recipients: input.recipients.length },
  })
  return row
}

/** One schedule, for the portal's edit page. */
export async function getSchedule(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'reports.read')
  const [row] = await ctx.tx
    .select(COLUMNS)
    .from(reportSchedules)
    .where(and(eq(reportSchedules.id, id), eq(reportSchedules.tenantId, ctx.principal.tenantId)))
  if (!row) throw notFound('report schedule')
  return row
}

/** A change to a schedule: any of its fields, and `active` to pause (false) or resume (true). */
export type SchedulePatch = Partial<ScheduleInput> & { active?: boolean }

/**
 * Edits, pauses or resumes a schedule. The fields that go together (a weekly schedule's weekday, a
 * `last_n_days` period's length) are checked on the result, so a patch naming only `frequency`
 * is refused with the missing field rather than by the table's CHECK as a 500. The next run is
 * computed again from now when the timing changes or the schedule resumes: a schedule paused for
 * a month does not fire for the slots it missed, and the cron tick skips a paused one.
 */
export async function updateSchedule(ctx: ServiceContext, id: string, patch: SchedulePatch) {
  authorize(ctx.principal, 'reports.manage')
  const tenantId = ctx.principal.tenantId
  const [before] = await ctx.tx
    .select(COLUMNS)
    .from(reportSchedules)
    .where(and(eq(reportSchedules.id, id), eq(reportSchedules.tenantId, tenantId)))
    .for('update')
  if (!before) throw notFound('report schedule')
  const after = { ...before, ...withoutUndefined(patch) }
  // The other frequency's field is dropped, as create does.
  if (after.frequency === 'weekly') after.monthDay = null
  else after.weekday = null
  if (after.period !== 'last_n_days') after.periodDays = null
  if (after.frequency === 'weekly' && after.weekday === null)
    throw invalidField('json.weekday', 'a weekly schedule needs a weekday')
  if (after.frequency === 'monthly' && after.monthDay === null)
    throw invalidField('json.month_day', 'a monthly schedule needs a month_day')
  if (after.period === 'last_n_days' && after.periodDays === null)
    throw invalidField('json.period_days', 'period last_n_days needs period_days')
  if (patch.connectionIds) await checkConnections(ctx, tenantId, patch.connectionIds)
  const timingChanged = (['frequency', 'weekday', 'monthDay', 'localTime', 'timeZone'] as const).some(
    (key) => after[key] !== before[key],
  )
  const resumed = after.active && !before.active
  const nextRunAt = timingChanged || resumed ? nextRunAfter(after, ctx.now) : before.nextRunAt
  const [row] = await ctx.tx
    .update(reportSchedules)
    .set({
      name: after.name,
      connectionIds: after.connectionIds,
      platforms: after.platforms as Platform[] | null,
      frequency: after.frequency,
      weekday: after.weekday,
      monthDay: after.monthDay,
      localTime: after.localTime,
      timeZone: after.timeZone,
      period: after.period,
      periodDays: after.periodDays,
      comparison: after.comparison,
      language: after.language,
      recipients: after.recipients,
      format: after.format,
      holdForReview: after.holdForReview,
      active: after.active,
      nextRunAt,
      updatedAt: ctx.now,
    })
    .where(and(eq(reportSchedules.id, id), eq(reportSchedules.tenantId, tenantId)))
    .returning(COLUMNS)
  const action =
    patch.active === false && before.active
      ? 'reports.schedule_paused'
      : resumed
        ? 'reports.schedule_resumed'
        : 'reports.schedule_updated'
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action,
    tenantId,
    target: { type: 'report_schedule', id },
    data: { fields: Object.keys(withoutUndefined(patch)).sort() },
  })
  return row
}

const withoutUndefined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>

/** Every connection named must be the tenant's: another tenant's id reads as unknown. */
async function checkConnections(ctx: ServiceContext, tenantId: string, ids: string[]) {
  const found = await ctx.tx
    .select({ id: connections.id })
    .from(connections)
    .where(and(eq(connections.tenantId, tenantId), inArray(connections.id, ids)))
  const known = new Set(found.map((row) => row.id))
  const unknown = ids.findIndex((id) => !known.has(id))
  if (unknown >= 0) throw invalidField(`json.connection_ids.${unknown}`, 'no such connection')
}

/** Deletes a schedule and its run history (the stored PDFs go with the tenant's files later). */
export async function deleteSchedule(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'reports.manage')
  const deleted = await ctx.tx
    .delete(reportSchedules)
    .where(and(eq(reportSchedules.id, id), eq(reportSchedules.tenantId, ctx.principal.tenantId)))
    .returning({ id: reportSchedules.id })
  if (deleted.length === 0) throw notFound('report schedule')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'reports.schedule_deleted',
    tenantId: ctx.principal.tenantId,
    target: { type: 'report_schedule', id },
  })
}
