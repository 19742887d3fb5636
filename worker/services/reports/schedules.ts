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
  if (input.connectionIds) {
    const found = await ctx.tx
      .select({ id: connections.id })
      .from(connections)
      .where(and(eq(connections.tenantId, tenantId), inArray(connections.id, input.connectionIds)))
    const known = new Set(found.map((row) => row.id))
    const unknown = input.connectionIds.findIndex((id) => !known.has(id))
    if (unknown >= 0) throw invalidField(`json.connection_ids.${unknown}`, 'no such connection')
  }
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
