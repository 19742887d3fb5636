import type { PeriodChoice } from '../../../portal/components/period.tsx'
import { PRESETS } from '../../../portal/components/period.tsx'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import { FIRST_DAY, isStoredDate } from '../../dates.ts'
import { addDays, previousPeriod, spanDays } from '../../services/metrics/filters.ts'
import { MAX_SPAN_DAYS } from '../metrics/query.ts'

/**
 * The period of a metrics page from its query: a preset (7, 30, 90 days ending today, UTC) or
 * custom dates within the API's limits (the overview compares with the period before, which must
 * be stored too); anything else falls back to 30 days with a message.
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
    isStoredDate(from) &&
    isStoredDate(to) &&
    from <= to &&
    spanDays(from, to) <= MAX_SPAN_DAYS &&
    previousPeriod(from, to).from >= FIRST_DAY
  ) {
    return { period: { preset: 'custom', from, to } }
  }
  return { period: preset('30'), error: 'period.invalid' }
}

/** Days for short periods, weeks beyond three months: charts stay readable. */
export const granularityFor = (period: PeriodChoice) =>
  spanDays(period.from, period.to) > 92 ? 'week' : 'day'
