import { type I18n, labelOf } from '../../../../portal/i18n/index.ts'
import { platformLabel } from '../../../../portal/pages/app/connections.tsx'
import { type ChartView, OverviewPage } from '../../../../portal/pages/app/overview.tsx'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { FOLLOWERS_CHART, readDashboardCharts } from '../../../services/metrics/charts.ts'
import { previousPeriod } from '../../../services/metrics/filters.ts'
import { readSummary } from '../../../services/metrics/summary.ts'
import { granularityFor, readPeriod } from '../period.ts'
import { portalRun, signedIn } from '../run.ts'

type Chart = Awaited<ReturnType<typeof readDashboardCharts>>[number]

/** A metric's name in the page's language (`metric.<name>`), the raw name when none is written. */
export const metricLabel = (t: I18n['t'], metric: string) => labelOf(t, 'metric', metric)

/**
 * The charts the metrics service drew (followers of every account, then one per platform and
 * metric), titled by what they measure, each line named by its account or by how many accounts
 * it sums.
 */
function chartsOf(charts: Chart[], names: Map<string, string>, t: I18n['t']): ChartView[] {
  return charts.map(({ chart, lines }) => {
    const [platform = chart, metric = chart] = chart.split(':')
    return {
      id: `chart-${chart.replace(':', '-')}`,
      title:
        chart === FOLLOWERS_CHART
          ? t('kpi.followers')
          : `${platformLabel(t, platform)} · ${metricLabel(t, metric)}`,
      series: lines.map((line) => ({
        label: line.connectionId
          ? (names.get(line.connectionId) ?? t('chart.removedAccount'))
          : t('chart.otherAccounts', { count: line.accounts }),
        points: line.points,
      })),
    }
  })
}

/** The overview: KPI cards (period over period) and charts, through the metrics services. */
export function registerPortalOverview(portal: PortalApp) {
  portal.get('/app', signedIn('member'), async (c) => {
    const { period, error } = readPeriod(c.req.query())
    const filters = { connectionIds: null, platforms: null, from: period.from, to: period.to }
    const { summary, charts } = await portalRun(
      c,
      async (ctx) => ({
        summary: await readSummary(ctx, filters),
        charts: await readDashboardCharts(ctx, {
          from: period.from,
          to: period.to,
          granularity: granularityFor(period),
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
        charts={chartsOf(charts, names, t)}
        error={error}
      />,
      { title: t('overview.title') },
    )
  })
}
