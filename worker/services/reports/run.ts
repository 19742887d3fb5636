import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type {
  MemberRole,
  Platform,
  ReportComparison,
  ReportFormat,
  ReportLanguage,
  ReportPeriod,
  ReportRunKind,
} from '../../../db/schema/index.ts'
import { MAX_EMAIL_ATTACHMENT_BYTES } from '../../connectors/messaging/types.ts'
import type { JobOf } from '../../jobs/messages.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import type { ServiceContext } from '../context.ts'
import { putFile, tenantFileKey } from '../files/files.ts'
import { insertOutboundMessage, queueSends } from '../messaging/outbox.ts'
import { compare } from '../metrics/filters.ts'
import { readSeries } from '../metrics/series.ts'
import { readSummary } from '../metrics/summary.ts'
import {
  type Card,
  REPORT_KPIS,
  type ReportData,
  type ReportKpi,
  renderReportPdf,
  reportText,
} from './pdf.ts'
import { unsubscribeUrl } from './unsubscribe.ts'

/**
 * A run claimed this long ago that never finished died with its consumer (a queue consumer runs
 * 15 minutes at most): it may be claimed again.
 */
export const RENDERING_TIMEOUT_MINUTES = 15
const DEFAULT_COLOUR = '#1d4ed8'

/** The run, its schedule and its owner, as the claim reads them. */
export type ClaimedRun = {
  id: string
  tenant_id: string
  schedule_id: string
  kind: ReportRunKind
  period_start: string
  period_end: string
  requested_by: string | null
  name: string
  connection_ids: string[] | null
  platforms: Platform[] | null
  period: ReportPeriod
  period_days: number | null
  comparison: ReportComparison
  language: ReportLanguage
  time_zone: string
  recipients: string[]
  format: ReportFormat
  hold_for_review: boolean
  created_by: string
  owner_role: MemberRole | null
  requester_email: string | null
  tenant_name: string
  tenant_slug: string
  unsubscribe_key: string
}

/**
 * `reports.run`: renders one run and delivers it once. (1) A short transaction claims it (`queued`
 * → `rendering`; a redelivered job, or a second job for the same run, finds nothing to claim) and
 * reads its data through the overview's own services, as the schedule's owner. (2) The PDF is
 * rendered and stored with no transaction open, under a key fixed by the run, so a retry replaces
 * it. (3) Another transaction moves the run on only if it is still `rendering`: `held` with its
 * reasons when the data is incomplete and the schedule holds for review, otherwise `sent`, writing
 * one outbox e-mail per recipient whose idempotency key is the run and the address, so nothing
 * the run does can send the same report to the same person twice.
 */
export async function runReport(job: JobOf<'reports.run'>, services: Services): Promise<void> {
  const now = new Date()
  const claimed = await services.db.transaction(
    async (tx) => {
      const run = await claimRun(tx, job)
      if (!run) return null
      if (!run.owner_role) {
        await tx.execute(sql`
          update report_runs set status = 'failed', error = 'The schedule’s owner is no longer an active member.'
          where id = ${run.id} and tenant_id = ${run.tenant_id} and status = 'rendering'`)
        return null
      }
      return { run, data: await readReportData(tx, services, run, run.owner_role, now) }
    },
    { tenantId: job.tenantId },
  )
  if (!claimed) return
  const { run, data } = claimed
  const started = Date.now()
  const pdf = await renderReportPdf(data.report)
  const key = tenantFileKey(run.tenant_id, 'reports', `${run.id}.pdf`)
  const size = await putFile(services.files, key, pdf.bytes, 'application/pdf')
  log('info', 'report rendered', { run_id: run.id, pages: pdf.pages, bytes: size, ms: Date.now() - started })

  const hold = run.kind === 'scheduled' && run.hold_for_review && data.report.notes.length > 0
  const sent = await services.db.transaction(
    async (tx) => {
      const moved = await tx.execute<{ id: string }>(sql`
        update report_runs set status = ${hold ? 'held' : 'sent'}, file_key = ${key}, file_size = ${size},
          pages = ${pdf.pages}, rendered_at = now(), hold_reasons = ${JSON.stringify(data.report.notes)}::jsonb,
          sent_at = ${hold ? null : now}
        where id = ${run.id} and tenant_id = ${run.tenant_id} and status = 'rendering'
        returning id`)
      if (moved.rows.length === 0 || hold) return []
      return deliverRun(tx, services, run, { key, size })
    },
    { tenantId: job.tenantId },
  )
  await queueSends(services.jobs, run.tenant_id, sent)
}

