import { sql } from 'drizzle-orm'
import type { Platform } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import { catalogFor } from './catalog.ts'
import { compare, LAST_OF, type MetricFilters, pointScope, previousPeriod } from './filters.ts'

export const BUCKETS = ['day', 'week', 'month'] as const
export type Bucket = (typeof BUCKETS)[number]

export type SeriesInput = MetricFilters & { granularity: Bucket; compare: boolean }

type SeriesRow = {
  connection_id: string
  platform: Platform
  metric: string
  total: number | null
  previous_total: number | null
  days: number
  previous_days: number
  stock: boolean
  points: { t: string; v: number | null }[]
}

/**
 * Chart-ready series, one per connection and metric with data in the period, bucketed by day,
 * ISO week (from Monday) or calendar month, each bucket aggregated as the catalog says: flows
 * summed, stocks (followers and other lifetime snapshots) at their last value in the bucket.
 * Every bucket of the period is present, `v` null where no point was collected; `t` is the
 * bucket's first day even when the period starts inside it. With `compare`, each series gets
 * the period's total (sum, or last value for stocks), the previous period's and the change.
 *
 * One statement, whatever the options: series, buckets and both totals are computed together.
 */
export async function readSeries(ctx: ServiceContext, input: SeriesInput) {
  authorize(ctx.principal, 'metrics.read')
  const previous = previousPeriod(input.from, input.to)
  const catalog = catalogFor(input.platforms, input.metrics).map(({ aggregation, ...entry }) => ({
    ...entry,
    stock: aggregation === 'last',
  }))
  const unit = input.granularity
  // Only the catalog's metrics can be returned (the join below drops the rest), so only they are
  // read: through metric_points_tenant_metric_idx, by metric, retired metrics' history left alone.
  const scope = { ...input, metrics: [...new Set(catalog.map((entry) => entry.metric))] }
  const result = await ctx.tx.execute<SeriesRow>(sql`
    with cat as (
      select * from json_to_recordset(${JSON.stringify(catalog)}::json)
        as cat(platform text, metric text, granularity text, stock boolean)
    ), cells as (
      -- One row per series and bucket (t null: the whole previous period) with its sum and the
      -- value of its latest day, aggregated from metric_points alone (read by its tenant index);
      -- every later step works on these few rows.
      select x.connection_id, c.platform, x.metric, cat.stock, x.t, x.summed, x.latest, x.days
      from (
        select p.connection_id, p.metric, p.granularity,
          case when p.period_start >= ${input.from}::date
            then date_trunc(${unit}, p.period_start::timestamp)::date end as t,
          sum(p.value) as summed, ${LAST_OF(sql`p.period_start`, sql`p.value`)} as latest,
          count(*) as days
        from metric_points p
        where ${pointScope(ctx.principal.tenantId, scope, input.compare ? previous.from : input.from)}
        group by p.connection_id, p.metric, p.granularity, t
      ) x
      join connections c on c.id = x.connection_id and c.tenant_id = ${ctx.principal.tenantId}
      join cat on cat.platform = c.platform and cat.metric = x.metric and cat.granularity = x.granularity
    ), series as (
      select connection_id, platform, metric,
        case when bool_and(stock) then ${LAST_OF(sql`t`, sql`latest`, sql`t is not null`)}
          else sum(summed) filter (where t is not null) end as total,
        case when bool_and(stock) then max(latest) filter (where t is null)
          else sum(summed) filter (where t is null) end as previous_total,
        -- Days with points in each period (one point per series and day), for a fair comparison.
        coalesce(sum(days) filter (where t is not null), 0)::int as days,
        coalesce(sum(days) filter (where t is null), 0)::int as previous_days,
        bool_and(stock) as stock
      from cells group by connection_id, platform, metric
      having bool_or(t is not null)
    ), grid as (
      select generate_series(date_trunc(${unit}, ${input.from}::timestamp), ${input.to}::timestamp,
        ${`1 ${unit}`}::interval)::date as t
    )
    select s.connection_id, s.platform, s.metric, s.total, s.previous_total, s.days, s.previous_days, s.stock,
      json_agg(json_build_object('t', g.t, 'v', case when x.stock then x.latest else x.summed end) order by g.t)
        as points
    from series s cross join grid g
    left join cells x on x.connection_id = s.connection_id and x.metric = s.metric and x.t = g.t
    group by s.connection_id, s.platform, s.metric, s.total, s.previous_total, s.days, s.previous_days, s.stock
    order by s.platform, s.connection_id, s.metric`)
  return {
    from: input.from,
    to: input.to,
    granularity: input.granularity,
    ...(input.compare ? { previousFrom: previous.from, previousTo: previous.to } : {}),
    series: result.rows.map((row) => ({
      connectionId: row.connection_id,
      platform: row.platform,
      metric: row.metric,
      points: row.points,
      ...(input.compare
        ? {
            total: row.total,
            previousTotal: row.previous_total,
            ...compare(
              row.total,
              row.previous_total,
              row.stock ? undefined : { days: row.days, previousDays: row.previous_days },
            ),
          }
        : {}),
    })),
  }
}
