import type { Platform } from '../../../../db/schema/index.ts'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { platformLabel } from '../../../../portal/pages/app/connections.tsx'
import { type ChartView, OverviewPage } from '../../../../portal/pages/app/overview.tsx'
import { KPI_METRICS } from '../../../services/metrics/catalog.ts'
import { previousPeriod } from '../../../services/metrics/filters.ts'
import { readSeries } from '../../../services/metrics/series.ts'
import { readSummary } from '../../../services/metrics/summary.ts'
import type { PortalApp } from '../index.ts'
import { granularityFor, readPeriod } from '../period.ts'
import { portalRun, signedIn } from '../run.ts'

type Series = Awaited<ReturnType<typeof readSeries>>['series'][number]

/** A metric's name in the page's language (`metric.<name>`), the raw name when none is written. */
export const metricLabel = (t: (key: MessageKey) => string, metric: string) => {
  const label = t(`metric.${metric}` as MessageKey)
  return label === `metric.${metric}` ? metric : label
}

/**
 * Charts per platform and metric, from the series the metrics service computed: followers of
 * every account in one chart, then one chart per platform with the metrics behind its KPI cards
 * (all of its metrics where the platform has no KPI mapping, e.g. WhatsApp).
 */
function chartsOf(series: Series[], names: Map<string, string>, t: (key: MessageKey) => string): ChartView[] {
  const charts: ChartView[] = []
  const followers = series.filter((s) => s.metric === 'followers')
  if (followers.length > 0) {
    charts.push({
      id: 'chart-followers',
      title: t('kpi.followers'),
      series: followers.map((s) => ({
        label: names.get(s.connectionId) ?? s.connectionId,
        points: s.points,
      })),
    })
  }
  const platforms = [...new Set(series.map((s) => s.platform))]
  for (const platform of platforms) {
    const mapped = Object.entries(KPI_METRICS[platform as Platform] ?? {})
      .filter(([kpi]) => kpi !== 'followers')
      .flatMap(([, metrics]) => metrics ?? [])
    const own = series.filter((s) => s.platform === platform && s.metric !== 'followers')
    const shown = mapped.length > 0 ? own.filter((s) => mapped.includes(s.metric)) : own
    if (shown.length === 0) continue
    const accounts = new Set(shown.map((s) => s.connectionId)).size
    charts.push({
      id: `chart-${platform}`,
      title: platformLabel(t, platform),
      series: shown.map((s) => ({
        label:
          accounts > 1
            ? `${names.get(s.connectionId) ?? s.connectionId} · ${metricLabel(t, s.metric)}`
            : metricLabel(t, s.metric),
        points: s.points,
      })),
    })
  }
  return charts
}

/** The overview: KPI cards (period over period) and charts, through the metrics services. */
export function registerPortalOverview(portal: PortalApp) {
  portal.get('/app', signedIn('member'), async (c) => {
    const { period, error } = readPeriod(c.req.query())
    const filters = { connectionIds: null, platforms: null, from: period.from, to: period.to }
    const { summary, series } = await portalRun(
      c,
      async (ctx) => ({
        summary: await readSummary(ctx, filters),
        series: await readSeries(ctx, {
          ...filters,
          metrics: null,
          granularity: granularityFor(period),
          compare: false,
        }),
      }),
      { module: 'metrics' },
    )
    const { t } = c.var.i18n
    const names = new Map(
      summary.data.map((s) => [s.connectionId, s.label ?? s.displayName ?? platformLabel(t, s.platform)]),
    )
    return c.render(
      <OverviewPage
        period={period}
        previous={previousPeriod(period.from, period.to)}
        summaries={summary.data}
        charts={chartsOf(series.series, names, t)}
        error={error}
      />,
      { title: t('overview.title') },
    )
  })
}
