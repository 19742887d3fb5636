import { type SQL, sql } from 'drizzle-orm'
import type { Platform } from '../../../db/schema/index.ts'

/** What every metrics read filters by; the tenant is not here, it comes from the principal. */
export type MetricFilters = {
  connectionIds: readonly string[] | null
  platforms: readonly Platform[] | null
  metrics: readonly string[] | null
  /** UTC dates `YYYY-MM-DD`, both inclusive. */
  from: string
  to: string
}

const DAY_MS = 86_400_000

/** `YYYY-MM-DD` plus `days` (negative to go back), in UTC. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
}

/** Days from `from` to `to`, both counted. */
export function spanDays(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1
}

/** The period of equal length that ends the day before `from`. */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  return { from: addDays(from, -spanDays(from, to)), to: addDays(from, -1) }
}

/** `(value - previous) / |previous|` in percent with 2 decimals; null without a usable previous. */
function changePct(value: number | null, previous: number | null): number | null {
  if (value === null || previous === null || previous === 0) return null
  return round(((value - previous) / Math.abs(previous)) * 100, 2)
}

/** Why a change is not given: the page says so in words instead of a percentage. */
export const CHANGE_REASONS = [
  'no_current_data',
  'no_previous_data',
  'partial_previous_data',
  'previous_zero',
] as const
export type ChangeReason = (typeof CHANGE_REASONS)[number]

/** Days with at least one point, in the period and in the previous period. */
export type Coverage = { days: number; previousDays: number }

/**
 * The change from the previous period, or null and the reason. A flow (a sum over days) is
 * compared only when the previous period has points on at least as many days as the period
 * itself: a previous period that falls partly before the first collection would compare 90 days
 * with a handful and show rises of thousands of percent. A stock (a last value) needs only a
 * snapshot in each period, so it passes no coverage.
 */
export function compare(
  value: number | null,
  previous: number | null,
  coverage?: Coverage,
): { changePct: number | null; changeReason: ChangeReason | null } {
  const reason: ChangeReason | null =
    value === null
      ? 'no_current_data'
      : previous === null
        ? 'no_previous_data'
        : coverage && coverage.previousDays < coverage.days
          ? 'partial_previous_data'
          : previous === 0
            ? 'previous_zero'
            : null
  return { changePct: reason ? null : changePct(value, previous), changeReason: reason }
}

export const round = (value: number, decimals: number) => {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}

/**
 * The value at the latest date of a group as a plain aggregate, without the per-group sort of
 * `(array_agg(value order by day desc))[1]`: the greatest `[days since 1970, value]` pair, whose
 * first element decides.
 */
export const LAST_OF = (day: SQL, value: SQL, where?: SQL) =>
  sql`(max(array[(${day} - date '1970-01-01')::float8, ${value}])${where ? sql` filter (where ${where})` : sql``})[2]`

/** `column in (a, b, c)` with bound parameters; an empty list matches nothing. */
export function inList(column: SQL, values: readonly string[]): SQL {
  if (values.length === 0) return sql`false`
  return sql`${column} in (${sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  )})`
}

/**
 * The WHERE clause shared by every metrics read, over `metric_points p` only (so a page can be
 * read in index order before anything is joined): the principal's tenant (row-level security is
 * the second lock, not the first), the date range and the optional filters, platforms through
 * the tenant's connections. `from` may be earlier than the filters' own (a comparison period).
 */
export function pointScope(tenantId: string, filters: MetricFilters, from = filters.from): SQL {
  return sql.join(
    [
      sql`p.tenant_id = ${tenantId}`,
      sql`p.period_start between ${from}::date and ${filters.to}::date`,
      filters.connectionIds ? inList(sql`p.connection_id`, filters.connectionIds) : undefined,
      filters.platforms
        ? sql`p.connection_id in (select id from connections where tenant_id = ${tenantId} and ${inList(sql`platform`, filters.platforms)})`
        : undefined,
      filters.metrics ? inList(sql`p.metric`, filters.metrics) : undefined,
    ].filter((part): part is SQL => part !== undefined),
    sql` and `,
  )
}
