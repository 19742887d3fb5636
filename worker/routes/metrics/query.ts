import { z } from 'zod'
import { PLATFORMS, type Platform } from '../../../db/schema/index.ts'
import { dateField, FIRST_DAY } from '../../dates.ts'
import { KNOWN_METRICS, metricsOutside } from '../../services/metrics/catalog.ts'
import { addDays, type MetricFilters, previousPeriod, spanDays } from '../../services/metrics/filters.ts'

/** The longest period one read may cover: two years, a leap day included. */
export const MAX_SPAN_DAYS = 731
/** `to` defaults to today (UTC), `from` to 30 days ending on `to`. */
export const DEFAULT_SPAN_DAYS = 30

/**
 * A filter given once, repeated (`?metric=a&metric=b`) or as a comma list (`?metric=a,b`):
 * trimmed, deduplicated, every value checked with `isAllowed`. Hono gives a repeated query
 * parameter as an array and a single one as a string.
 */
const listOf = <T extends string>(what: string, isAllowed: (value: string) => value is T) =>
  z.union([z.string(), z.array(z.string())]).transform((raw, ctx) => {
    const values = [
      ...new Set(
        [raw]
          .flat()
          .flatMap((value) => value.split(','))
          .map((value) => value.trim())
          .filter(Boolean),
      ),
    ]
    const allowed = values.filter(isAllowed)
    const unknown = values.filter((value) => !isAllowed(value))
    if (values.length === 0 || values.length > 100 || unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message:
          unknown.length > 0
            ? `unknown ${what}: ${unknown.slice(0, 10).join(', ')}`
            : `give between 1 and 100 ${what} values`,
      })
      return z.NEVER
    }
    return allowed
  })

const CONNECTION_ID = /^con_[0-9a-z]{20}$/
const isConnectionId = (value: string): value is string => CONNECTION_ID.test(value)
const isPlatform = (value: string): value is Platform => (PLATFORMS as readonly string[]).includes(value)
const isMetric = (value: string): value is string => KNOWN_METRICS.has(value)
const today = () => new Date().toISOString().slice(0, 10)

/** For the OpenAPI document: how a list filter is written. */
const MANY = {
  description:
    'One or many: repeat the parameter (`?metric=a&metric=b`) or separate with commas (`?metric=a,b`).',
}

export const filterFields = {
  connection_id: listOf('connection_id (must be con_… ids)', isConnectionId).optional().meta(MANY),
  platform: listOf('platform', isPlatform).optional().meta(MANY),
  metric: listOf('metric (not in any platform catalog)', isMetric).optional().meta(MANY),
  from: dateField.optional(),
  to: dateField.optional(),
}

type FilterFields = { [K in keyof typeof filterFields]?: z.output<(typeof filterFields)[K]> }

/**
 * The period (defaults applied) and the filters as services take them; range problems and
 * metrics that none of the asked platforms measures are reported naming their field.
 */
export function toFilters<T extends FilterFields>(
  query: T,
  ctx: z.RefinementCtx,
): Omit<T, keyof FilterFields> & MetricFilters {
  const { connection_id, platform, metric, from: givenFrom, to: givenTo, ...rest } = query
  const to = givenTo ?? today()
  // Near the first stored day the default period is shorter: there is nothing before it.
  const from = givenFrom ?? addDays(to, -(Math.min(DEFAULT_SPAN_DAYS, spanDays(FIRST_DAY, to)) - 1))
  if (from > to) ctx.addIssue({ code: 'custom', path: ['from'], message: `must not be after to (${to})` })
  else if (spanDays(from, to) > MAX_SPAN_DAYS)
    ctx.addIssue({
      code: 'custom',
      path: ['from'],
      message: `the period from ${from} to ${to} spans ${spanDays(from, to)} days; at most ${MAX_SPAN_DAYS} (two years)`,
    })
  const outside = metric ? metricsOutside(platform ?? null, metric) : []
  if (outside.length > 0)
    ctx.addIssue({
      code: 'custom',
      path: ['metric'],
      message: `not measured on ${platform?.join(', ')}: ${outside.join(', ')}`,
    })
  return {
    ...rest,
    connectionIds: connection_id ?? null,
    platforms: platform ?? null,
    metrics: metric ?? null,
    from,
    to,
  }
}

/**
 * For the reads that also read the period before (the summary always, the series with
 * `compare`): that period must start on a stored day too.
 */
export function checkPreviousPeriod(filters: MetricFilters, ctx: z.RefinementCtx): void {
  const previous = previousPeriod(filters.from, filters.to)
  if (previous.from < FIRST_DAY)
    ctx.addIssue({
      code: 'custom',
      path: ['from'],
      message: `the previous period would start on ${previous.from}, before ${FIRST_DAY}`,
    })
}
