import { Alert, Badge, CsrfField, Field, type FormState, formValue, Select } from '../../components/forms.tsx'
import { type ZonedFormatters, zonedFormatters } from '../../components/zoned.ts'
import { type MessageKey, useI18n } from '../../i18n/index.ts'

/**
 * Scheduling's staff pages (`/app/schedule`): the day (and, on wide screens, week) view of
 * appointments per professional in the viewer's time zone, one appointment's page (move, cancel,
 * close) and the new-appointment form. Everything is read and written through the API's verbs
 * (worker/routes/portal/app/schedule.tsx); these components only draw.
 */

export type AppointmentStatus = 'pending' | 'confirmed' | 'cancelled' | 'no_show' | 'done'

export type ScheduleAppointment = {
  id: string
  serviceName: string
  professionalId: string
  professionalName: string
  customerName: string | null
  customerPhone: string | null
  customerEmail: string | null
  startsAt: Date
  endsAt: Date
  status: AppointmentStatus
  source: string
  notes: string | null
  holdExpiresAt: Date | null
  customerErasedAt: Date | null
}

/** An appointment with its local date in the viewer's zone (the week view's column). */
export type Located = ScheduleAppointment & { localDay: string }

export type ScheduleProfessional = { id: string; name: string; active: boolean }
export type ScheduleService = { id: string; name: string; active: boolean; durationMinutes: number }
export type FreeSlot = { startsAt: Date; professionalId: string; seatsLeft?: number | null }

export type ScheduleView = {
  view: 'day' | 'week'
  /** The first local date shown (the day, or the week's Monday). */
  day: string
  today: string
  professionalId: string | null
  timeZone: string
}

const STATUS: Record<AppointmentStatus, { label: MessageKey; badge: string }> = {
  pending: { label: 'schedule.status.pending', badge: 'pending' },
  confirmed: { label: 'schedule.status.confirmed', badge: 'active' },
  cancelled: { label: 'schedule.status.cancelled', badge: 'canceled' },
  done: { label: 'schedule.status.done', badge: 'succeeded' },
  no_show: { label: 'schedule.status.no_show', badge: 'error' },
}

const SOURCE: Record<string, MessageKey> = {
  portal: 'schedule.source.portal',
  public: 'schedule.source.public',
  api: 'schedule.source.api',
}

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

/** The view's URL with one part changed: every link of the page keeps the others. */
export function scheduleHref(view: ScheduleView, change: Partial<ScheduleView> = {}) {
  const next = { ...view, ...change }
  const params = new URLSearchParams({ view: next.view, day: next.day })
  if (next.professionalId) params.set('professional', next.professionalId)
  return `/app/schedule?${params}`
}

export function StatusBadge(props: { status: AppointmentStatus }) {
  const { t } = useI18n()
  const status = STATUS[props.status]
  return <Badge status={status.badge} label={t(status.label)} />
}

/** A held slot of the public page (no customer yet), or an erased customer, reads as such, never blank. */
function customerOf(t: (key: MessageKey) => string, appointment: ScheduleAppointment) {
  if (appointment.customerName) return appointment.customerName
  return t(appointment.customerErasedAt ? 'schedule.erasedCustomer' : 'schedule.heldOnline')
}

/** One appointment; in the week's narrow columns (`compact`) its start only, with the professional. */
function AppointmentItem(props: {
  appointment: ScheduleAppointment
  format: ZonedFormatters
  compact: boolean
}) {
  const { t } = useI18n()
  const a = props.appointment
  return (
    <li class={`sch-item sch-${a.status}`}>
      <a href={`/app/schedule/appointments/${a.id}`}>
        <span class="sch-time">
          {props.compact
            ? props.format.time(a.startsAt)
            : `${props.format.time(a.startsAt)}–${props.format.time(a.endsAt)}`}
        </span>
        <strong class="sch-customer">{customerOf(t, a)}</strong>
        <span class="sch-service">
          {a.serviceName}
          {props.compact && <span class="muted"> · {a.professionalName}</span>}
        </span>
      </a>
      <StatusBadge status={a.status} />
    </li>
  )
}

