import { PLATFORMS } from '../../../db/schema/connections.ts'
import type { ChangeReason } from '../../../worker/services/metrics/filters.ts'
import { type ChartSeries, LineChart } from '../../components/chart.tsx'
import { Select } from '../../components/forms.tsx'
import { type PeriodChoice, PeriodForm } from '../../components/period.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'
import { Change } from './overview.tsx'

export type ExplorerRow = {
  label: string
  platform: string
  metric: string
  total: number | null
  previousTotal: number | null
  changePct: number | null
  changeReason: ChangeReason | null
}

/** The metrics explorer: filters, one chart, the same numbers as a table, and the CSV export. */
export function MetricsPage(props: {
  period: PeriodChoice
  filters: { platform: string; connection: string; metric: string }
  /** The filters as query parameters, carried by the period presets. */
  keep: Record<string, string>
  connections: { id: string; name: string }[]
  metrics: { value: string; label: string }[]
  series: ChartSeries[]
  rows: ExplorerRow[]
  exportHref: string
  truncated: boolean
  error?: MessageKey
}) {
  const i18n = useI18n()
  const { t } = i18n
  const f = props.filters
  return (
    <>
      <h1>{t('explorer.title')}</h1>
      <PeriodForm
        action="/app/metrics"
        target="#explorer"
        period={props.period}
        keep={props.keep}
        extra={
          <>
            <Select
              name="platform"
              label="connections.platform"
              value={f.platform}
              options={[
                { value: '', label: t('filter.all') },
                ...PLATFORMS.map((p) => ({ value: p, label: t(`platform.${p}`) })),
              ]}
            />
            <Select
              name="connection"
              label="connections.account"
              value={f.connection}
              options={[
                { value: '', label: t('filter.all') },
                ...props.connections.map((c) => ({ value: c.id, label: c.name })),
              ]}
            />
            <Select
              name="metric"
              label="explorer.metric"
              value={f.metric}
              options={[{ value: '', label: t('filter.all') }, ...props.metrics]}
            />
          </>
        }
      />
      <section id="explorer" aria-label={t('explorer.title')}>
        {props.error && <p class="alert error">{t(props.error)}</p>}
        <p>
          <a href={props.exportHref} download>
            {t('explorer.exportCsv')}
          </a>
        </p>
        {props.truncated && <p class="muted small">{t('explorer.truncated')}</p>}
        <div class="card">
          <LineChart id="explorer-chart" title={t('explorer.chartTitle')} series={props.series} />
        </div>
        {props.rows.length > 0 && (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">{t('explorer.tableCaption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('connections.account')}</th>
                  <th scope="col">{t('explorer.metric')}</th>
                  <th scope="col" class="num">
                    {t('explorer.total')}
                  </th>
                  <th scope="col" class="num">
                    {t('explorer.previous')}
                  </th>
                  <th scope="col">{t('explorer.change')}</th>
                </tr>
              </thead>
              <tbody>
                {props.rows.map((row) => (
                  <tr>
                    <td>{row.label}</td>
                    <td>{row.metric}</td>
                    <td class="num">{row.total === null ? '—' : i18n.number(row.total)}</td>
                    <td class="num">{row.previousTotal === null ? '—' : i18n.number(row.previousTotal)}</td>
                    <td>
                      <Change pct={row.changePct} reason={row.changeReason} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  )
}
