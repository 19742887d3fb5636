import { PLATFORMS, type Platform } from '../../../../db/schema/index.ts'
import { periodHref } from '../../../../portal/components/period.tsx'
import { platformLabel } from '../../../../portal/pages/app/connections.tsx'
import { MetricsPage } from '../../../../portal/pages/app/metrics.tsx'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { listConnections } from '../../../services/connections/connections.ts'
import { CATALOG } from '../../../services/metrics/catalog.ts'
import { downloadExport } from '../../../services/metrics/export.ts'
import type { MetricFilters } from '../../../services/metrics/filters.ts'
import { readSeries } from '../../../services/metrics/series.ts'
import { granularityFor, readPeriod } from '../period.ts'
import { type PortalContext, portalCaller, portalRun, signedIn } from '../run.ts'
import { metricLabel } from './overview.tsx'

/** Lines drawn at most in one chart; the table below lists every series. */
const MAX_LINES = 8
const METRICS = { module: 'metrics' } as const

/** The explorer's filters from its query string; unknown values are ignored rather than refused. */
function readFilters(c: PortalContext) {
  const { period, error } = readPeriod(c.req.query())
  const platform = (PLATFORMS as readonly string[]).includes(c.req.query('platform') ?? '')
    ? (c.req.query('platform') as Platform)
    : ''
  const connection = /^con_[0-9a-z]{20}$/.test(c.req.query('connection') ?? '')
    ? (c.req.query('connection') as string)
    : ''
  const known = CATALOG.some(
    (e) => e.metric === c.req.query('metric') && (!platform || e.platform === platform),
  )
  const metric = known ? (c.req.query('metric') as string) : ''
  const filters: MetricFilters = {
    connectionIds: connection ? [connection] : null,
    platforms: platform ? [platform] : null,
    metrics: metric ? [metric] : null,
    from: period.from,
    to: period.to,
  }
  return { period, error, platform, connection, metric, filters }
}

/** The metrics explorer and its CSV download, through the metrics services. */
export function registerPortalMetrics(portal: PortalApp) {
  portal.use('/app/metrics', signedIn('member'))
  portal.use('/app/metrics/*', signedIn('member'))

  portal.get('/app/metrics', async (c) => {
    const q = readFilters(c)
    const { connections, series } = await portalRun(
      c,
      async (ctx) => ({
        connections: await listConnections(ctx, { limit: 100 }),
        series: await readSeries(ctx, { ...q.filters, granularity: granularityFor(q.period), compare: true }),
      }),
      METRICS,
    )
    const { t } = c.var.i18n
    const names = new Map(
      connections.data.map((con) => [con.id, con.label ?? con.displayName ?? platformLabel(t, con.platform)]),
    )
    const labelOf = (s: { connectionId: string; metric: string }) =>
      `${names.get(s.connectionId) ?? s.connectionId} · ${metricLabel(t, s.metric)}`
    // The download covers exactly what the page shows: same period, same filters, same URL shape.
    const keep = { platform: q.platform, connection: q.connection, metric: q.metric }
    const metrics = [
      ...new Set(CATALOG.filter((e) => !q.platform || e.platform === q.platform).map((e) => e.metric)),
    ]
    return c.render(
      <MetricsPage
        period={q.period}
        filters={{ platform: q.platform, connection: q.connection, metric: q.metric }}
        connections={[...names].map(([id, name]) => ({ id, name }))}
        metrics={metrics.map((m) => ({ value: m, label: metricLabel(t, m) }))}
        series={series.series.slice(0, MAX_LINES).map((s) => ({ label: labelOf(s), points: s.points }))}
        truncated={series.series.length > MAX_LINES}
        rows={series.series.map((s) => ({
          label: names.get(s.connectionId) ?? s.connectionId,
          platform: s.platform,
          metric: metricLabel(t, s.metric),
          total: s.total ?? null,
          previousTotal: s.previousTotal ?? null,
          changePct: s.changePct ?? null,
          changeReason: s.changeReason ?? null,
        }))}
        keep={keep}
        exportHref={periodHref('/app/metrics/export', q.period, { format: 'csv', ...keep })}
        error={q.error}
      />,
      { title: t('explorer.title') },
    )
  })

  /**
   * The CSV download of the explorer's filters: the same two steps as GET /api/v1/metrics/export
   * (checks and first page in the request's transaction, later pages on the stream's own handle),
   * authenticated by the session cookie, which a plain link carries and a bearer token would not.
   */
  portal.get('/app/metrics/export', async (c) => {
    const q = readFilters(c)
    const filters = { ...q.filters, format: 'csv' as const }
    const { t, locale } = c.var.i18n
    const brazilian = locale === 'pt-BR'
    const { body, headers } = await downloadExport(portalCaller(c), filters, {
      separator: brazilian ? ';' : ',',
      decimalComma: brazilian,
      headers: {
        period_start: t('csv.day'),
        platform: t('csv.platform'),
        label: t('csv.account'),
        metric: t('csv.metric'),
        value: t('csv.value'),
      },
      name: (kind, value) => (kind === 'platform' ? platformLabel(t, value) : metricLabel(t, value)),
    })
    return c.body(body, 200, headers)
  })
}