/** Claims a queued run, or one whose rendering died; with its schedule and owner. */
async function claimRun(tx: Tx, job: JobOf<'reports.run'>): Promise<ClaimedRun | null> {
  const claimed = await tx.execute<ClaimedRun>(sql`
    with claimed as (
      update report_runs set status = 'rendering', attempts = attempts + 1, claimed_at = now()
      where id = ${job.runId} and tenant_id = ${job.tenantId}
        and (status = 'queued' or (status = 'rendering'
          and claimed_at < now() - make_interval(mins => ${RENDERING_TIMEOUT_MINUTES})))
      returning *
    )
    select r.id, r.tenant_id, r.schedule_id, r.kind, r.period_start::text, r.period_end::text, r.requested_by,
      s.name, s.connection_ids, s.platforms, s.period, s.period_days, s.comparison, s.language, s.time_zone,
      s.recipients, s.format, s.hold_for_review, s.created_by, t.name as tenant_name, t.slug as tenant_slug,
      s.unsubscribe_key,
      (select u.role from users u where u.id = s.created_by and u.tenant_id = r.tenant_id and u.status = 'active')
        as owner_role,
      (select u.email from users u where u.id = r.requested_by and u.tenant_id = r.tenant_id and u.status = 'active')
        as requester_email
    from claimed r join report_schedules s on s.id = r.schedule_id join tenants t on t.id = r.tenant_id`)
  return claimed.rows[0] ?? null
}

/**
 * What the report shows, read with the permissions of the schedule's owner (never more than they
 * could see in the portal), through `readSummary` and `readSeries`: the overview's numbers and
 * charts, so the PDF and the portal agree. The notes are what makes the data incomplete.
 */
async function readReportData(tx: Tx, services: Services, run: ClaimedRun, role: MemberRole, now: Date) {
  const ctx: ServiceContext = {
    tx,
    principal: {
      kind: 'member',
      id: run.created_by,
      sessionId: `report:${run.id}`,
      role,
      tenantId: run.tenant_id,
    },
    meta: { ip: null, userAgent: null, requestId: `report:${run.id}` },
    services,
    now,
    modules: [],
    afterCommit: () => {},
  }
  // The run's stored period; the comparison is the summary's own previous period or a year back.
  const from = run.period_start
  const to = run.period_end
  const scope = { connectionIds: run.connection_ids, platforms: run.platforms }
  const summary = await readSummary(ctx, { ...scope, from, to })
  const previous =
    run.comparison === 'previous_year'
      ? await readSummary(ctx, { ...scope, from: yearBack(from), to: yearBack(to) })
      : null
  const series = await readSeries(ctx, {
    ...scope,
    metrics: null,
    from,
    to,
    granularity: 'day',
    compare: false,
  })
  const t = (key: Parameters<typeof reportText>[1], params?: Record<string, string | number>) =>
    reportText(run.language, key, params)
  const names = new Map(
    summary.data.map((row) => [row.connectionId, row.displayName ?? row.label ?? row.platform]),
  )
  const cardsOf = (
    kpis: (typeof summary.data)[number]['kpis'],
    prior?: (typeof summary.data)[number]['kpis'],
  ) =>
    Object.fromEntries(
      REPORT_KPIS.map((kpi) => {
        const card = kpis[kpi]
        if (!prior)
          return [
            kpi,
            {
              value: card.value,
              previousValue: card.previousValue,
              changePct: card.changePct,
              changeReason: card.changeReason,
            },
          ]
        return [kpi, withPrevious(card.value, prior[kpi].value)]
      }),
    ) as Record<ReportKpi, Card>
  const connections = summary.data.map((row) => ({
    name: names.get(row.connectionId) ?? row.platform,
    platform: row.platform,
    kpis: cardsOf(row.kpis, previous?.data.find((p) => p.connectionId === row.connectionId)?.kpis),
  }))
  // A total compares fairly only if every account behind it does: one account without a full
  // previous period makes the previous sum short, and the change a rise that did not happen.
  const totalCard = (value: number | null, previousValue: number | null, basis: ReportKpi): Card => {
    const card = withPrevious(value, previousValue)
    const short = connections.some((c) =>
      ['partial_previous_data', 'no_previous_data'].includes(c.kpis[basis].changeReason ?? ''),
    )
    return short && card.changePct !== null
      ? { ...card, changePct: null, changeReason: 'partial_previous_data' }
      : card
  }
  const totals = Object.fromEntries(
    REPORT_KPIS.map((kpi) => {
      const sum = (values: (number | null)[]) =>
        values.some((value) => value !== null) ? values.reduce<number>((a, b) => a + (b ?? 0), 0) : null
      if (kpi === 'engagementRate') {
        const interactions = sum(connections.map((c) => c.kpis.interactions.value))
        const followers = sum(connections.map((c) => c.kpis.followers.value))
        const before = sum(connections.map((c) => c.kpis.interactions.previousValue))
        const beforeFollowers = sum(connections.map((c) => c.kpis.followers.previousValue))
        const rate = (a: number | null, b: number | null) =>
          a === null || !b ? null : Math.round((a / b) * 10000) / 100
        return [kpi, totalCard(rate(interactions, followers), rate(before, beforeFollowers), 'interactions')]
      }
      return [
        kpi,
        totalCard(
          sum(connections.map((c) => c.kpis[kpi].value)),
          sum(connections.map((c) => c.kpis[kpi].previousValue)),
          kpi,
        ),
      ]
    }),
  ) as Record<ReportKpi, Card>

  const days = series.series[0]?.points.map((point) => point.t) ?? []
  const charts = new Map<string, ReportData['charts'][number]>()
  const notes: string[] = []
  for (const line of series.series) {
    const key = `${line.platform}:${line.metric}`
    const chart = charts.get(key) ?? { platform: line.platform, metric: line.metric, days, lines: [] }
    chart.lines.push({
      name: names.get(line.connectionId) ?? line.platform,
      values: line.points.map((p) => p.v),
    })
    charts.set(key, chart)
    const missing = line.points.filter((point) => point.v === null).length
    if (missing > 0)
      notes.push(
        t('report.note.missingDays', {
          name: names.get(line.connectionId) ?? line.platform,
          metric: line.metric.replace(/_/g, ' '),
          days: missing,
          total: line.points.length,
        }),
      )
  }
  for (const row of summary.data)
    if (row.status === 'needs_reconnect')
      notes.unshift(t('report.note.needsReconnect', { name: names.get(row.connectionId) ?? row.platform }))
  if (series.series.length === 0) notes.unshift(t('report.note.noData'))
  const report: ReportData = {
    title: run.name,
    tenantName: run.tenant_name,
    language: run.language,
    timeZone: run.time_zone,
    from,
    to,
    previousFrom: previous ? yearBack(from) : summary.previousFrom,
    previousTo: previous ? yearBack(to) : summary.previousTo,
    generatedAt: now,
    totals,
    connections,
    charts: [...charts.values()],
    notes,
    branding: { color: DEFAULT_COLOUR, footer: null },
  }
  return { report }
}

