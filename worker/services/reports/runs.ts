import { and, desc, eq, sql } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import { reportRuns, reportSchedules, users } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { sendAfterCommit } from '../messaging/outbox.ts'
import { localDate, reportWindow } from './periods.ts'
import { deliverRun } from './run.ts'

const COLUMNS = {
  id: reportRuns.id,
  scheduleId: reportRuns.scheduleId,
  kind: reportRuns.kind,
  periodStart: reportRuns.periodStart,
  periodEnd: reportRuns.periodEnd,
  status: reportRuns.status,
  holdReasons: reportRuns.holdReasons,
  pages: reportRuns.pages,
  fileSize: reportRuns.fileSize,
  error: reportRuns.error,
  createdAt: reportRuns.createdAt,
  renderedAt: reportRuns.renderedAt,
  sentAt: reportRuns.sentAt,
}

/** Run history, newest first: every schedule's, or one's; held runs show their reasons. */
export async function listRuns(ctx: ServiceContext, input: { scheduleId?: string; limit: number }) {
  authorize(ctx.principal, 'reports.read')
  const rows = await ctx.tx
    .select(COLUMNS)
    .from(reportRuns)
    .where(
      and(
        eq(reportRuns.tenantId, ctx.principal.tenantId),
        input.scheduleId ? eq(reportRuns.scheduleId, input.scheduleId) : undefined,
      ),
    )
    .orderBy(desc(reportRuns.createdAt), desc(reportRuns.id))
    .limit(input.limit)
  return { data: rows }
}

/** The run's PDF as a stream, once it is rendered. */
export async function readRunFile(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'reports.read')
  const [run] = await ctx.tx
    .select({ fileKey: reportRuns.fileKey, periodStart: reportRuns.periodStart, name: reportSchedules.name })
    .from(reportRuns)
    .innerJoin(reportSchedules, eq(reportSchedules.id, reportRuns.scheduleId))
    .where(and(eq(reportRuns.id, id), eq(reportRuns.tenantId, ctx.principal.tenantId)))
  if (!run?.fileKey) throw notFound('rendered report')
  const file = await ctx.services.files.get(run.fileKey)
  if (!file) throw notFound('rendered report')
  return { ...file, filename: `${run.name} ${run.periodStart}.pdf` }
}

/** Moves a held run on, or says why it cannot: 404 unknown, 409 not held. */
async function leaveHold(ctx: ServiceContext, tenantId: string, id: string, to: 'sent' | 'skipped') {
  const moved = await ctx.tx.execute<{
    id: string
    tenant_id: string
    kind: 'scheduled' | 'preview'
    period_start: string
    period_end: string
    file_key: string
    file_size: number
    name: string
    language: 'pt-BR' | 'en'
    recipients: string[]
    format: 'attachment' | 'link'
    schedule_id: string
    tenant_slug: string
    unsubscribe_key: string
  }>(sql`
    update report_runs r set status = ${to}, sent_at = ${to === 'sent' ? ctx.now : null}
    from report_schedules s, tenants t
    where r.id = ${id} and r.tenant_id = ${tenantId} and r.status = 'held' and s.id = r.schedule_id
      and t.id = r.tenant_id
    returning r.id, r.tenant_id, r.kind, r.period_start::text, r.period_end::text, r.file_key, r.file_size,
      s.name, s.language, s.recipients, s.format, r.schedule_id, t.slug as tenant_slug, s.unsubscribe_key`)
  const run = moved.rows[0]
  if (run) return run
  const [exists] = await ctx.tx
    .select({ status: reportRuns.status })
    .from(reportRuns)
    .where(and(eq(reportRuns.id, id), eq(reportRuns.tenantId, tenantId)))
  if (!exists) throw notFound('report run')
  throw new ApiError(
    409,
    'INVALID_TRANSITION',
    `Only a held run can be released or skipped; this one is ${exists.status}.`,
  )
}

/**
 * Releases a held run: its recipients get it now, through the outbox, with the same idempotency
 * keys the run would have used, so releasing twice (or a race with anything else) sends once.
 */
export async function releaseRun(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'reports.manage')
  const run = await leaveHold(ctx, ctx.principal.tenantId, id, 'sent')
  const ids = await deliverRun(
    ctx.tx,
    ctx.services,
    { ...run, requester_email: null },
    { key: run.file_key, size: run.file_size },
  )
  sendAfterCommit(ctx, ids)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'reports.run_released',
    tenantId: ctx.principal.tenantId,
    target: { type: 'report_run', id },
    data: { recipients: ids.length },
  })
  return { id, status: 'sent' as const, messages: ids.length }
}

/** Skips a held run: nobody gets it; its PDF stays downloadable. */
export async function skipRun(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'reports.manage')
  await leaveHold(ctx, ctx.principal.tenantId, id, 'skipped')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'reports.run_skipped',
    tenantId: ctx.principal.tenantId,
    target: { type: 'report_run', id },
  })
  return { id, status: 'skipped' as const }
}

/**
 * "Send me a preview now": a run of the schedule's period as of today, rendered by the queue
 * consumer (never in the request) and e-mailed to the signed-in person alone; never held.
 */
export async function previewSchedule(ctx: ServiceContext, scheduleId: string) {
  authorize(ctx.principal, 'reports.preview')
  const tenantId = ctx.principal.tenantId
  const [schedule] = await ctx.tx
    .select({
      period: reportSchedules.period,
      periodDays: reportSchedules.periodDays,
      comparison: reportSchedules.comparison,
      timeZone: reportSchedules.timeZone,
      email: users.email,
    })
    .from(reportSchedules)
    .innerJoin(users, and(eq(users.id, ctx.principal.id), eq(users.tenantId, tenantId)))
    .where(and(eq(reportSchedules.id, scheduleId), eq(reportSchedules.tenantId, tenantId)))
  if (!schedule) throw notFound('report schedule')
  const window = reportWindow(
    localDate(ctx.now, schedule.timeZone),
    schedule.period,
    schedule.periodDays,
    schedule.comparison,
  )
  const id = newId('rpr')
  const [run] = await ctx.tx
    .insert(reportRuns)
    .values({
      id,
      tenantId,
      scheduleId,
      kind: 'preview',
      periodStart: window.from,
      periodEnd: window.to,
      requestedBy: ctx.principal.id,
    })
    .returning(COLUMNS)
  ctx.afterCommit(() => ctx.services.jobs.send({ type: 'reports.run', v: 1, tenantId, runId: id }))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'reports.preview_requested',
    tenantId,
    target: { type: 'report_run', id },
  })
  return { ...run, to: schedule.email }
}
