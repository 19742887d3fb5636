import type { attendanceReport } from '../../../worker/services/attendance/reports.ts'
import { BarChart } from '../../components/bar-chart.tsx'
import { LineChart } from '../../components/chart.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'
import { duration } from './inbox-format.ts'

export type InboxReport = Awaited<ReturnType<typeof attendanceReport>>
type Times = Omit<InboxReport['byAgent'][number], 'agent_id' | 'agent_name'>

const DAY_MS = 86_400_000

/** Every day of the period, so a quiet day is a zero on the chart rather than a gap. */
function daysOf(from: string, to: string): string[] {
  const days: string[] = []
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${to}T00:00:00Z`); at += DAY_MS)
    days.push(new Date(at).toISOString().slice(0, 10))
  return days
}

/** The columns of the times tables: the report's field, its heading, and a count or a duration. */
const COLUMNS: { field: keyof Times; label: MessageKey; kind: 'count' | 'time' }[] = [
  { field: 'conversations', label: 'inbox.reports.conversations', kind: 'count' },
  { field: 'replied', label: 'inbox.reports.replied', kind: 'count' },
  { field: 'first_response_p50_s', label: 'inbox.reports.firstResponseMedian', kind: 'time' },
  { field: 'first_response_avg_s', label: 'inbox.reports.firstResponseMean', kind: 'time' },
  { field: 'resolved', label: 'inbox.reports.resolved', kind: 'count' },
  { field: 'resolution_p50_s', label: 'inbox.reports.resolutionMedian', kind: 'time' },
  { field: 'resolution_avg_s', label: 'inbox.reports.resolutionMean', kind: 'time' },
]

/** One row of times; each cell also carries its raw figure (`data-value`), the API's number. */
function TimesCells(props: { row: Times }) {
  const i18n = useI18n()
  return (
    <>
      {COLUMNS.map((column) => {
        const value = props.row[column.field]
        return (
          <td class="num" data-field={column.field} data-value={value === null ? '' : String(value)}>
            {column.kind === 'time' ? duration(i18n, value) : value === null ? '—' : i18n.number(value)}
          </td>
        )
      })}
    </>
  )
}

function TimesHead(props: { first: string }) {
  const { t } = useI18n()
  return (
    <thead>
      <tr>
        <th scope="col">{props.first}</th>
        {COLUMNS.map((column) => (
          <th scope="col" class="num">
            {t(column.label)}
          </th>
        ))}
      </tr>
    </thead>
  )
}

/** A table of times, one row per agent or number (`data-key`: its id, for comparing with the API). */
function TimesTable(props: {
  id: string
  first: string
  rows: { key: string; name: string; times: Times }[]
}) {
  const { t } = useI18n()
  if (props.rows.length === 0) return <p class="muted">{t('chart.noData')}</p>
  return (
    <div class="table-wrap">
      <table id={props.id}>
        <TimesHead first={props.first} />
        <tbody>
          {props.rows.map((row) => (
            <tr data-key={row.key}>
              <th scope="row">{row.name}</th>
              <TimesCells row={row.times} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/**
 * The inbox's report for a period: messages per day (a line per direction), and first-response
 * and resolution times per agent and per number (a bar chart of the medians, then the tables),
 * from the same verb as `GET /api/v1/attendance/reports`.
 */
export function InboxReportsPage(props: { report: InboxReport; days: number | null }) {
  const i18n = useI18n()
  const { t } = i18n
  const { report } = props
  const byDay = new Map(report.volume.map((row) => [row.day, row]))
  const days = daysOf(report.from, report.to)
  const series = (label: string, pick: (row: InboxReport['volume'][number]) => number) => ({
    label,
    points: days.map((day) => {
      const row = byDay.get(day)
      return { t: day, v: row ? pick(row) : 0 }
    }),
  })
  const totals = report.volume.reduce(
    (sum, row) => ({
      inbound: sum.inbound + row.inbound,
      outbound: sum.outbound + row.outbound,
      notes: sum.notes + row.notes,
    }),
    { inbound: 0, outbound: 0, notes: 0 },
  )
  const agentName = (row: InboxReport['byAgent'][number]) => row.agent_name ?? t('inbox.reports.nobody')
  return (
    <>
      <h1>{t('inbox.reports.title')}</h1>
      <p class="pager">
        <a href="/app/inbox">{t('inbox.reports.back')}</a>
      </p>
      <nav aria-label={t('inbox.reports.period')} class="pager">
        {[7, 30, 90].map((n) => (
          <>
            <a href={`/app/inbox/reports?days=${n}`} aria-current={props.days === n ? 'page' : undefined}>
              {t('inbox.reports.lastDays', { n })}
            </a>{' '}
          </>
        ))}
      </nav>
      <form method="get" action="/app/inbox/reports" class="row report-range">
        <div class="field">
          <label for="report-from">{t('inbox.reports.from')}</label>
          <input id="report-from" name="from" type="date" value={report.from} required />
        </div>
        <div class="field">
          <label for="report-to">{t('inbox.reports.to')}</label>
          <input id="report-to" name="to" type="date" value={report.to} required />
        </div>
        <button type="submit" class="secondary">
          {t('inbox.reports.show')}
        </button>
      </form>
      <p class="muted" id="report-range">
        {t('inbox.reports.range', { from: i18n.date(report.from), to: i18n.date(report.to) })}
      </p>
      <section class="card" aria-labelledby="report-volume">
        <h2 id="report-volume">{t('inbox.reports.volume')}</h2>
        <dl class="facts" id="report-totals">
          <dt>{t('inbox.reports.inbound')}</dt>
          <dd data-value={totals.inbound}>{i18n.number(totals.inbound)}</dd>
          <dt>{t('inbox.reports.outbound')}</dt>
          <dd data-value={totals.outbound}>{i18n.number(totals.outbound)}</dd>
          <dt>{t('inbox.reports.notes')}</dt>
          <dd data-value={totals.notes}>{i18n.number(totals.notes)}</dd>
        </dl>
        <LineChart
          id="volume-chart"
          title={t('inbox.reports.volume')}
          series={[
            series(t('inbox.reports.inbound'), (row) => row.inbound),
            series(t('inbox.reports.outbound'), (row) => row.outbound),
            series(t('inbox.reports.notes'), (row) => row.notes),
          ]}
        />
      </section>
      <section aria-labelledby="report-agents">
        <h2 id="report-agents">{t('inbox.reports.byAgent')}</h2>
        <BarChart
          id="agents-chart"
          title={t('inbox.reports.firstResponseChart')}
          desc={t('inbox.reports.firstResponseChartDesc', {
            from: i18n.date(report.from),
            to: i18n.date(report.to),
          })}
          yLabel={t('inbox.reports.minutes')}
          legend={t('inbox.reports.firstResponseMedian')}
          format={(v) => i18n.number(Math.round(v))}
          bars={report.byAgent
            .filter((row) => row.first_response_p50_s !== null)
            .map((row) => ({
              label: agentName(row),
              value: (row.first_response_p50_s ?? 0) / 60,
              tooltip: `${agentName(row)}: ${duration(i18n, row.first_response_p50_s)}`,
            }))}
        />
        <TimesTable
          id="report-agent-table"
          first={t('inbox.reports.agent')}
          rows={report.byAgent.map((row) => ({ key: row.agent_id ?? '', name: agentName(row), times: row }))}
        />
      </section>
      <section aria-labelledby="report-numbers">
        <h2 id="report-numbers">{t('inbox.reports.byNumber')}</h2>
        <TimesTable
          id="report-number-table"
          first={t('inbox.reports.number')}
          rows={report.byNumber.map((row) => ({ key: row.number_id, name: row.display_number, times: row }))}
        />
      </section>
      <p class="muted small">{t('inbox.reports.note')}</p>
    </>
  )
}