/** Appointments of one day grouped by professional: a list, readable at any width. */
function DayView(props: {
  schedule: ScheduleView
  professionals: ScheduleProfessional[]
  appointments: ScheduleAppointment[]
  format: ZonedFormatters
}) {
  const { t } = useI18n()
  const shown = props.professionals.filter(
    (p) =>
      (props.schedule.professionalId ? p.id === props.schedule.professionalId : p.active) ||
      props.appointments.some((a) => a.professionalId === p.id),
  )
  if (shown.length === 0) return <p class="muted">{t('schedule.noProfessionals')}</p>
  return (
    <div class="sch-day">
      {shown.map((professional) => {
        const mine = props.appointments.filter((a) => a.professionalId === professional.id)
        return (
          <section class="card sch-column" aria-labelledby={`pro-${professional.id}`}>
            <h3 id={`pro-${professional.id}`}>{professional.name}</h3>
            {mine.length === 0 ? (
              <p class="muted small">{t('schedule.free')}</p>
            ) : (
              <ul class="sch-list">
                {mine.map((appointment) => (
                  <AppointmentItem appointment={appointment} format={props.format} compact={false} />
                ))}
              </ul>
            )}
          </section>
        )
      })}
    </div>
  )
}

/** Seven days side by side on a wide screen, one under the other on a phone. */
function WeekView(props: { schedule: ScheduleView; appointments: Located[]; format: ZonedFormatters }) {
  const { t } = useI18n()
  const days = Array.from({ length: 7 }, (_, i) => addDays(props.schedule.day, i))
  return (
    <div class="sch-week">
      {days.map((day) => {
        const mine = props.appointments.filter((a) => a.localDay === day)
        return (
          <section class="card sch-column" aria-labelledby={`day-${day}`}>
            <h3 id={`day-${day}`}>
              <a href={scheduleHref(props.schedule, { view: 'day', day })}>{props.format.day(day)}</a>
            </h3>
            {mine.length === 0 ? (
              <p class="muted small">{t('schedule.free')}</p>
            ) : (
              <ul class="sch-list">
                {mine.map((appointment) => (
                  <AppointmentItem appointment={appointment} format={props.format} compact={true} />
                ))}
              </ul>
            )}
          </section>
        )
      })}
    </div>
  )
}

/**
 * The board: the one section that refreshes itself when the page hears `live:schedule` from the
 * tenant's live channel, and every 10 s (`live:poll`) while that channel is down
 * (portal/public/js/live.js).
 */
export function ScheduleBoard(props: {
  schedule: ScheduleView
  professionals: ScheduleProfessional[]
  appointments: Located[]
}) {
  const { locale } = useI18n()
  const format = zonedFormatters(locale, props.schedule.timeZone)
  const s = props.schedule
  const title =
    s.view === 'day' ? format.longDay(s.day) : `${format.day(s.day)} – ${format.day(addDays(s.day, 6))}`
  return (
    <section
      id="schedule-board"
      aria-labelledby="schedule-board-title"
      data-live="schedule"
      hx-get={scheduleHref(s)}
      hx-select="#schedule-board"
      hx-target="this"
      hx-swap="outerHTML"
      hx-trigger="live:schedule throttle:300ms from:body, live:poll from:body"
    >
      <h2 id="schedule-board-title">{title}</h2>
      {s.view === 'day' ? (
        <DayView
          schedule={s}
          professionals={props.professionals}
          appointments={props.appointments}
          format={format}
        />
      ) : (
        <WeekView schedule={s} appointments={props.appointments} format={format} />
      )}
    </section>
  )
}

