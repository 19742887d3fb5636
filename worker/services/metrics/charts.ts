import { sql } from 'drizzle-orm'
import { PLATFORMS, type Platform } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import { CATALOG, KPI_METRICS } from './catalog.ts'
import { LAST_OF, pointScope } from './filters.ts'
import type { Bucket } from './series.ts'

/** Lines one chart draws at most: one colour each (portal/components/chart.tsx has 8). */
export const MAX_LINES = 8

/** The followers chart's id; the others are `<platform>:<metric>`. */
export const FOLLOWERS_CHART = 'followers'

type ChartEntry = {
  platform: Platform
  metric: string
  granularity: 'day' | 'lifetime'
  stock: boolean
  chart: string
}

/**
 * What the overview charts, from the catalog: followers of every account in one chart, then small
 * multiples, one chart per platform and metric behind its KPI cards (all of its metrics where the
 * platform has no KPI mapping), each with its own axis: on one shared axis a big series (reach)
 * flattened the others (interactions) to a line on the floor. Followers first, then by platform
 * and in the order of the KPI cards. Only these metrics are read.
 */
export const DASHBOARD_CHARTS: readonly ChartEntry[] = CATALOG.flatMap(
  ({ aggregation, ...entry }): ChartEntry[] => {
    const stock = aggregation === 'last'
    if (entry.metric === 'followers') return [{ ...entry, stock, chart: FOLLOWERS_CHART }]
    const mapped = Object.entries(KPI_METRICS[entry.platform])
      .filter(([kpi]) => kpi !== 'followers')
      .flatMap(([, metrics]) => metrics ?? [])
    if (mapped.length > 0 && !mapped.includes(entry.metric)) return []
    return [{ ...entry, stock, chart: `${entry.platform}:${entry.metric}` }]
  },
).sort((a, b) => rankOf(a) - rankOf(b))

/** Followers first; then platform by platform as the cards are (by name), each metric in the order of its card's rows. */
function rankOf(entry: { platform: Platform; metric: string; chart: string }): number {
  if (entry.chart === FOLLOWERS_CHART) return -1
  const kpiOrder = Object.values(KPI_METRICS[entry.platform]).flatMap((metrics) => metrics ?? [])
  const position = kpiOrder.indexOf(entry.metric)
  return [...PLATFORMS].sort().indexOf(entry.platform) * 100 + (position === -1 ? 99 : position)
}

type LineRow = {
  chart: string
  connection_id: string | null
  metric: string
  accounts: number
  points: { t: string; v: number | null }[]
}

/**
 * The overview's charts, aggregated in SQL to what a chart can draw: each line's value per bucket
 * of the period (day, ISO week or month, as `readSeries` buckets them: flows summed, stocks at
 * their last value), one line per account, at most MAX_LINES a chart: a chart with more accounts
 * draws the MAX_LINES − 1 biggest and one line summing the others. A line of one account is
 * exactly that series of `readSeries`; a summed line (`connectionId` null, `accounts` summed) is
 * the sum of theirs, bucket by bucket. Charts come in DASHBOARD_CHARTS' order. One statement.
 */
