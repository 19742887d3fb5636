import { labelOf, useI18n } from '../i18n/index.ts'
import { Badge } from './forms.tsx'

/** A status in words and colour (`status.<value>` in the catalogs). */
export function Status(props: { value: string | null | undefined }) {
  const { t } = useI18n()
  const value = props.value ?? 'none'
  return <Badge status={value} label={labelOf(t, 'status', value)} />
}

/** A date-time in the page's language, or a dash. */
export function When(props: { at: Date | string | null | undefined; date?: boolean }) {
  const i18n = useI18n()
  if (!props.at) return <span class="muted">—</span>
  const iso = props.at instanceof Date ? props.at.toISOString() : props.at
  return <time datetime={iso}>{props.date ? i18n.date(props.at) : i18n.dateTime(props.at)}</time>
}
