import type { Child } from 'hono/jsx'
import { useI18n } from '../i18n/index.ts'

export const PRESETS = ['7', '30', '90'] as const
export type PeriodChoice = { preset: (typeof PRESETS)[number] | 'custom'; from: string; to: string }

/**
 * The period picker of the overview and the explorer: 7 / 30 / 90 days or custom dates. A GET
 * form, so every period has its own URL; htmx swaps only `target` and pushes that URL.
 */
export function PeriodForm(props: { action: string; target: string; period: PeriodChoice; extra?: Child }) {
  const { t } = useI18n()
  return (
    <form
      method="get"
      action={props.action}
      class="card row"
      aria-label={t('period.label')}
      hx-get={props.action}
      hx-target={props.target}
      hx-select={props.target}
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      <fieldset>
        <legend>{t('period.label')}</legend>
        {[...PRESETS, 'custom' as const].map((preset) => (
          <label>
            <input type="radio" name="period" value={preset} checked={props.period.preset === preset} />{' '}
            {t(`period.${preset}`)}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for="f-from">{t('period.from')}</label>
        <input id="f-from" type="date" name="from" value={props.period.from} />
      </div>
      <div class="field">
        <label for="f-to">{t('period.to')}</label>
        <input id="f-to" type="date" name="to" value={props.period.to} />
      </div>
      {props.extra}
      <button type="submit" class="primary">
        {t('period.apply')}
      </button>
    </form>
  )
}
