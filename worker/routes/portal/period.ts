import type { PeriodChoice } from '../../../portal/components/period.tsx'
import { PRESETS } from '../../../portal/components/period.tsx'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import { FIRST_DAY, isStoredDate } from '../../dates.ts'
import { addDays, previousPeriod, spanDays } from '../../services/metrics/filters.ts'
import { MAX_SPAN_DAYS } from '../metrics/query.ts'

type Preset = (typeof PRESETS)[number]

/**
 * A preset's dates, today (UTC) included: the last N days, or this month, last month (whole) and
 * this year up to today. Each is compared, like any period, with as many days just before it.
 */
function presetPeriod(preset: Preset, today: string): PeriodChoice {
  const monthStart = `${today.slice(0, 7)}-01`
  switch (preset) {
    case 'month':
      return { preset, from: monthStart, to: today }
    case 'last-month': {
      const to = addDays(monthStart, -1)
      return { preset, from: `${to.slice(0, 7)}-01`, to }
    }
    case 'year':
      return { preset, from: `${today.slice(0, 4)}-01-01`, to: today }
    default:
      return { preset, from: addDays(today, -(Number(preset) - 1)), to: today }
  }
}

/**
 * The period of a metrics page from its query (`periodParams`' shape): dates when `from` or `to`
 * is there, within the API's limits (the overview compares with the period before, which must be
 * stored too), else a preset (30 days by default). Dates that are exactly a preset's are that
 * preset, so the picker shows it chosen. Anything invalid falls back to 30 days with a message.
 */
export function readPeriod(
  query: Record<string, string | undefined>,
  today = new Date().toISOString().slice(0, 10),
): { period: PeriodChoice; error?: MessageKey } {
  const fallback = { period: presetPeriod('30', today), error: 'period.invalid' as const }
  const { from, to } = query
  if (from !== undefined || to !== undefined) {
    const valid =
      from &&
      to &&
      isStoredDate(from) &&
      isStoredDate(to) &&
      from <= to &&
      spanDays(from, to) <= MAX_SPAN_DAYS &&
      previousPeriod(from, to).from >= FIRST_DAY
    if (!valid) return fallback
    const preset = PRESETS.map((p) => presetPeriod(p, today)).find((p) => p.from === from && p.to === to)
    return { period: preset ?? { preset: 'custom', from, to } }
  }
  const choice = query.period ?? '30'
  return (PRESETS as readonly string[]).includes(choice)
    ? { period: presetPeriod(choice as Preset, today) }
    : fallback
}

/** Days for short periods, weeks beyond three months: charts stay readable. */
export const granularityFor = (period: PeriodChoice) =>
  spanDays(period.from, period.to) > 92 ? 'week' : 'day'