export async function readDashboardCharts(
  ctx: ServiceContext,
  input: { from: string; to: string; granularity: Bucket },
) {
  authorize(ctx.principal, 'metrics.read')
  const tenantId = ctx.principal.tenantId
  const unit = input.granularity
  const metrics = [...new Set(DASHBOARD_CHARTS.map((entry) => entry.metric))]
  const scope = pointScope(tenantId, { connectionIds: null, platforms: null, metrics, ...input })
  const result = await ctx.tx.execute<LineRow>(sql`
    with cat as (
      select * from json_to_recordset(${JSON.stringify(DASHBOARD_CHARTS)}::json)
        as cat(platform text, metric text, granularity text, stock boolean, chart text)
    ), drawable as materialized (
      -- What each of the tenant's connections can draw (its platform's entries): a few hundred
      -- rows, hashed once. Row-level security makes the planner expect almost no rows on either
      -- side; joined the other way round, connections was probed once per aggregated cell.
      select c.id as connection_id, cat.metric, cat.granularity, cat.stock, cat.chart
      from connections c join cat on cat.platform = c.platform
      where c.tenant_id = ${tenantId}
    ), cells as (
      -- One row per series and bucket, aggregated from metric_points alone (an index-only scan of
      -- metric_points_tenant_metric_idx), then joined to what it draws: joined first, the
      -- planner reads each series through the primary key and the heap.
      select d.chart, d.connection_id, d.metric, d.stock, x.t,
        case when d.stock then x.latest else x.summed end as v
      from (
        select p.connection_id, p.metric, p.granularity,
          date_trunc(${unit}, p.period_start::timestamp)::date as t,
          sum(p.value) as summed, ${LAST_OF(sql`p.period_start`, sql`p.value`)} as latest
        from metric_points p
        where ${scope}
        group by p.connection_id, p.metric, p.granularity, t
      ) x
      join drawable d on d.connection_id = x.connection_id and d.metric = x.metric and d.granularity = x.granularity
    ), sized as (
      -- Each cell with its series' size (a stock by its last value, a flow by its total).
      select *, case when stock then (max(array[(t - date '1970-01-01')::float8, v]) over series)[2]
          else sum(v) over series end as size
      from cells window series as (partition by chart, connection_id, metric)
    ), ranked as (
      -- The series ranked in their chart, biggest first (every cell of a series shares its keys).
      select *, dense_rank() over (partition by chart order by size desc nulls last, connection_id, metric) as rank
      from sized
    ), lined as (
      -- The line a cell belongs to: its series' own (the connection) or the sum of the rest (null),
      -- at most MAX_LINES a chart. Windows over these few thousand rows: no join to misjudge.
      select chart, metric, t, v, connection_id as account, rank,
        case when max(rank) over (partition by chart) <= ${MAX_LINES} or rank < ${MAX_LINES}
          then connection_id end as connection_id
      from ranked
    ), drawn as (
      select chart, connection_id, metric, min(rank) as rank, count(distinct account)::int as accounts
      from lined group by chart, connection_id, metric
    ), buckets as (
      select chart, connection_id, metric, t, sum(v) as v
      from lined group by chart, connection_id, metric, t
    ), grid as (
      select generate_series(date_trunc(${unit}, ${input.from}::timestamp), ${input.to}::timestamp,
        ${`1 ${unit}`}::interval)::date as t
    )
    select d.chart, d.connection_id, d.metric, d.accounts,
      json_agg(json_build_object('t', g.t, 'v', b.v) order by g.t) as points
    from drawn d cross join grid g
    left join buckets b on b.chart = d.chart and b.metric = d.metric and b.t = g.t
      and b.connection_id is not distinct from d.connection_id
    group by d.chart, d.connection_id, d.metric, d.accounts, d.rank
    order by d.chart <> ${FOLLOWERS_CHART}, d.chart, d.rank`)
  const charts = new Map<string, ChartLine[]>()
  for (const row of result.rows) {
    const lines = charts.get(row.chart) ?? []
    lines.push({
      connectionId: row.connection_id,
      metric: row.metric,
      accounts: row.accounts,
      points: row.points,
    })
    charts.set(row.chart, lines)
  }
  const order = (chart: string) => DASHBOARD_CHARTS.findIndex((entry) => entry.chart === chart)
  return [...charts].sort(([a], [b]) => order(a) - order(b)).map(([chart, lines]) => ({ chart, lines }))
}

export type ChartLine = {
  /** Null for a line summing several accounts. */
  connectionId: string | null
  metric: string
  /** Accounts behind the line: 1 for an account's own series. */
  accounts: number
  points: { t: string; v: number | null }[]
}
