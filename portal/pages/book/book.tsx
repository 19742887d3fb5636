import type { Child } from 'hono/jsx'
import { CsrfField, Field, type FieldErrors, type FormState, formValue } from '../../components/forms.tsx'
import { PageContext } from '../../components/page.ts'
import { type I18n, I18nContext, LOCALES, type MessageKey, useI18n } from '../../i18n/index.ts'

/**
 * The public booking page (`/book/<tenant-slug>`): phone first, one choice per screen, plain
 * links and forms that htmx boosts (no page reloads on a phone) and that work without it. Only
 * the public catalogue is shown: the business's name, its services and its professionals' names.
 */

export type BookPage = { i18n: I18n; csrfToken: string; path: string; business: string; title: string }

/** The document around every booking screen: our stylesheet and htmx only (the CSP allows nothing else). */
export function BookLayout(props: BookPage & { children: Child }) {
  const { t, locale } = props.i18n
  return (
    <html lang={locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <meta name="htmx-config" content='{"includeIndicatorCSS":false}' />
        <meta name="robots" content="noindex" />
        <title>{props.business ? `${props.title} · ${props.business}` : props.title}</title>
        <link rel="stylesheet" href="/css/portal.css" />
        <script src="/vendor/htmx.min.js" defer />
      </head>
      <body hx-boost="true">
        <I18nContext.Provider value={props.i18n}>
          <PageContext.Provider value={{ csrfToken: props.csrfToken, path: props.path }}>
            <main class="narrow book" id="main">
              <header class="top">
                <strong class="brand">{props.business || props.title}</strong>
                <nav class="lang" aria-label={t('language.label')}>
                  {LOCALES.map((option) => (
                    <a
                      href={`?lang=${option}`}
                      lang={option}
                      aria-current={option === locale ? 'true' : undefined}
                    >
                      {t(`language.${option}`)}
                    </a>
                  ))}
                </nav>
              </header>
              {props.children}
            </main>
          </PageContext.Provider>
        </I18nContext.Provider>
      </body>
    </html>
  )
}

export type CatalogueService = {
  id: string
  name: string
  description: string | null
  durationMinutes: number
  priceCents: number
  currency: string
  capacity: number
  professionals: { id: string; name: string }[]
}

const price = (i18n: I18n, cents: number, currency: string) =>
  i18n.number(cents / 100, { style: 'currency', currency })

export function ServicesList(props: { base: string; services: CatalogueService[] }) {
  const i18n = useI18n()
  const { t } = i18n
  if (props.services.length === 0) return <p class="card">{t('book.noServices')}</p>
  return (
    <section aria-labelledby="services-title">
      <h1 id="services-title">{t('book.services')}</h1>
      <ul class="choices">
        {props.services.map((service) => (
          <li>
            <a class="card choice" href={`${props.base}?service=${service.id}`}>
              <strong>{service.name}</strong>
              <span class="muted">
                {t('book.duration', { minutes: service.durationMinutes })} ·{' '}
                {price(i18n, service.priceCents, service.currency)}
                {service.capacity > 1 ? ` · ${t('book.groupSeats')}` : ''}
              </span>
              {service.description && <span class="small">{service.description}</span>}
            </a>
          </li>
        ))}
      </ul>
    </section>
  )
}

export function ProfessionalsList(props: { base: string; service: CatalogueService }) {
  const { t } = useI18n()
  const link = (who: string) => `${props.base}?service=${props.service.id}&professional=${who}`
  return (
    <section aria-labelledby="pro-title">
      <p>
        <a href={props.base}>← {t('book.back')}</a>
      </p>
      <h1 id="pro-title">{props.service.name}</h1>
      <h2>{t('book.professional')}</h2>
      <ul class="choices">
        <li>
          <a class="card choice" href={link('any')}>
            <strong>{t('book.anyProfessional')}</strong>
          </a>
        </li>
        {props.service.professionals.map((professional) => (
          <li>
            <a class="card choice" href={link(professional.id)}>
              <strong>{professional.name}</strong>
            </a>
          </li>
        ))}
      </ul>
    </section>
  )
}

export type DaySlot = { startsAt: Date; local: string; professionalId: string; seatsLeft: number }

/** Where the picker's links and buttons go: a new booking holds a slot, a manage link moves to it. */
export type SlotsTarget = {
  back: string
  day: (date: string) => string
  action: string
  fields: (slot: DaySlot) => Record<string, string>
}

/** Days with free times, and the chosen day's times as buttons that each post one slot. */
export function SlotsPicker(props: {
  title: string
  capacity: number
  target: SlotsTarget
  days: { date: string; label: string }[]
  day?: { date: string; label: string; slots: DaySlot[] }
  zone: string
  timeLabel: (instant: Date) => string
  message?: MessageKey
  intro?: Child
}) {
  const { t } = useI18n()
  return (
    <section aria-labelledby="day-title">
      <p>
        <a href={props.target.back}>← {t('book.back')}</a>
      </p>
      <h1 id="day-title">{props.title}</h1>
      {props.message && (
        <p class="alert error" role="alert">
          {t(props.message)}
        </p>
      )}
      {props.intro}
      <h2>{t('book.day')}</h2>
      {props.days.length === 0 ? (
        <p>{t('book.noDays')}</p>
      ) : (
        <ul class="days">
          {props.days.map((day) => (
            <li>
              <a
                class="badge"
                href={props.target.day(day.date)}
                aria-current={props.day?.date === day.date ? 'date' : undefined}
              >
                {day.label}
              </a>
            </li>
          ))}
        </ul>
      )}
      {props.day && (
        <section id="slots" aria-labelledby="slots-title">
          <h2 id="slots-title">{t('book.slots', { day: props.day.label })}</h2>
          {props.day.slots.length === 0 ? (
            <p>{t('book.noSlots')}</p>
          ) : (
            <ul class="slots">
              {props.day.slots.map((slot) => (
                <li>
                  <form method="post" action={props.target.action}>
                    <CsrfField />
                    {Object.entries(props.target.fields(slot)).map(([name, value]) => (
                      <input type="hidden" name={name} value={value} />
                    ))}
                    <button type="submit">
                      {props.timeLabel(slot.startsAt)}
                      {props.capacity > 1 ? ` (${t('book.seatsLeft', { seats: slot.seatsLeft })})` : ''}
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          )}
          <p class="muted small">{t('book.zone', { zone: props.zone })}</p>
        </section>
      )}
    </section>
  )
}

export type Summary = { serviceName: string; professionalName: string; when: string }

function SummaryList(props: { summary: Summary }) {
  const { t } = useI18n()
  return (
    <dl class="card">
      <dt>{t('book.summary.service')}</dt>
      <dd>{props.summary.serviceName}</dd>
      <dt>{t('book.summary.professional')}</dt>
      <dd>{props.summary.professionalName}</dd>
      <dt>{t('book.summary.when')}</dt>
      <dd>{props.summary.when}</dd>
    </dl>
  )
}

/** The form for the visitor's details, while their slot is held. The `website` field is a honeypot. */
export function HoldForm(props: { action: string; summary: Summary; until: string; state?: FormState }) {
  const { t } = useI18n()
  const errors: FieldErrors = props.state?.errors ?? {}
  return (
    <section aria-labelledby="hold-title">
      <h1 id="hold-title">{t('book.hold.title')}</h1>
      <p>{t('book.hold.held', { time: props.summary.when, until: props.until })}</p>
      <SummaryList summary={props.summary} />
      {props.state?.message && (
        <p class="alert error" role="alert">
          {t(props.state.message)}
        </p>
      )}
      <form method="post" action={props.action}>
        <CsrfField />
        <Field
          name="name"
          label="book.name"
          required
          autocomplete="name"
          value={formValue(props.state, 'name')}
          errors={errors}
        />
        <Field
          name="phone"
          label="book.phone"
          type="tel"
          required
          autocomplete="tel"
          hint="book.phoneHint"
          value={formValue(props.state, 'phone')}
          errors={errors}
        />
        <Field
          name="email"
          label="book.email"
          type="email"
          autocomplete="email"
          value={formValue(props.state, 'email')}
          errors={errors}
        />
        <div class="field honeypot" aria-hidden="true">
          <label for="f-website">{t('book.website')}</label>
          <input id="f-website" name="website" type="text" tabindex={-1} autocomplete="off" />
        </div>
        <label class="check">
          <input type="checkbox" name="consent" value="yes" /> {t('book.consent')}
        </label>
        <p class="actions">
          <button type="submit">{t('book.confirm')}</button>
        </p>
      </form>
    </section>
  )
}

export function ManageView(props: {
  summary: Summary
  status: 'pending' | 'confirmed' | 'cancelled' | 'done' | 'no_show'
  justBooked: boolean
  justMoved: boolean
  manageUrl: string
  cancellable: boolean
  business: string
}) {
  const { t } = useI18n()
  return (
    <section aria-labelledby="manage-title">
      <h1 id="manage-title">{t(props.justBooked ? 'book.done.title' : 'book.manage.title')}</h1>
      {props.justBooked && <p>{t('book.done.body')}</p>}
      {props.justMoved && (
        <p class="alert" role="status">
          {t('book.manage.moved')}
        </p>
      )}
      <p>
        <span
          class={`badge s-${props.status === 'cancelled' ? 'canceled' : props.status === 'confirmed' ? 'active' : 'pending'}`}
        >
          {t(`book.status.${props.status}`)}
        </span>
      </p>
      <SummaryList summary={props.summary} />
      {props.status !== 'cancelled' && (
        <>
          <p>{t('book.manage.link')}</p>
          <p class="secret">
            <a href={props.manageUrl}>{props.manageUrl}</a>
          </p>
        </>
      )}
      {props.cancellable ? (
        <div class="manage-actions">
          <a class="button" href={`${props.manageUrl}/move`}>
            {t('book.manage.move')}
          </a>
          <form method="post" action={`${props.manageUrl}/cancel`}>
            <CsrfField />
            <button type="submit" class="danger">
              {t('book.manage.cancel')}
            </button>
          </form>
        </div>
      ) : (
        props.status !== 'cancelled' && (
          <p class="muted">{t('book.manage.cutoff', { business: props.business })}</p>
        )
      )}
    </section>
  )
}

export function BookError(props: { message: MessageKey; startOver: string }) {
  const { t } = useI18n()
  return (
    <section class="card" aria-labelledby="error-title">
      <h1 id="error-title">{t('book.error.title')}</h1>
      <p>{t(props.message)}</p>
      <p>
        <a href={props.startOver}>{t('book.error.startOver')}</a>
      </p>
    </section>
  )
}
