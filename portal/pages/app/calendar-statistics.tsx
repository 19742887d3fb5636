import { BarChart } from '../../components/bar-chart.tsx'
import { useI18n } from '../../i18n/index.ts'

export type StatisticsPeriod = 'month' | '30' | '90'

type Figures = {
  nightsInPeriod: number
  nightsBooked: number
  nightsBlocked: number
  occupancyRate: number | null
  bookings: number
  bookingsByChannel: Record<string, number>
  averageStay: number | null
}

/** What `calendarStatistics` (worker/services/calendar/statistics.ts) returns, as the page reads it. */
export type CalendarStatistics = {
  from: string
  to: string
  properties: (Figures & { propertyId: string; name: string; occupancyRate: number })[]
  totals: Figures & { properties: number }
}

const PERIODS: {
  value: StatisticsPeriod
  key: 'calendar.stats.thisMonth' | 'calendar.stats.last30' | 'calendar.stats.last90'
}[] = [
  { value: 'month', key: 'calendar.stats.thisMonth' },
  { value: '30', key: 'calendar.stats.last30' },
  { value: '90', key: 'calendar.stats.last90' },
]

/**
 * Occupancy per property (a bar chart), nights booked and blocked, bookings by channel and the
 * average stay for one period, from the same service the statistics API uses.
 */
export function CalendarStatisticsPage(props: {
  period: StatisticsPeriod
  month: string
  stats: CalendarStatistics
}) {
  const i18n = useI18n()
  const { t } = i18n
  const { stats } = props
  const nightsPerProperty = stats.properties[0]?.nightsInPeriod ?? stats.totals.nightsInPeriod
  const range = t('calendar.stats.range', {
    from: i18n.date(stats.from),
    to: i18n.date(stats.to),
    nights: i18n.number(nightsPerProperty),
  })
  const stay = (value: number | null) =>
    value === null ? '—' : t('calendar.stats.nights', { n: i18n.number(value, { maximumFractionDigits: 2 }) })
  const channels = Object.entries(stats.totals.bookingsByChannel).sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
  )
  return (
    <>
      <h1>{t('calendar.stats.title')}</h1>
      <p class="pager">
        <a href={`/app/calendar?month=${props.month}`}>{t('calendar.stats.back')}</a>
      </p>
      <nav aria-label={t('calendar.stats.period')} class="pager">
        {PERIODS.map((p) => (
          <>
            <a
              href={`/app/calendar/statistics?period=${p.value}${p.value === 'month' ? `&month=${props.month}` : ''}`}
              aria-current={p.value === props.period ? 'page' : undefined}
            >
              {t(p.key)}
            </a>{' '}
          </>
        ))}
      </nav>
      <p class="muted" id="stats-range">
        {range}
      </p>
      <section class="card" aria-labelledby="stats-totals">
        <h2 id="stats-totals">{t('calendar.stats.totals')}</h2>
        <dl class="facts">
          <dt>{t('calendar.stats.occupancy')}</dt>
          <dd>{stats.totals.occupancyRate === null ? '—' : i18n.percent(stats.totals.occupancyRate)}</dd>
          <dt>{t('calendar.stats.nightsBooked')}</dt>
          <dd>
            {t('calendar.stats.ofNights', {
              booked: i18n.number(stats.totals.nightsBooked),
              nights: i18n.number(stats.totals.nightsInPeriod),
            })}
          </dd>
          <dt>{t('calendar.stats.nightsBlocked')}</dt>
          <dd>{i18n.number(stats.totals.nightsBlocked)}</dd>
          <dt>{t('calendar.stats.bookings')}</dt>
          <dd>{i18n.number(stats.totals.bookings)}</dd>
          <dt>{t('calendar.stats.averageStay')}</dt>
          <dd>{stay(stats.totals.averageStay)}</dd>
        </dl>
      </section>
      <section aria-labelledby="stats-occupancy">
        <h2 id="stats-occupancy">{t('calendar.stats.occupancyChart')}</h2>
        <BarChart
          id="occupancy-chart"
          title={t('calendar.stats.occupancyChart')}
          desc={t('calendar.stats.barDesc', { from: i18n.date(stats.from), to: i18n.date(stats.to) })}
          yLabel={t('calendar.stats.occupancy')}
          legend={t('calendar.stats.occupancy')}
          max={100}
          format={(v) => i18n.percent(v)}
          bars={stats.properties.map((p) => ({
            label: p.name,
            value: p.occupancyRate,
            tooltip: t('calendar.stats.barTitle', {
              name: p.name,
              rate: i18n.percent(p.occupancyRate),
              booked: i18n.number(p.nightsBooked),
              nights: i18n.number(p.nightsInPeriod),
            }),
          }))}
        />
        <div class="table-wrap">
          <table id="stats-properties">
            <thead>
              <tr>
                <th scope="col">{t('calendar.property')}</th>
                <th scope="col">{t('calendar.stats.occupancy')}</th>
                <th scope="col">{t('calendar.stats.nightsBooked')}</th>
                <th scope="col">{t('calendar.stats.nightsBlocked')}</th>
                <th scope="col">{t('calendar.stats.bookings')}</th>
                <th scope="col">{t('calendar.stats.averageStay')}</th>
              </tr>
            </thead>
            <tbody>
              {stats.properties.map((p) => (
                <tr>
                  <th scope="row">{p.name}</th>
                  <td>{i18n.percent(p.occupancyRate)}</td>
                  <td>{i18n.number(p.nightsBooked)}</td>
                  <td>{i18n.number(p.nightsBlocked)}</td>
                  <td>{i18n.number(p.bookings)}</td>
                  <td>{stay(p.averageStay)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="stats-channels">
        <h2 id="stats-channels">{t('calendar.stats.byChannel')}</h2>
        {channels.length === 0 ? (
          <p class="muted">{t('chart.noData')}</p>
        ) : (
          <div class="table-wrap">
            <table id="stats-channel-table">
              <thead>
                <tr>
                  <th scope="col">{t('calendar.channel')}</th>
                  <th scope="col">{t('calendar.stats.bookings')}</th>
                  <th scope="col">{t('calendar.stats.share')}</th>
                </tr>
              </thead>
              <tbody>
                {channels.map(([channel, n]) => (
                  <tr>
                    <th scope="row">{channel}</th>
                    <td>{i18n.number(n)}</td>
                    <td>
                      <progress max={stats.totals.bookings} value={n} aria-hidden="true" />{' '}
                      {i18n.percent((n / stats.totals.bookings) * 100)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  )
}