export function SchedulePage(props: {
  schedule: ScheduleView
  professionals: ScheduleProfessional[]
  appointments: Located[]
  canBook: boolean
  canManage: boolean
  stats: WeekStats
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t } = useI18n()
  const s = props.schedule
  const step = s.view === 'day' ? 1 : 7
  return (
    <>
      <div class="sch-head">
        <h1>{t('schedule.title')}</h1>
        <div class="actions">
          {props.canBook && (
            <a class="sch-button" href={`/app/schedule/new?day=${s.day}`}>
              {t('schedule.new')}
            </a>
          )}
          {props.canManage && <a href="/app/schedule/settings">{t('schedule.settings.link')}</a>}
        </div>
      </div>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <nav class="row chips sch-nav" aria-label={t('schedule.navigation')}>
        <a class="chip" href={scheduleHref(s, { day: addDays(s.day, -step) })}>
          {t(s.view === 'day' ? 'schedule.previousDay' : 'schedule.previousWeek')}
        </a>
        <a class="chip" href={scheduleHref(s, { day: s.today })}>
          {t('schedule.today')}
        </a>
        <a class="chip" href={scheduleHref(s, { day: addDays(s.day, step) })}>
          {t(s.view === 'day' ? 'schedule.nextDay' : 'schedule.nextWeek')}
        </a>
        <a
          class="chip"
          href={scheduleHref(s, { view: 'day' })}
          aria-current={s.view === 'day' ? 'page' : undefined}
        >
          {t('schedule.dayView')}
        </a>
        <a
          class="chip sch-week-link"
          href={scheduleHref(s, { view: 'week' })}
          aria-current={s.view === 'week' ? 'page' : undefined}
        >
          {t('schedule.weekView')}
        </a>
      </nav>
      <form method="get" action="/app/schedule" class="row sch-filter">
        <input type="hidden" name="view" value={s.view} />
        <div class="field">
          <label for="f-day">{t('schedule.day')}</label>
          <input id="f-day" name="day" type="date" value={s.day} />
        </div>
        <Select
          name="professional"
          label="schedule.professional"
          value={s.professionalId ?? ''}
          options={[
            { value: '', label: t('schedule.everyone') },
            ...props.professionals.map((p) => ({ value: p.id, label: p.name })),
          ]}
        />
        <button type="submit" class="secondary">
          {t('schedule.show')}
        </button>
      </form>
      <p class="muted small">
        {t('schedule.zone', { zone: s.timeZone })}{' '}
        <span data-live-state="live" hidden>
          {t('live.on')}
        </span>
        <span data-live-state="polling" hidden>
          {t('live.polling')}
        </span>
      </p>
      <ScheduleBoard schedule={s} professionals={props.professionals} appointments={props.appointments} />
      <StatsSection stats={props.stats} />
    </>
  )
}

export type WeekStats = {
  from: string
  to: string
  byStatus: Record<'pending' | 'confirmed' | 'cancelled' | 'no_show' | 'done', number>
  noShowRate: number | null
  professionals: {
    id: string
    name: string
    bookedMinutes: number
    workingMinutes: number
    occupancy: number | null
  }[]
  revenue: { serviceId: string; name: string; currency: string; revenueCents: number; appointments: number }[]
}

const STATUS_ORDER = ['confirmed', 'pending', 'done', 'no_show', 'cancelled'] as const

/**
 * The week's numbers (the API's `GET /api/v1/scheduling/stats` for the same dates): appointments
 * by status, the no-show rate, occupancy per professional as a meter, and revenue per service.
 * `data-stat` carries each raw number for the page's test to compare with the API.
 */
