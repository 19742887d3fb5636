import { Alert, Badge, CsrfField, Field, Select } from '../../components/forms.tsx'
import { zonedFormatters } from '../../components/zoned.ts'
import { type MessageKey, useI18n } from '../../i18n/index.ts'

/**
 * Scheduling's catalogue for managers: services, professionals (their weekly plan and dates that
 * differ) and the periods the whole business is closed. Plain forms over the API's verbs; each
 * post comes back here with what happened (worker/routes/portal/app/schedule-settings.tsx).
 */

export type SettingsService = {
  id: string
  name: string
  durationMinutes: number
  priceCents: number
  currency: string
  capacity: number
  active: boolean
  professionalIds: string[]
}
export type SettingsProfessional = { id: string; name: string; timeZone: string; active: boolean }
export type BlockedPeriod = { id: string; startsAt: Date; endsAt: Date; reason: string | null }
export type PlanDay = {
  weekday: number
  hours: { start: string; end: string }[]
  breaks: { start: string; end: string }[]
}
export type PlanException = {
  id: string
  date: string
  kind: 'off' | 'hours'
  hours: { start: string; end: string } | null
  reason: string | null
}

export type ReminderSettings = {
  data: { id: string; serviceId: string | null; minutesBefore: number }[]
  whatsappTemplate: { id: string; name: string; language: string; approved: boolean } | null
}
export type TemplateChoice = { id: string; name: string; language: string }

/** "1 day", "2 h", "30 min": a rule's offset as people say it. */
function offsetLabel(t: ReturnType<typeof useI18n>['t'], minutes: number) {
  if (minutes % 1440 === 0) return t('schedule.reminders.days', { n: minutes / 1440 })
  if (minutes % 60 === 0) return t('schedule.reminders.hours', { n: minutes / 60 })
  return t('schedule.reminders.minutes', { n: minutes })
}

/** Hours for the form's field: 1440 → "24", 30 → "0,5" (the page's decimal sign is fine either way). */
const hoursOf = (minutes: number[]) =>
  [...minutes]
    .sort((a, b) => b - a)
    .map((m) => String(Math.round((m / 60) * 100) / 100).replace('.', ','))
    .join(' ')

/**
 * Reminder rules, the tenant's default and each service's own, and the WhatsApp template they go
 * as (e-mail when none is chosen, or when the customer has no phone).
 */
function RemindersSection(props: {
  reminders: ReminderSettings
  templates: TemplateChoice[]
  services: SettingsService[]
}) {
  const { t } = useI18n()
  const rulesOf = (serviceId: string | null) =>
    props.reminders.data.filter((rule) => rule.serviceId === serviceId).map((rule) => rule.minutesBefore)
  const describe = (minutes: number[]) =>
    minutes.length === 0
      ? t('schedule.reminders.none')
      : [...minutes]
          .sort((a, b) => b - a)
          .map((m) => offsetLabel(t, m))
          .join(', ')
  const defaults = rulesOf(null)
  const current = props.reminders.whatsappTemplate
  return (
    <section class="card" id="reminders" aria-labelledby="reminders-title">
      <h2 id="reminders-title">{t('schedule.reminders.title')}</h2>
      <ul class="sch-rows">
        <li>
          <div>
            <strong>{t('schedule.reminders.default')}</strong>
            <p class="muted small">{describe(defaults)}</p>
          </div>
        </li>
        {props.services
          .filter((service) => rulesOf(service.id).length > 0)
          .map((service) => (
            <li>
              <div>
                <strong>{service.name}</strong>
                <p class="muted small">{describe(rulesOf(service.id))}</p>
              </div>
            </li>
          ))}
      </ul>
      <form method="post" action="/app/schedule/settings/reminders">
        <CsrfField />
        <div class="row">
          <Select
            name="scope"
            label="schedule.reminders.scope"
            options={[
              { value: 'default', label: t('schedule.reminders.default') },
              ...props.services.map((service) => ({ value: service.id, label: service.name })),
            ]}
          />
          <Field
            name="hours"
            label="schedule.reminders.hoursBefore"
            hint="schedule.reminders.hoursHint"
            inputmode="decimal"
            value={hoursOf(defaults)}
          />
        </div>
        <div class="actions">
          <button type="submit" class="primary">
            {t('schedule.reminders.save')}
          </button>
        </div>
      </form>
      <h3>{t('schedule.reminders.channel')}</h3>
      <p class="muted small">{t('schedule.reminders.channelHint')}</p>
      {current && !current.approved && (
        <Alert kind="error">{t('schedule.reminders.notApproved', { name: current.name })}</Alert>
      )}
      <form method="post" action="/app/schedule/settings/reminder-template" class="row">
        <CsrfField />
        <Select
          name="template"
          label="schedule.reminders.template"
          value={current?.id ?? ''}
          options={[
            { value: '', label: t('schedule.reminders.emailOnly') },
            ...props.templates.map((template) => ({
              value: template.id,
              label: `${template.name} (${template.language})`,
            })),
          ]}
        />
        <button type="submit" class="primary">
          {t('schedule.reminders.saveChannel')}
        </button>
      </form>
    </section>
  )
}

