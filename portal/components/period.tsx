import type { Child } from 'hono/jsx'
import { useI18n } from '../i18n/index.ts'

/** The last 7, 30 or 90 days; this month so far, last month, and the year so far. */
export const PRESETS = ['7', '30', '90', 'month', 'last-month', 'year'] as const
export type PeriodChoice = { preset: (typeof PRESETS)[number] | 'custom'; from: string; to: string }

/**
 * The one URL shape of a period, for pages, charts and downloads alike: `period=7` for a preset
 * (which moves with today), `from=…&to=…` for fixed dates. Never both, so a URL cannot contradict
 * itself.
 */
export function periodParams(period: PeriodChoice): Record<string, string> {
  return period.preset === 'custom' ? { from: period.from, to: period.to } : { period: period.preset }
}

/** `path?query` of a period plus other filters kept as they are (empty ones left out). */
export function periodHref(path: string, period: PeriodChoice, keep: Record<string, string> = {}): string {
  const params = new URLSearchParams(Object.entries(keep).filter(([, value]) => value !== ''))
  for (const [key, value] of Object.entries(periodParams(period))) params.set(key, value)
  return `${path}?${params}`
}

/**
 * The period picker of the overview and the explorer: presets as links (PRESETS), and a
 * GET form whose dates, when sent, are the period (a custom one unless they are a preset's). Each
 * period has its own URL; htmx swaps `target` and the picker itself (`#period`), so the dates
 * shown are always the period's, and pushes that URL. `keep` are the page's other filters, which
 * the preset links carry and the form sends through its `extra` fields.
 */
export function PeriodForm(props: {
  action: string
  target: string
  period: PeriodChoice
  keep?: Record<string, string>
  extra?: Child
}) {
  const { t } = useI18n()
  const swap = {
    'hx-target': props.target,
    'hx-select': props.target,
    'hx-select-oob': '#period',
    'hx-swap': 'outerHTML',
    'hx-push-url': 'true',
  }
  return (
    <div id="period" class="card">
      <nav class="row chips" aria-label={t('period.label')}>
        {PRESETS.map((preset) => {
          const href = periodHref(props.action, { preset, from: '', to: '' }, props.keep)
          return (
            <a
              href={href}
              class="chip"
              hx-get={href}
              aria-current={props.period.preset === preset ? 'true' : undefined}
              {...swap}
            >
              {t(`period.${preset}`)}
            </a>
          )
        })}
        {props.period.preset === 'custom' && (
          <span class="chip" aria-current="true">
            {t('period.custom')}
          </span>
        )}
      </nav>
      <form method="get" action={props.action} class="row" hx-get={props.action} {...swap}>
        <div class="field">
          <label for="f-from">{t('period.from')}</label>
          <input id="f-from" type="date" name="from" value={props.period.from} required />
        </div>
        <div class="field">
          <label for="f-to">{t('period.to')}</label>
          <input id="f-to" type="date" name="to" value={props.period.to} required />
        </div>
        {props.extra}
        <button type="submit" class="primary">
          {t('period.apply')}
        </button>
      </form>
    </div>
  )
}