function StatsSection(props: { stats: WeekStats }) {
  const i18n = useI18n()
  const { t } = i18n
  const st = props.stats
  const format = zonedFormatters(i18n.locale, 'UTC')
  const percent = (value: number | null) =>
    value === null
      ? t('schedule.stats.none')
      : i18n.number(value, { style: 'percent', maximumFractionDigits: 1 })
  return (
    <section class="card sch-stats" aria-labelledby="stats-title">
      <h2 id="stats-title">
        {t('schedule.stats.title', { from: format.day(st.from), to: format.day(st.to) })}
      </h2>
      <dl class="sch-stat-grid">
        {STATUS_ORDER.map((status) => (
          <div>
            <dt>{t(`schedule.status.${status}`)}</dt>
            <dd data-stat={status}>{i18n.number(st.byStatus[status])}</dd>
          </div>
        ))}
        <div>
          <dt>{t('schedule.stats.noShowRate')}</dt>
          <dd data-stat="no_show_rate" data-value={st.noShowRate ?? ''}>
            {percent(st.noShowRate)}
          </dd>
        </div>
      </dl>
      <h3>{t('schedule.stats.occupancy')}</h3>
      {st.professionals.length === 0 ? (
        <p class="muted">{t('schedule.stats.none')}</p>
      ) : (
        <ul class="sch-rows">
          {st.professionals.map((p) => (
            <li data-stat="occupancy" data-value={p.occupancy ?? ''}>
              <div>
                <strong>{p.name}</strong>
                <p class="muted small">
                  {t('schedule.stats.minutes', {
                    booked: i18n.number(Math.round(p.bookedMinutes / 6) / 10),
                    working: i18n.number(Math.round(p.workingMinutes / 6) / 10),
                  })}
                </p>
              </div>
              <span class="sch-meter">
                <meter min={0} max={1} value={Math.min(p.occupancy ?? 0, 1)} aria-label={p.name} />{' '}
                {percent(p.occupancy)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h3>{t('schedule.stats.revenue')}</h3>
      {st.revenue.length === 0 ? (
        <p class="muted">{t('schedule.stats.noRevenue')}</p>
      ) : (
        <ul class="sch-rows">
          {st.revenue.map((r) => (
            <li data-stat="revenue" data-value={r.revenueCents}>
              <div>
                <strong>{r.name}</strong>
                <p class="muted small">{t('schedule.stats.attended', { n: r.appointments })}</p>
              </div>
              <span>{i18n.number(r.revenueCents / 100, { style: 'currency', currency: r.currency })}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

/** Free times of a day as radio buttons (name `slot`: `<instant>|<professional>`), in the viewer's zone. */
function SlotChoices(props: {
  slots: FreeSlot[]
  professionals: ScheduleProfessional[]
  format: ZonedFormatters
  chosen?: string
  showPro: boolean
}) {
  const { t } = useI18n()
  if (props.slots.length === 0) return <p class="muted">{t('schedule.noSlots')}</p>
  const nameOf = (id: string) => props.professionals.find((p) => p.id === id)?.name ?? ''
  return (
    <fieldset class="sch-slots">
      <legend>{t('schedule.pickTime')}</legend>
      {props.slots.map((slot) => {
        const value = `${slot.startsAt.toISOString()}|${slot.professionalId}`
        return (
          <label class="sch-slot">
            <input type="radio" name="slot" value={value} required checked={props.chosen === value} />
            <span>
              {props.format.time(slot.startsAt)}
              {props.showPro && <span class="muted small"> {nameOf(slot.professionalId)}</span>}
            </span>
          </label>
        )
      })}
    </fieldset>
  )
}

/** A GET form choosing service, professional and day: the free times follow below it. */
function SlotFinder(props: {
  action: string
  services?: ScheduleService[]
  serviceId?: string
  professionals: ScheduleProfessional[]
  professionalId: string
  day: string
}) {
  const { t } = useI18n()
  return (
    <form method="get" action={props.action} class="row">
      {props.services ? (
        <Select
          name="service"
          label="schedule.service"
          value={props.serviceId ?? ''}
          required
          options={[
            { value: '', label: t('schedule.chooseService') },
            ...props.services.filter((s) => s.active).map((s) => ({ value: s.id, label: s.name })),
          ]}
        />
      ) : null}
      <Select
        name="professional"
        label="schedule.professional"
        value={props.professionalId}
        options={[
          { value: '', label: t('schedule.anyProfessional') },
          ...props.professionals.filter((p) => p.active).map((p) => ({ value: p.id, label: p.name })),
        ]}
      />
      <div class="field">
        <label for="f-find-day">{t('schedule.day')}</label>
        <input id="f-find-day" name="day" type="date" value={props.day} required />
      </div>
      <button type="submit" class="secondary">
        {t('schedule.findTimes')}
      </button>
    </form>
  )
}

export function NewAppointmentPage(props: {
  services: ScheduleService[]
  professionals: ScheduleProfessional[]
  serviceId?: string
  professionalId: string
  day: string
  timeZone: string
  slots: FreeSlot[] | null
  form?: FormState
}) {
  const { t, locale } = useI18n()
  const format = zonedFormatters(locale, props.timeZone)
  const values = props.form
  return (
    <>
      <p>
        <a href={`/app/schedule?view=day&day=${props.day}`}>{t('schedule.back')}</a>
      </p>
      <h1>{t('schedule.new')}</h1>
      <section class="card">
        <SlotFinder
          action="/app/schedule/new"
          services={props.services}
          serviceId={props.serviceId}
          professionals={props.professionals}
          professionalId={props.professionalId}
          day={props.day}
        />
        <p class="muted small">{t('schedule.zone', { zone: props.timeZone })}</p>
      </section>
      {props.slots && props.serviceId && (
        <section class="card" id="new-appointment">
          {values?.message && <Alert kind="error">{t(values.message)}</Alert>}
          <form method="post" action="/app/schedule/new">
            <CsrfField />
            <input type="hidden" name="service" value={props.serviceId} />
            <input type="hidden" name="day" value={props.day} />
            <input type="hidden" name="professional" value={props.professionalId} />
            <SlotChoices
              slots={props.slots}
              professionals={props.professionals}
              format={format}
              chosen={formValue(values, 'slot')}
              showPro={!props.professionalId}
            />
            {props.slots.length > 0 && (
              <>
                <Field
                  name="name"
                  label="schedule.customerName"
                  value={formValue(values, 'name')}
                  errors={values?.errors}
                  required
                  autocomplete="off"
                />
                <Field
                  name="phone"
                  label="schedule.customerPhone"
                  type="tel"
                  value={formValue(values, 'phone')}
                  errors={values?.errors}
                  hint="book.phoneHint"
                  required
                  autocomplete="off"
                />
                <Field
                  name="email"
                  label="schedule.customerEmail"
                  type="email"
                  value={formValue(values, 'email')}
                  errors={values?.errors}
                  autocomplete="off"
                />
                <Field
                  name="notes"
                  label="schedule.notes"
                  value={formValue(values, 'notes')}
                  errors={values?.errors}
                />
                <label class="check">
                  <input
                    type="checkbox"
                    name="consent"
                    value="yes"
                    checked={formValue(values, 'consent') === 'yes'}
                  />{' '}
                  {t('schedule.consent')}
                </label>
                <div class="actions">
                  <button type="submit" class="primary">
                    {t('schedule.book')}
                  </button>
                </div>
              </>
            )}
          </form>
        </section>
      )}
    </>
  )
}

/** One appointment: who, what, when, and what staff may do with it now. */
export function AppointmentPage(props: {
  appointment: ScheduleAppointment
  professionals: ScheduleProfessional[]
  timeZone: string
  canBook: boolean
  now: Date
  moveDay: string
  moveProfessionalId: string
  slots: FreeSlot[] | null
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t, locale } = useI18n()
  const format = zonedFormatters(locale, props.timeZone)
  const a = props.appointment
  const live = a.status === 'pending' || a.status === 'confirmed'
  const started = a.startsAt <= props.now
  const action = `/app/schedule/appointments/${a.id}`
  const statusButton = (status: AppointmentStatus, label: MessageKey, variant?: 'danger') => (
    <form method="post" action={`${action}/status`} class="inline">
      <CsrfField />
      <input type="hidden" name="status" value={status} />
      <button type="submit" class={variant ?? 'secondary'}>
        {t(label)}
      </button>
    </form>
  )
  return (
    <>
      <p>
        <a href={`/app/schedule?view=day&day=${props.moveDay}`}>{t('schedule.back')}</a>
      </p>
      <h1>{customerOf(t, a)}</h1>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <section class="card">
        <dl class="facts">
          <dt>{t('schedule.when')}</dt>
          <dd>
            {format.full(a.startsAt)} – {format.time(a.endsAt)}
          </dd>
          <dt>{t('schedule.service')}</dt>
          <dd>{a.serviceName}</dd>
          <dt>{t('schedule.professional')}</dt>
          <dd>{a.professionalName}</dd>
          <dt>{t('schedule.statusLabel')}</dt>
          <dd>
            <StatusBadge status={a.status} />
          </dd>
          <dt>{t('schedule.sourceLabel')}</dt>
          <dd>{t(SOURCE[a.source] ?? 'schedule.source.api')}</dd>
          {a.customerPhone && (
            <>
              <dt>{t('schedule.customerPhone')}</dt>
              <dd>{a.customerPhone}</dd>
            </>
          )}
          {a.customerEmail && (
            <>
              <dt>{t('schedule.customerEmail')}</dt>
              <dd>{a.customerEmail}</dd>
            </>
          )}
          {a.notes && (
            <>
              <dt>{t('schedule.notes')}</dt>
              <dd>{a.notes}</dd>
            </>
          )}
        </dl>
        {props.canBook && live && (
          <div class="actions">
            {a.status === 'pending' && a.customerName && statusButton('confirmed', 'schedule.confirm')}
            {a.status === 'confirmed' && started && statusButton('done', 'schedule.markDone')}
            {a.status === 'confirmed' && started && statusButton('no_show', 'schedule.markNoShow')}
            {statusButton('cancelled', 'schedule.cancel', 'danger')}
          </div>
        )}
      </section>
      {props.canBook && live && (
        <section class="card" aria-labelledby="move-title">
          <h2 id="move-title">{t('schedule.move')}</h2>
          <SlotFinder
            action={action}
            professionals={props.professionals}
            professionalId={props.moveProfessionalId}
            day={props.moveDay}
          />
          {props.slots && (
            <form method="post" action={`${action}/reschedule`}>
              <CsrfField />
              <SlotChoices
                slots={props.slots}
                professionals={props.professionals}
                format={format}
                showPro={!props.moveProfessionalId}
              />
              {props.slots.length > 0 && (
                <div class="actions">
                  <button type="submit" class="primary">
                    {t('schedule.moveHere')}
                  </button>
                </div>
              )}
            </form>
          )}
        </section>
      )}
    </>
  )
}