function Notices(props: { notice?: MessageKey; error?: MessageKey }) {
  const { t } = useI18n()
  return (
    <>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
    </>
  )
}

function PostButton(props: {
  action: string
  label: string
  fields?: Record<string, string>
  danger?: boolean
}) {
  return (
    <form method="post" action={props.action} class="inline">
      <CsrfField />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={props.danger ? 'danger' : 'secondary'}>
        {props.label}
      </button>
    </form>
  )
}

export function ScheduleSettingsPage(props: {
  services: SettingsService[]
  professionals: SettingsProfessional[]
  blocked: BlockedPeriod[]
  reminders: ReminderSettings
  templates: TemplateChoice[]
  timeZone: string
  notice?: MessageKey
  error?: MessageKey
}) {
  const i18n = useI18n()
  const { t } = i18n
  const format = zonedFormatters(i18n.locale, props.timeZone)
  const nameOf = (id: string) => props.professionals.find((p) => p.id === id)?.name ?? ''
  return (
    <>
      <p>
        <a href="/app/schedule">{t('schedule.back')}</a>
      </p>
      <h1>{t('schedule.settings.title')}</h1>
      <Notices notice={props.notice} error={props.error} />

      <section class="card" aria-labelledby="services-title">
        <h2 id="services-title">{t('schedule.settings.services')}</h2>
        {props.services.length === 0 ? (
          <p class="muted">{t('schedule.settings.noServices')}</p>
        ) : (
          <ul class="sch-rows">
            {props.services.map((service) => (
              <li>
                <div>
                  <strong>{service.name}</strong>{' '}
                  {!service.active && <Badge status="none" label={t('schedule.settings.inactive')} />}
                  <p class="muted small">
                    {t('schedule.settings.serviceFacts', {
                      minutes: service.durationMinutes,
                      price: i18n.number(service.priceCents / 100, {
                        style: 'currency',
                        currency: service.currency,
                      }),
                    })}
                    {service.capacity > 1 &&
                      ` · ${t('schedule.settings.groupOf', { seats: service.capacity })}`}
                    {' · '}
                    {service.professionalIds.map(nameOf).join(', ') || t('schedule.settings.nobody')}
                  </p>
                </div>
                <PostButton
                  action={`/app/schedule/settings/services/${service.id}/active`}
                  label={t(service.active ? 'schedule.settings.deactivate' : 'schedule.settings.activate')}
                  fields={{ active: service.active ? 'no' : 'yes' }}
                />
              </li>
            ))}
          </ul>
        )}
        <h3>{t('schedule.settings.newService')}</h3>
        <form method="post" action="/app/schedule/settings/services">
          <CsrfField />
          <div class="row">
            <Field name="name" label="schedule.settings.serviceName" required />
            <Field
              name="duration"
              label="schedule.settings.duration"
              type="number"
              min={5}
              max={720}
              value={60}
              required
            />
            <Field name="price" label="schedule.settings.price" inputmode="decimal" value="0,00" required />
            <Field
              name="capacity"
              label="schedule.settings.capacity"
              type="number"
              min={1}
              max={500}
              value={1}
              required
            />
          </div>
          <fieldset>
            <legend>{t('schedule.settings.whoPerforms')}</legend>
            {props.professionals
              .filter((p) => p.active)
              .map((p) => (
                <label class="check">
                  <input type="checkbox" name="professionals" value={p.id} /> {p.name}
                </label>
              ))}
          </fieldset>
          <div class="actions">
            <button type="submit" class="primary">
              {t('schedule.settings.addService')}
            </button>
          </div>
        </form>
      </section>

      <section class="card" aria-labelledby="pros-title">
        <h2 id="pros-title">{t('schedule.settings.professionals')}</h2>
        <ul class="sch-rows">
          {props.professionals.map((p) => (
            <li>
              <div>
                <a href={`/app/schedule/professionals/${p.id}`}>
                  <strong>{p.name}</strong>
                </a>{' '}
                {!p.active && <Badge status="none" label={t('schedule.settings.inactive')} />}
                <p class="muted small">{p.timeZone}</p>
              </div>
              <a href={`/app/schedule/professionals/${p.id}`}>{t('schedule.settings.editPlan')}</a>
            </li>
          ))}
        </ul>
        <h3>{t('schedule.settings.newProfessional')}</h3>
        <form method="post" action="/app/schedule/settings/professionals" class="row">
          <CsrfField />
          <Field name="name" label="schedule.settings.professionalName" required />
          <Field name="time_zone" label="schedule.settings.timeZone" value="America/Sao_Paulo" required />
          <button type="submit" class="primary">
            {t('schedule.settings.addProfessional')}
          </button>
        </form>
      </section>

      <section class="card" aria-labelledby="blocked-title">
        <h2 id="blocked-title">{t('schedule.settings.blocked')}</h2>
        <p class="muted small">{t('schedule.zone', { zone: props.timeZone })}</p>
        {props.blocked.length === 0 ? (
          <p class="muted">{t('schedule.settings.noBlocked')}</p>
        ) : (
          <ul class="sch-rows">
            {props.blocked.map((period) => (
              <li>
                <div>
                  <strong>{period.reason ?? t('schedule.settings.closed')}</strong>
                  <p class="muted small">
                    {format.full(period.startsAt)} – {format.full(period.endsAt)}
                  </p>
                </div>
                <PostButton
                  action={`/app/schedule/settings/blocked/${period.id}/delete`}
                  label={t('schedule.settings.remove')}
                  danger
                />
              </li>
            ))}
          </ul>
        )}
        <form method="post" action="/app/schedule/settings/blocked" class="row">
          <CsrfField />
          <Field name="starts_at" label="schedule.settings.from" type="datetime-local" required />
          <Field name="ends_at" label="schedule.settings.until" type="datetime-local" required />
          <Field name="reason" label="schedule.settings.reason" />
          <button type="submit" class="primary">
            {t('schedule.settings.block')}
          </button>
        </form>
      </section>

      <RemindersSection reminders={props.reminders} templates={props.templates} services={props.services} />
    </>
  )
}

