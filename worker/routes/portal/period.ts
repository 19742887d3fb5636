import type { PeriodChoice } from '../../../portal/components/period.tsx'
import { PRESETS } from '../../../portal/components/period.tsx'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import { addDays, spanDays } from '../../services/metrics/filters.ts'
import { MAX_SPAN_DAYS } from '../metrics/query.ts'

const DATE = /^\d{4}-\d{2}-\d{2}$/

/**
 * The period of a metrics page from its query: a preset (7, 30, 90 days ending today, UTC) or
 * custom dates within the API's limits; anything else falls back to 30 days with a message.
 */
export function readPeriod(query: Record<string, string | undefined>): {
  period: PeriodChoice
  error?: MessageKey
} {
  const today = new Date().toISOString().slice(0, 10)
  const preset = (days: (typeof PRESETS)[number]): PeriodChoice => ({
    preset: days,
    from: addDays(today, -(Number(days) - 1)),
    to: today,
  })
  const choice = query.period ?? '30'
  if ((PRESETS as readonly string[]).includes(choice))
    return { period: preset(choice as (typeof PRESETS)[number]) }
  const { from, to } = query
  if (
    choice === 'custom' &&
    from &&
    to &&
    DATE.test(from) &&
    DATE.test(to) &&
    !Number.isNaN(Date.parse(from)) &&
    !Number.isNaN(Date.parse(to)) &&
    from <= to &&
    spanDays(from, to) <= MAX_SPAN_DAYS
  ) {
    return { period: { preset: 'custom', from, to } }
  }
  return { period: preset('30'), error: 'period.invalid' }
}

/** Days for short periods, weeks beyond three months: charts stay readable. */
export const granularityFor = (period: PeriodChoice) =>
  spanDays(period.from, period.to) > 92 ? 'week' : 'day'
