import { sql } from 'drizzle-orm'
import type { ConnectionStatus, Platform } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import { KPI_METRICS, type Kpi, kpiEntries } from './catalog.ts'
import {
  type Coverage,
  compare,
  inList,
  LAST_OF,
  type MetricFilters,
  pointScope,
  previousPeriod,
  round,
} from './filters.ts'

/** Written into every summary response and the README, so a number never comes without its meaning. */
export const KPI_DEFINITIONS = {
  followers:
    'Followers at the end of the period: the last followers snapshot collected in the period. `previous_value` is the last snapshot of the previous period and `growth` the difference.',
  reach:
    'Sum of the daily reach metric over the days of the period (platforms give no deduplicated reach for arbitrary periods, so a person reached on two days counts twice).',
  views: 'Sum of the daily views (or impressions) metric over the days of the period.',
  interactions:
    "Sum over the days of the period of the platform's interaction metrics (listed in `metrics`).",
  conversations: 'WhatsApp: sum of the conversations opened each day of the period.',
  messages: 'WhatsApp: sum of the messages sent each day of the period.',
  engagement_rate:
    'Interactions in the period ÷ followers at the end of the period × 100 (a percentage, 2 decimals); null when either is unknown or followers is 0. The previous value uses the previous period’s interactions and followers.',
  change_pct:
    '(value − previous_value) ÷ |previous_value| × 100, 2 decimals. Null, with `change_reason`, when there is nothing to compare fairly: no value in the period (`no_current_data`) or in the previous one (`no_previous_data`), a previous value of 0 (`previous_zero`), or, for sums over days (all but followers and the engagement rate’s followers), a previous period with points on fewer days than the period (`partial_previous_data`: it began before the first collection).',
  metrics: KPI_METRICS,
} as const

type SummaryRow = {
  id: string
  platform: Platform
  label: string | null
  display_name: string | null
  status: ConnectionStatus
  /** kpi → [current sum, previous sum, current last, previous last, days with points, previous days] */
  kpis: Partial<Record<Kpi, [number | null, number | null, number | null, number | null, number, number]>>
}

const card = (value: number | null, previous: number | null, coverage?: Coverage) => ({
  value,
  previousValue: previous,
  ...compare(value, previous, coverage),
})

/** Rates are shown with 2 decimals; their change is computed before rounding. */
const rateCard = (value: number | null, previous: number | null, coverage?: Coverage) => ({
  value: value === null ? null : round(value, 2),
  previousValue: previous === null ? null : round(previous, 2),
  ...compare(value, previous, coverage),
})

const rate = (interactions: number | null, followers: number | null) =>
  interactions === null || !followers ? null : (interactions / followers) * 100

/**
 * KPI cards per connection for a period and the previous period of equal length. Every
 * connection matching the filters is listed (disconnected ones only when they have points in
 * either period); a KPI the platform does not measure, or without points, reads null.
 * One statement.
 */
export async function readSummary(ctx: ServiceContext, input: Omit<MetricFilters, 'metrics'>) {
  authorize(ctx.principal, 'metrics.read')
  const tenantId = ctx.principal.tenantId
  const previous = previousPeriod(input.from, input.to)
  const entries = kpiEntries(input.platforms)
  // Only the metrics some KPI reads are scanned.
  const filters: MetricFilters = { ...input, metrics: [...new Set(entries.map((entry) => entry.metric))] }
  const current = sql`p.period_start >= ${input.from}::date`
  const result = await ctx.tx.execute<SummaryRow>(sql`
    with kpi as (
      select * from json_to_recordset(${JSON.stringify(entries)}::json)
        as kpi(platform text, metric text, granularity text, kpi text)
    ), per_metric as (
      -- Aggregated from metric_points alone (read by its tenant index), then joined.
      select p.connection_id, p.metric, p.granularity,
        sum(p.value) filter (where ${current}) as cur_sum,
        sum(p.value) filter (where not ${current}) as prev_sum,
        ${LAST_OF(sql`p.period_start`, sql`p.value`, current)} as cur_last,
        ${LAST_OF(sql`p.period_start`, sql`p.value`, sql`not ${current}`)} as prev_last,
        -- One point per series and day (the table's key), so these count the days with data.
        count(*) filter (where ${current}) as cur_days,
        count(*) filter (where not ${current}) as prev_days
      from metric_points p
      where ${pointScope(tenantId, filters, previous.from)}
      group by p.connection_id, p.metric, p.granularity
    ), agg as (
      -- A stock KPI (followers) reads one metric, so max() of its last values is that value.
      select m.connection_id, kpi.kpi, sum(m.cur_sum) as cur_sum, sum(m.prev_sum) as prev_sum,
        max(m.cur_last) as cur_last, max(m.prev_last) as prev_last,
        max(m.cur_days) as cur_days, max(m.prev_days) as prev_days
      from per_metric m
      join connections c on c.id = m.connection_id and c.tenant_id = ${tenantId}
      join kpi on kpi.platform = c.platform and kpi.metric = m.metric and kpi.granularity = m.granularity
      group by m.connection_id, kpi.kpi
    )
    select c.id, c.platform, c.label, c.display_name, c.status,
      coalesce(json_object_agg(a.kpi, json_build_array(a.cur_sum, a.prev_sum, a.cur_last, a.prev_last, a.cur_days, a.prev_days))
        filter (where a.kpi is not null), '{}') as kpis
    from connections c left join agg a on a.connection_id = c.id
    where c.tenant_id = ${tenantId}
      ${input.connectionIds ? sql`and ${inList(sql`c.id`, input.connectionIds)}` : sql``}
      ${input.platforms ? sql`and ${inList(sql`c.platform`, input.platforms)}` : sql``}
    group by c.id
    having c.status <> 'disconnected' or count(a.kpi) > 0
    order by c.platform, c.id`)
  return {
    from: input.from,
    to: input.to,
    previousFrom: previous.from,
    previousTo: previous.to,
    definitions: KPI_DEFINITIONS,
    data: result.rows.map((row) => {
      const [, , followers = null, previousFollowers = null] = row.kpis.followers ?? []
      const coverageOf = (kpi: Kpi): Coverage => {
        const [, , , , days = 0, previousDays = 0] = row.kpis[kpi] ?? []
        return { days, previousDays }
      }
      const flow = (kpi: Kpi) => {
        const [value = null, previousValue = null] = row.kpis[kpi] ?? []
        return card(value, previousValue, coverageOf(kpi))
      }
      const interactions = flow('interactions')
      return {
        connectionId: row.id,
        platform: row.platform,
        label: row.label,
        displayName: row.display_name,
        status: row.status,
        kpis: {
          followers: {
            ...card(followers, previousFollowers),
            growth: followers === null || previousFollowers === null ? null : followers - previousFollowers,
          },
          reach: flow('reach'),
          views: flow('views'),
          interactions,
          conversations: flow('conversations'),
          messages: flow('messages'),
          engagementRate: rateCard(
            rate(interactions.value, followers),
            rate(interactions.previousValue, previousFollowers),
            // A rate over the period's interactions: as fair as the sum it divides.
            coverageOf('interactions'),
          ),
        },
      }
    }),
  }
}
