import type { Platform } from '../../../db/schema/index.ts'
import { KPI_METRICS } from '../../../worker/services/metrics/catalog.ts'
import type { ChangeReason } from '../../../worker/services/metrics/filters.ts'
import { type ChartSeries, LineChart } from '../../components/chart.tsx'
import { type PeriodChoice, PeriodForm } from '../../components/period.tsx'
import { Status } from '../../components/status.tsx'
import { type I18n, labelOf, type MessageKey, useI18n } from '../../i18n/index.ts'
import { platformLabel } from './connections.tsx'

type Card = {
  value: number | null
  previousValue: number | null
  changePct: number | null
  changeReason: ChangeReason | null
}

export type SummaryView = {
  connectionId: string
  platform: string
  label: string | null
  displayName: string | null
  status: string
  kpis: {
    followers: Card & { growth: number | null }
    reach: Card
    views: Card
    interactions: Card
    conversations: Card
    messages: Card
    engagementRate: Card
  }
}

export type ChartView = { id: string; title: string; series: ChartSeries[] }

/**
 * "+12,5%" with words for screen readers; green up, red down; without a fair comparison, why
 * not, in words (the API's `change_reason`), never a percentage against an empty period.
 */
export function Change(props: { pct: number | null; reason: ChangeReason | null }) {
  const { t, percent } = useI18n()
  if (props.pct === null)
    return <span class="change flat">{t(`kpi.noComparison.${props.reason ?? 'no_previous_data'}`)}</span>
  const direction = props.pct > 0 ? 'up' : props.pct < 0 ? 'down' : 'flat'
  // A sign, not an arrow glyph: every font has it, and the direction does not rest on colour.
  const sign = direction === 'up' ? '+' : direction === 'down' ? '−' : ''
  const words = t(`kpi.change.${direction}`, { pct: percent(Math.abs(props.pct)) })
  // A compact chip on screen ("+12,5%"), the sentence for screen readers and on hover.
  return (
    <span class={`change ${direction}`} title={words}>
      <span aria-hidden="true">
        {sign}
        {percent(Math.abs(props.pct))}
      </span>
      <span class="sr-only">{words}</span>
    </span>
  )
}

const KPI_ROWS = [
  ['followers', 'kpi.followers'],
  ['reach', 'kpi.reach'],
  ['views', 'kpi.views'],
  ['interactions', 'kpi.interactions'],
  ['conversations', 'kpi.conversations'],
  ['messages', 'kpi.messages'],
  ['engagementRate', 'kpi.engagementRate'],
] as const

/**
 * A KPI row's name on a platform's card: the name of the one catalog metric behind it, so the
 * card and the chart call it the same ("Impressões" on X, "Engajamento nos posts" on Facebook);
 * the KPI's own name where it sums several metrics or the platform has none.
 */
function kpiLabel(t: I18n['t'], platform: string, key: (typeof KPI_ROWS)[number][0], fallback: MessageKey) {
  if (key === 'engagementRate') return t(fallback)
  const metrics = KPI_METRICS[platform as Platform]?.[key] ?? []
  return metrics.length === 1 ? labelOf(t, 'metric', metrics[0] as string) : t(fallback)
}

/** One card per connected account: its KPIs for the period and the change from the previous one. */
function KpiCard(props: { summary: SummaryView }) {
  const i18n = useI18n()
  const { t } = i18n
  const s = props.summary
  const name = s.label ?? s.displayName ?? platformLabel(t, s.platform)
  return (
    <article class="card kpi" aria-label={name}>
      <h3>
        {name} <Status value={s.status} />
      </h3>
      <p class="muted small">{platformLabel(t, s.platform)}</p>
      <dl class="facts">
        {KPI_ROWS.map(([key, label]) => {
          const card = s.kpis[key]
          if (card.value === null && card.previousValue === null) return null
          const shown =
            card.value === null
              ? '—'
              : key === 'engagementRate'
                ? i18n.percent(card.value)
                : i18n.number(card.value)
          return (
            <>
              <dt>{kpiLabel(t, s.platform, key, label)}</dt>
              <dd>
                <strong>{shown}</strong> <Change pct={card.changePct} reason={card.changeReason} />
              </dd>
            </>
          )
        })}
      </dl>
    </article>
  )
}

/** A card with a KPI that has no fair comparison (the note under the cards says why). */
const withoutBasis = (summary: SummaryView) =>
  Object.values(summary.kpis).some(
    (card) => card.changeReason === 'no_previous_data' || card.changeReason === 'partial_previous_data',
  )

/** The client portal's first page: KPI cards and charts for a period, or how to start. */
export function OverviewPage(props: {
  period: PeriodChoice
  previous: { from: string; to: string }
  summaries: SummaryView[]
  charts: ChartView[]
  error?: MessageKey
}) {
  const i18n = useI18n()
  const { t } = i18n
  return (
    <>
      <h1>{t('overview.title')}</h1>
      <PeriodForm action="/app" target="#overview-data" period={props.period} />
      <div id="overview-data">
        {props.error && <p class="alert error">{t(props.error)}</p>}
        <p class="muted">
          {t('overview.periodLine', {
            from: i18n.date(props.period.from),
            to: i18n.date(props.period.to),
            pfrom: i18n.date(props.previous.from),
            pto: i18n.date(props.previous.to),
          })}
        </p>
        {props.summaries.length === 0 ? (
          <section class="card">
            <p>{t('overview.empty')}</p>
            <p>
              <a href="/app/connections">{t('overview.connectFirst')}</a>
            </p>
          </section>
        ) : (
          <>
            <section aria-labelledby="kpi-title">
              <h2 id="kpi-title">{t('overview.kpis')}</h2>
              <div class="grid">
                {props.summaries.map((summary) => (
                  <KpiCard summary={summary} />
                ))}
              </div>
              {props.summaries.some(withoutBasis) && <p class="muted small">{t('kpi.noComparisonNote')}</p>}
            </section>
            <section aria-labelledby="charts-title">
              <h2 id="charts-title">{t('overview.charts')}</h2>
              <div class="charts">
                {props.charts.map((chart) => (
                  <div class="card">
                    <h3>{chart.title}</h3>
                    <LineChart id={chart.id} title={chart.title} series={chart.series} size="small" />
                  </div>
                ))}
              </div>
            </section>
          </>
        )}
      </div>
    </>
  )
}
