import { Hono } from 'hono'
import { z } from 'zod'
import type { FormState } from '../../../portal/components/forms.tsx'
import { zonedFormatters } from '../../../portal/components/zoned.ts'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import {
  BookError,
  type DaySlot,
  HoldForm,
  ManageView,
  ProfessionalsList,
  ServicesList,
  SlotsPicker,
  type Summary,
} from '../../../portal/pages/book/book.tsx'
import { DEFAULT_TIME_ZONE } from '../../../portal/viewer.ts'
import type { App } from '../../env.ts'
import { ApiError } from '../../errors.ts'
import { describeError, log } from '../../log.ts'
import { toApiError } from '../../middleware/errors.ts'
import { portalCsrf } from '../../middleware/portal-csrf.ts'
import type { PortalEnv } from '../../middleware/portal-env.ts'
import { portalLocale, requestTimeZone } from '../../middleware/portal-locale.ts'
import { parsePhone } from '../../services/customers/phone.ts'
import {
  cancelManaged,
  confirmHold,
  holdSlot,
  managedAvailability,
  publicAvailability,
  publicCatalogue,
  readHold,
  readManaged,
  rescheduleManaged,
} from '../../services/scheduling/public.ts'
import { addDays, zonedDate } from '../../services/scheduling/zones.ts'
import { errorFromQuery, errorKey } from '../portal/run.ts'
import {
  limitPublicWrites,
  type PublicPageContext,
  publicLanguage,
  renderPublicPage,
} from '../public-page.tsx'

type BookContext = PublicPageContext

