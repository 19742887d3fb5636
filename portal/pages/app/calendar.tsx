import { Badge } from '../../components/forms.tsx'
import { When } from '../../components/status.tsx'
import { labelOf, useI18n } from '../../i18n/index.ts'

export type CalendarProperty = { id: string; name: string; timezone: string; capacity: number | null }
export type CalendarSource = {
  id: string
  propertyId: string
  channel: string
  name: string | null
  icalUrl: string
  status: string
  lastSyncedAt: Date | string | null
  lastError: string | null
}
export type CalendarBooking = {
  id: string
  propertyId: string
  channel: string
  checkIn: string
  checkOut: string
  status: string
}
export type CalendarConflict = {
  id: string
  property_id: string
  overlap_start: string
  overlap_end: string
  severity: string
  bookings: unknown[]
}

/** Severity in the badge colours the portal already has: danger, warning, muted. */
const SEVERITY_STATUS: Record<string, string> = { critical: 'error', warning: 'paused', info: 'none' }

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

function channelsOf(conflict: CalendarConflict): string {
  return (conflict.bookings as { channel: string }[])
    .map((b) => b.channel)
    .sort()
    .join(' × ')
}

/**
 * The month as a grid: one row per property, one column per night. A night is booked, blocked,
 * or in conflict (two bookings on it), shown by colour and by a letter for those who cannot tell
 * colours apart.
 */
function MonthGrid(props: {
  month: { from: string; days: number }
  properties: CalendarProperty[]
  bookings: CalendarBooking[]
}) {
  const { t } = useI18n()
  const nights = Array.from({ length: props.month.days }, (_, i) => addDays(props.month.from, i))
  return (
    <div class="table-wrap">
      <table class="cal-grid">
        <caption class="muted small">{t('calendar.legend')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('calendar.property')}</th>
            {nights.map((night) => (
              <th scope="col" class="cal-day">
                {Number(night.slice(8))}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.properties.map((property) => {
            const mine = props.bookings.filter(
              (b) => b.propertyId === property.id && b.status !== 'cancelled',
            )
            return (
              <tr>
                <th scope="row">{property.name}</th>
                {nights.map((night) => {
                  const on = mine.filter((b) => b.checkIn <= night && night < b.checkOut)
                  const stays = on.filter((b) => b.status === 'confirmed')
                  const kind =
                    stays.length > 1 || (stays.length === 1 && on.length > 1)
                      ? 'conflict'
                      : stays.length === 1
                        ? 'booked'
                        : on.length > 0
                          ? 'blocked'
                          : 'free'
                  const label = t(`calendar.night.${kind}`)
                  return (
                    <td
                      class={`cal-day cal-${kind}`}
                      title={`${night}: ${label}${on.length > 0 ? ` (${on.map((b) => b.channel).join(', ')})` : ''}`}
                    >
                      {t(`calendar.mark.${kind}`)}
                    </td>
                  )
                })}
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}

/** Properties, their feeds' sync status, open conflicts and the month (read-only; the API manages). */
export function CalendarPage(props: {
  month: { label: string; from: string; days: number; previous: string; next: string }
  properties: CalendarProperty[]
  sources: CalendarSource[]
  bookings: CalendarBooking[]
  conflicts: CalendarConflict[]
}) {
  const { t } = useI18n()
  const names = new Map(props.properties.map((p) => [p.id, p.name]))
  return (
    <>
      <h1>{t('calendar.title')}</h1>
      <section class="card" aria-labelledby="conflicts-title">
        <h2 id="conflicts-title">{t('calendar.conflicts')}</h2>
        {props.conflicts.length === 0 ? (
          <p class="muted">{t('calendar.noConflicts')}</p>
        ) : (
          <ul class="cal-conflicts">
            {props.conflicts.map((conflict) => (
              <li>
                <Badge
                  status={SEVERITY_STATUS[conflict.severity] ?? 'none'}
                  label={labelOf(t, 'calendar.severity', conflict.severity)}
                />{' '}
                <strong>{names.get(conflict.property_id)}</strong>{' '}
                {t('calendar.conflictNights', { from: conflict.overlap_start, to: conflict.overlap_end })} (
                {channelsOf(conflict)})
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="month-title">
        <h2 id="month-title">{props.month.label}</h2>
        <p class="pager">
          <a href={`/app/calendar?month=${props.month.previous}`}>{t('calendar.previousMonth')}</a>{' '}
          <a href={`/app/calendar?month=${props.month.next}`}>{t('calendar.nextMonth')}</a>
          <a href={`/app/calendar/statistics?month=${props.month.from.slice(0, 7)}`}>
            {t('calendar.stats.link')}
          </a>
        </p>
        {props.properties.length === 0 ? (
          <p class="muted">{t('calendar.noProperties')}</p>
        ) : (
          <MonthGrid month={props.month} properties={props.properties} bookings={props.bookings} />
        )}
      </section>
      <section aria-labelledby="sources-title">
        <h2 id="sources-title">{t('calendar.sources')}</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('calendar.property')}</th>
                <th scope="col">{t('calendar.channel')}</th>
                <th scope="col">{t('calendar.lastSynced')}</th>
                <th scope="col">{t('calendar.lastError')}</th>
              </tr>
            </thead>
            <tbody>
              {props.sources.map((source) => (
                <tr>
                  <td>{names.get(source.propertyId)}</td>
                  <td>
                    {source.name ?? source.channel}
                    <div class="muted small">{source.icalUrl}</div>
                  </td>
                  <td>
                    <When at={source.lastSyncedAt} />
                    {source.status === 'paused' && (
                      <div>
                        <Badge status="paused" label={t('calendar.paused')} />
                      </div>
                    )}
                  </td>
                  <td>{source.lastError ? <span class="small error">{source.lastError}</span> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  )
}
