import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import type { ReportComparison, ReportFrequency, ReportPeriod } from '../../../db/schema/index.ts'
import type { JobMessage } from '../../jobs/messages.ts'
import type { JobQueue } from '../../runtime/ports.ts'
import { localDate, nextRunAfter, reportWindow } from './periods.ts'
import { RENDERING_TIMEOUT_MINUTES } from './run.ts'

/** Schedules handled per tick; the rest wait for the next one (15 minutes). */
const DUE_PAGE = 500

type DueSchedule = {
  id: string
  tenant_id: string
  frequency: ReportFrequency
  weekday: number | null
  month_day: number | null
  local_time: string
  time_zone: string
  period: ReportPeriod
  period_days: number | null
  comparison: ReportComparison
  next_run_at: Date
}

/**
 * Run by the cron tick (operator mode): for every active schedule whose time has come, the run of
 * its period (`INSERT … ON CONFLICT DO NOTHING` on (schedule, period start), so a doubled tick or
 * two ticks racing make one run) and its next time; then a job for every run still to render:
 * the new ones, queued ones whose job was lost, renderings that died. A second job for a run
 * already in hand is harmless (the claim is the gate). Jobs are sent in this transaction like
 * the other fan-outs; a job for a run that rolled back finds nothing to claim.
 */
export async function queueDueReports(tx: Tx, jobs: JobQueue, now: Date) {
  const due = await tx.execute<DueSchedule>(sql`
    select id, tenant_id, frequency, weekday, month_day, local_time, time_zone, period, period_days, comparison,
      next_run_at
    from report_schedules where active and next_run_at <= ${now}
    order by next_run_at limit ${DUE_PAGE} for update skip locked`)
  let created = 0
  for (const schedule of due.rows) {
    const runAt = new Date(schedule.next_run_at)
    const window = reportWindow(
      localDate(runAt, schedule.time_zone),
      schedule.period,
      schedule.period_days,
      schedule.comparison,
    )
    const inserted = await tx.execute(sql`
      insert into report_runs (id, tenant_id, schedule_id, kind, period_start, period_end)
      values (${newId('rpr')}, ${schedule.tenant_id}, ${schedule.id}, 'scheduled', ${window.from}, ${window.to})
      on conflict (schedule_id, period_start) where kind = 'scheduled' do nothing`)
    created += inserted.rowCount ?? 0
    const next = nextRunAfter(
      {
        frequency: schedule.frequency,
        weekday: schedule.weekday,
        monthDay: schedule.month_day,
        localTime: schedule.local_time,
        timeZone: schedule.time_zone,
      },
      // A schedule late by more than one period (the Worker was down) catches up with one run.
      now > runAt ? now : runAt,
    )
    await tx.execute(sql`update report_schedules set next_run_at = ${next} where id = ${schedule.id}`)
  }
  const runnable = await tx.execute<{ id: string; tenant_id: string }>(sql`
    select id, tenant_id from report_runs
    where status = 'queued'
      or (status = 'rendering' and claimed_at < ${now}::timestamptz - make_interval(mins => ${RENDERING_TIMEOUT_MINUTES}))
    limit ${DUE_PAGE}`)
  const messages: JobMessage[] = runnable.rows.map((run) => ({
    type: 'reports.run',
    v: 1,
    tenantId: run.tenant_id,
    runId: run.id,
  }))
  await jobs.sendMany(messages)
  return { schedules: due.rows.length, runsCreated: created, runsQueued: messages.length }
}
