import { type MessageKey, useI18n } from '../i18n/index.ts'

/** Brazil's zones, listed first: most tenants, their staff and their customers are there. */
const BRAZIL = [
  'America/Sao_Paulo',
  'America/Bahia',
  'America/Fortaleza',
  'America/Recife',
  'America/Maceio',
  'America/Belem',
  'America/Araguaina',
  'America/Santarem',
  'America/Cuiaba',
  'America/Campo_Grande',
  'America/Manaus',
  'America/Porto_Velho',
  'America/Boa_Vista',
  'America/Rio_Branco',
  'America/Eirunepe',
  'America/Noronha',
]

let everyZone: readonly string[] | undefined
/** Every zone the runtime knows (read once per isolate), UTC included. */
const allZones = () => {
  everyZone ??= ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')]
  return everyZone
}

/** An IANA name as people read it: `America/Sao_Paulo` → "America/Sao Paulo". */
export const zoneLabel = (zone: string) => zone.replaceAll('_', ' ')

/**
 * A time-zone picker: "automatic" (empty value: follow `automatic`'s zone) when given, Brazil's
 * zones, then every zone. The value posted is the IANA name; the server checks it again.
 */
export function TimeZoneSelect(props: {
  name: string
  label: MessageKey
  value: string | null
  /** The zone an empty choice follows (the tenant's), offered as the first option. */
  automatic?: string
  hint?: MessageKey
}) {
  const { t } = useI18n()
  const id = `f-${props.name}`
  const option = (zone: string) => (
    <option value={zone} selected={zone === props.value}>
      {zoneLabel(zone)}
    </option>
  )
  return (
    <div class="field">
      <label for={id}>{t(props.label)}</label>
      <select id={id} name={props.name} aria-describedby={props.hint ? `${id}-hint` : undefined}>
        {props.automatic !== undefined && (
          <option value="" selected={props.value === null}>
            {t('timeZone.automatic', { zone: zoneLabel(props.automatic) })}
          </option>
        )}
        <optgroup label={t('timeZone.brazil')}>{BRAZIL.map(option)}</optgroup>
        <optgroup label={t('timeZone.all')}>
          {allZones()
            .filter((zone) => !BRAZIL.includes(zone))
            .map(option)}
        </optgroup>
      </select>
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {t(props.hint)}
        </p>
      )}
    </div>
  )
}