const WEEKDAYS: MessageKey[] = [
  'schedule.weekday.0',
  'schedule.weekday.1',
  'schedule.weekday.2',
  'schedule.weekday.3',
  'schedule.weekday.4',
  'schedule.weekday.5',
  'schedule.weekday.6',
]

/** One professional's weekly plan (one working interval and one break a day) and exceptions. */
export function ProfessionalPlanPage(props: {
  professional: SettingsProfessional
  days: PlanDay[]
  exceptions: PlanException[]
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t } = useI18n()
  const action = `/app/schedule/professionals/${props.professional.id}`
  // Monday first, as people read a week here.
  const order = [1, 2, 3, 4, 5, 6, 0]
  return (
    <>
      <p>
        <a href="/app/schedule/settings">{t('schedule.settings.title')}</a>
      </p>
      <h1>{props.professional.name}</h1>
      <Notices notice={props.notice} error={props.error} />
      <section class="card" aria-labelledby="plan-title">
        <h2 id="plan-title">{t('schedule.plan.title')}</h2>
        <p class="muted small">{t('schedule.plan.hint', { zone: props.professional.timeZone })}</p>
        <form method="post" action={`${action}/plan`}>
          <CsrfField />
          <div class="table-wrap">
            <table class="sch-plan">
              <thead>
                <tr>
                  <th scope="col">{t('schedule.plan.day')}</th>
                  <th scope="col">{t('schedule.plan.from')}</th>
                  <th scope="col">{t('schedule.plan.to')}</th>
                  <th scope="col">{t('schedule.plan.breakFrom')}</th>
                  <th scope="col">{t('schedule.plan.breakTo')}</th>
                </tr>
              </thead>
              <tbody>
                {order.map((weekday) => {
                  const day = props.days.find((d) => d.weekday === weekday)
                  const label = t(WEEKDAYS[weekday] as MessageKey)
                  const input = (name: string, value: string | undefined, aria: MessageKey) => (
                    <td>
                      <input
                        type="time"
                        name={`${name}_${weekday}`}
                        value={value ?? ''}
                        aria-label={`${label}: ${t(aria)}`}
                      />
                    </td>
                  )
                  return (
                    <tr>
                      <th scope="row">{label}</th>
                      {input('start', day?.hours[0]?.start, 'schedule.plan.from')}
                      {input('end', day?.hours[0]?.end, 'schedule.plan.to')}
                      {input('break_start', day?.breaks[0]?.start, 'schedule.plan.breakFrom')}
                      {input('break_end', day?.breaks[0]?.end, 'schedule.plan.breakTo')}
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
          <p class="muted small">{t('schedule.plan.emptyIsOff')}</p>
          <div class="actions">
            <button type="submit" class="primary">
              {t('schedule.plan.save')}
            </button>
          </div>
        </form>
      </section>
      <section class="card" aria-labelledby="exceptions-title">
        <h2 id="exceptions-title">{t('schedule.exceptions.title')}</h2>
        {props.exceptions.length === 0 ? (
          <p class="muted">{t('schedule.exceptions.none')}</p>
        ) : (
          <ul class="sch-rows">
            {props.exceptions.map((exception) => (
              <li>
                <div>
                  <strong>{exception.date}</strong>{' '}
                  {exception.kind === 'off'
                    ? t('schedule.exceptions.off')
                    : t('schedule.exceptions.hours', {
                        start: exception.hours?.start ?? '',
                        end: exception.hours?.end ?? '',
                      })}
                  {exception.reason && <span class="muted"> · {exception.reason}</span>}
                </div>
                <PostButton
                  action={`${action}/exceptions/${exception.id}/delete`}
                  label={t('schedule.settings.remove')}
                  danger
                />
              </li>
            ))}
          </ul>
        )}
        <form method="post" action={`${action}/exceptions`} class="row">
          <CsrfField />
          <Field name="date" label="schedule.exceptions.date" type="date" required />
          <div class="field">
            <label for="f-kind">{t('schedule.exceptions.kind')}</label>
            <select id="f-kind" name="kind">
              <option value="off">{t('schedule.exceptions.off')}</option>
              <option value="hours">{t('schedule.exceptions.otherHours')}</option>
            </select>
          </div>
          <Field name="start" label="schedule.plan.from" type="time" />
          <Field name="end" label="schedule.plan.to" type="time" />
          <Field name="reason" label="schedule.settings.reason" />
          <button type="submit" class="primary">
            {t('schedule.exceptions.add')}
          </button>
        </form>
      </section>
    </>
  )
}