/** The same rule as the portal's cards (worker/services/metrics/filters.ts `compare`). */
const withPrevious = (value: number | null, previousValue: number | null): Card => ({
  value,
  previousValue,
  ...compare(value, previousValue),
})

const yearBack = (day: string) =>
  `${Number(day.slice(0, 4)) - 1}-${day.slice(5) === '02-29' ? '02-28' : day.slice(5)}`

/**
 * One outbox e-mail per recipient (a preview goes to whoever asked for it), in the transaction
 * that marks the run sent. The PDF is attached when it fits an e-mail and the schedule asks for
 * it; otherwise the e-mail carries a link to the run in the portal.
 */
export async function deliverRun(
  tx: Tx,
  services: Services,
  run: Pick<
    ClaimedRun,
    | 'id'
    | 'tenant_id'
    | 'kind'
    | 'name'
    | 'language'
    | 'recipients'
    | 'format'
    | 'requester_email'
    | 'period_start'
    | 'period_end'
    | 'schedule_id'
    | 'tenant_slug'
    | 'unsubscribe_key'
  >,
  file: { key: string; size: number },
): Promise<string[]> {
  const recipients =
    run.kind === 'preview' ? (run.requester_email ? [run.requester_email] : []) : run.recipients
  const day = new Intl.DateTimeFormat(run.language, { dateStyle: 'medium', timeZone: 'UTC' })
  const period = `${day.format(new Date(`${run.period_start}T12:00:00Z`))} – ${day.format(new Date(`${run.period_end}T12:00:00Z`))}`
  const attach = run.format === 'attachment' && file.size <= MAX_EMAIL_ATTACHMENT_BYTES
  const url = `${services.config.PORTAL_BASE_URL ?? ''}/app/reports/runs/${run.id}/file`
  const t = (key: Parameters<typeof reportText>[1], params: Record<string, string | number>) =>
    reportText(run.language, key, params)
  const base = services.config.PORTAL_BASE_URL ?? ''
  const ids: string[] = []
  for (const to of recipients) {
    // Every scheduled e-mail carries its recipient's own one-click unsubscribe (RFC 8058, in
    // Resend's `headers`) and the same link in the text; a preview goes to the member who asked.
    const unsubscribe = run.kind === 'scheduled' ? await unsubscribeUrl(base, run, to) : null
    const body = attach
      ? t('report.email.attached', { title: run.name, period })
      : t('report.email.link', { title: run.name, period, url })
    const message = await insertOutboundMessage(tx, run.tenant_id, {
      channel: 'email',
      purpose: run.kind === 'preview' ? 'reports.preview' : 'reports.scheduled',
      idempotencyKey: `report:${run.id}:${to}`,
      to,
      content: {
        subject: t('report.email.subject', { title: run.name, period }),
        text: unsubscribe ? `${body}\n\n${t('report.email.unsubscribe', { url: unsubscribe })}` : body,
        ...(unsubscribe
          ? {
              headers: {
                'List-Unsubscribe': `<${unsubscribe}>`,
                'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
              },
            }
          : {}),
        ...(attach
          ? {
              attachments: [
                {
                  key: file.key,
                  filename: `${run.name.replace(/[^\p{L}\p{N} _-]/gu, '').trim() || 'report'} ${run.period_start}.pdf`,
                  contentType: 'application/pdf',
                  size: file.size,
                },
              ],
            }
          : {}),
      },
    })
    if (message.status === 'queued') ids.push(message.id)
  }
  return ids
}