/** Days offered at once on the page. */
const DAYS_SHOWN = 14
const SLUG = /^[a-z0-9](-?[a-z0-9]){0,47}$/
const ID = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{20}$`)

/** The visitor's zone as Cloudflare locates them (a visitor has no saved one); else Brazil's. */
const visitorZone = (c: BookContext) => requestTimeZone(c, DEFAULT_TIME_ZONE)

const formatters = (c: BookContext, zone: string) => zonedFormatters(c.var.i18n.locale, zone)

const holdForm = z.object({
  service: z.string().regex(ID('svc')),
  professional: z.string().regex(ID('pro')),
  starts_at: z.iso.datetime(),
})

const moveForm = z.object({ starts_at: z.iso.datetime() })

const detailsForm = z.object({
  name: z.string().trim().min(1).max(200),
  phone: z.string().max(40),
  email: z.union([z.literal(''), z.email().max(254)]),
})

export function registerBookingPage(app: App) {
  app.use('/book/*', portalLocale, portalCsrf)
  const book = new Hono<PortalEnv>()

  book.get('/book/:slug', async (c) => {
    const slug = c.req.param('slug')
    if (!SLUG.test(slug)) throw new ApiError(404, 'NOT_FOUND', 'No such booking page.')
    publicLanguage(c)
    const services = c.var.caller.services
    const now = new Date()
    const catalogue = await publicCatalogue(services, slug, now)
    const base = `/book/${slug}`
    const business = catalogue.tenant.name
    const service = catalogue.services.find((s) => s.id === c.req.query('service'))
    if (!service)
      return renderPublicPage(
        c,
        business,
        'book.title',
        <ServicesList base={base} services={catalogue.services} />,
      )
    const who = c.req.query('professional')
    const professional = who === 'any' || service.professionals.some((p) => p.id === who) ? who : undefined
    if (!professional)
      return renderPublicPage(c, business, 'book.title', <ProfessionalsList base={base} service={service} />)

    const zone = visitorZone(c)
    const format = formatters(c, zone)
    const today = zonedDate(now, zone)
    const slots = await publicAvailability(
      services,
      slug,
      {
        serviceId: service.id,
        professionalId: professional === 'any' ? undefined : professional,
        from: today,
        to: addDays(today, DAYS_SHOWN - 1),
        timeZone: zone,
      },
      now,
    )
    const query = `service=${service.id}&professional=${professional}`
    const { days, day } = dayChoices(slots, c.req.query('day'), format)
    return renderPublicPage(
      c,
      business,
      'book.title',
      <SlotsPicker
        title={service.name}
        capacity={service.capacity}
        target={{
          back: `${base}?service=${service.id}`,
          day: (date) => `${base}?${query}&day=${date}`,
          action: `${base}/hold`,
          fields: (slot) => ({
            service: service.id,
            professional: slot.professionalId,
            starts_at: slot.startsAt.toISOString(),
          }),
        }}
        days={days}
        day={day}
        zone={zone}
        timeLabel={format.time}
        message={errorFromQuery(c)}
      />,
    )
  })

  /** Holds the picked time; a time taken meanwhile goes back to the day with the reason. */
  book.post('/book/:slug/hold', async (c) => {
    const slug = c.req.param('slug')
    await limitPublicWrites(c, 'book')
    const parsed = holdForm.safeParse(await c.req.parseBody())
    if (!parsed.success || !SLUG.test(slug)) throw new ApiError(400, 'BAD_REQUEST', 'The form is not valid.')
    const form = parsed.data
    const zone = visitorZone(c)
    try {
      const token = await holdSlot(
        c.var.caller.services,
        c.var.caller.meta,
        slug,
        {
          serviceId: form.service,
          professionalId: form.professional,
          startsAt: new Date(form.starts_at),
          timeZone: zone,
        },
        new Date(),
      )
      return c.redirect(`/book/${slug}/hold/${token}`, 303)
    } catch (error) {
      if (
        !(error instanceof ApiError) ||
        !['SLOT_TAKEN', 'SLOT_UNAVAILABLE', 'HOLD_LIMIT_REACHED'].includes(error.code)
      )
        throw error
      const day = zonedDate(new Date(form.starts_at), zone)
      return c.redirect(
        `/book/${slug}?service=${form.service}&professional=${form.professional}&day=${day}&error=${error.code}`,
        303,
      )
    }
  })

  book.get('/book/:slug/hold/:token', async (c) => {
    const { slug, token } = c.req.param()
    publicLanguage(c)
    return renderHold(c, slug, token)
  })

  /** Confirms the hold with the visitor's details. A filled honeypot books nothing, silently. */
  book.post('/book/:slug/hold/:token', async (c) => {
    const { slug, token } = c.req.param()
    await limitPublicWrites(c, 'book')
    const body = await c.req.parseBody()
    if (typeof body.website === 'string' && body.website !== '') return c.redirect(`/book/${slug}`, 303)
    const parsed = detailsForm.safeParse(body)
    const phone = parsePhone(typeof body.phone === 'string' ? body.phone : '')
    if (!parsed.success || !phone.ok) {
      const errors: Record<string, MessageKey> = {}
      for (const issue of parsed.success ? [] : parsed.error.issues)
        errors[String(issue.path[0])] = 'form.invalid'
      if (!phone.ok) errors.phone = 'form.invalid'
      const values = Object.fromEntries(
        ['name', 'phone', 'email'].map((name) => [
          name,
          typeof body[name] === 'string' ? (body[name] as string) : '',
        ]),
      )
      return renderHold(c, slug, token, { values, errors, message: 'error.VALIDATION_FAILED' }, 400)
    }
    const manage = await confirmHold(
      c.var.caller.services,
      c.var.caller.meta,
      slug,
      token,
      {
        customer: { name: parsed.data.name, phone: phone.e164, email: parsed.data.email || null },
        remindersConsent: body.consent === 'yes',
        locale: c.var.i18n.locale,
      },
      new Date(),
    )
    return c.redirect(`/book/${slug}/manage/${manage}?new=1`, 303)
  })

  book.get('/book/:slug/manage/:token', async (c) => {
    const { slug, token } = c.req.param()
    publicLanguage(c)
    const { appointment, cancellable } = await readManaged(c.var.caller.services, slug, token, new Date())
    const format = formatters(c, visitorZone(c))
    return renderPublicPage(
      c,
      appointment.tenantName,
      'book.manage.title',
      <ManageView
        summary={summaryOf(appointment, format.full)}
        status={appointment.status}
        justBooked={c.req.query('new') === '1' && appointment.status === 'confirmed'}
        justMoved={c.req.query('moved') === '1'}
        manageUrl={`${new URL(c.req.url).origin}/book/${slug}/manage/${token}`}
        cancellable={cancellable}
        business={appointment.tenantName}
      />,
    )
  })

  book.get('/book/:slug/manage/:token/move', async (c) => {
    const { slug, token } = c.req.param()
    publicLanguage(c)
    return renderMove(c, slug, token, c.req.query('day'))
  })

  /** Moves the appointment to the picked time; a time taken meanwhile is the picker again, with why. */
  book.post('/book/:slug/manage/:token/move', async (c) => {
    const { slug, token } = c.req.param()
    await limitPublicWrites(c, 'book')
    const parsed = moveForm.safeParse(await c.req.parseBody())
    if (!parsed.success) throw new ApiError(400, 'BAD_REQUEST', 'The form is not valid.')
    const zone = visitorZone(c)
    const startsAt = new Date(parsed.data.starts_at)
    try {
      await rescheduleManaged(
        c.var.caller.services,
        c.var.caller.meta,
        slug,
        token,
        { startsAt, timeZone: zone },
        new Date(),
      )
    } catch (error) {
      if (!(error instanceof ApiError) || !['SLOT_TAKEN', 'SLOT_UNAVAILABLE'].includes(error.code))
        throw error
      return renderMove(c, slug, token, zonedDate(startsAt, zone), error)
    }
    return c.redirect(`/book/${slug}/manage/${token}?moved=1`, 303)
  })

  book.post('/book/:slug/manage/:token/cancel', async (c) => {
    const { slug, token } = c.req.param()
    await limitPublicWrites(c, 'book')
    await cancelManaged(c.var.caller.services, c.var.caller.meta, slug, token, new Date())
    return c.redirect(`/book/${slug}/manage/${token}`, 303)
  })

  /** Errors are pages in the visitor's language, never the API's envelope. */
  book.onError(async (error, c) => {
    const apiError = toApiError(error)
    if (apiError.status >= 500) log('error', 'booking page error', describeError(error))
    const slug = c.req.param('slug') ?? ''
    for (const [name, value] of Object.entries(apiError.headers ?? {})) c.header(name, value)
    const message: MessageKey =
      apiError.code === 'HOLD_EXPIRED' || apiError.code === 'INVALID_MANAGE_LINK'
        ? `error.${apiError.code}`
        : errorKey(apiError)
    return renderPublicPage(
      c,
      '',
      'book.error.title',
      <BookError message={message} startOver={SLUG.test(slug) ? `/book/${slug}` : '/'} />,
      apiError.status,
    )
  })

  app.route('/', book)
}

/** Groups slots by the visitor's local day; with "any professional", one button per time. */
function dayChoices(slots: DaySlot[], chosen: string | undefined, format: ReturnType<typeof formatters>) {
  const byDay = new Map<string, DaySlot[]>()
  for (const slot of slots) {
    const date = slot.local.slice(0, 10)
    byDay.set(date, [...(byDay.get(date) ?? []), slot])
  }
  const days = [...byDay.keys()].map((date) => ({ date, label: format.day(date) }))
  const date = chosen && /^\d{4}-\d{2}-\d{2}$/.test(chosen) ? chosen : days[0]?.date
  // With "any professional", one button per time: the first professional free then.
  const daySlots = (date ? (byDay.get(date) ?? []) : []).filter(
    (slot, i, all) => all.findIndex((other) => other.local === slot.local) === i,
  )
  return { days, day: date ? { date, label: format.day(date), slots: daySlots } : undefined }
}

/** The manage link's picker of another time (again, with the refusal's reason, after a lost race). */
async function renderMove(c: BookContext, slug: string, token: string, chosen?: string, refused?: ApiError) {
  const zone = visitorZone(c)
  const format = formatters(c, zone)
  const today = zonedDate(new Date(), zone)
  const { appointment, slots } = await managedAvailability(
    c.var.caller.services,
    slug,
    token,
    { from: today, to: addDays(today, DAYS_SHOWN - 1), timeZone: zone },
    new Date(),
  )
  const manage = `/book/${slug}/manage/${token}`
  const { days, day } = dayChoices(slots, chosen, format)
  return renderPublicPage(
    c,
    appointment.tenantName,
    'book.move.title',
    <SlotsPicker
      title={appointment.serviceName}
      capacity={1}
      target={{
        back: manage,
        day: (date) => `${manage}/move?day=${date}`,
        action: `${manage}/move`,
        fields: (slot) => ({ starts_at: slot.startsAt.toISOString() }),
      }}
      intro={
        <p>
          {c.var.i18n.t('book.move.now', {
            time: format.full(appointment.startsAt),
            professional: appointment.professionalName,
          })}
        </p>
      }
      days={days}
      day={day}
      zone={zone}
      timeLabel={format.time}
      message={refused ? errorKey(refused) : undefined}
    />,
    refused?.status ?? 200,
  )
}

/** The details form of a live hold (again, with what was typed and its errors, after a refusal). */
async function renderHold(c: BookContext, slug: string, token: string, state?: FormState, status = 200) {
  const held = await readHold(c.var.caller.services, slug, token, new Date())
  const format = formatters(c, visitorZone(c))
  return renderPublicPage(
    c,
    held.tenantName,
    'book.hold.title',
    <HoldForm
      action={`/book/${slug}/hold/${token}`}
      summary={summaryOf(held, format.full)}
      until={format.time(held.holdExpiresAt ?? new Date())}
      state={state}
    />,
    status,
  )
}

function summaryOf(
  appointment: { serviceName: string; professionalName: string; startsAt: Date },
  full: (instant: Date) => string,
): Summary {
  return {
    serviceName: appointment.serviceName,
    professionalName: appointment.professionalName,
    when: full(appointment.startsAt),
  }
}
