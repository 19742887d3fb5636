import { z } from 'zod'
import type { FormState } from '../../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import {
  AppointmentPage,
  type FreeSlot,
  NewAppointmentPage,
  SchedulePage,
  type ScheduleView,
} from '../../../../portal/pages/app/schedule.tsx'
import { can } from '../../../auth/permissions.ts'
import { notFound } from '../../../errors.ts'
import { emailField } from '../../../http.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { memberTimeZone } from '../../../middleware/portal-locale.ts'
import type { ServiceContext } from '../../../services/context.ts'
import { parsePhone } from '../../../services/customers/phone.ts'
import {
  createAppointment,
  getAppointment,
  listAppointments,
  rescheduleAppointment,
  setAppointmentStatus,
} from '../../../services/scheduling/appointments.ts'
import { readAvailability } from '../../../services/scheduling/availability.ts'
import { listProfessionals } from '../../../services/scheduling/professionals.ts'
import { listServices } from '../../../services/scheduling/services.ts'
import { readStats } from '../../../services/scheduling/stats.ts'
import { addDays, weekdayOf, zonedDate } from '../../../services/scheduling/zones.ts'
import { formValues, one, readForm } from '../forms.ts'
import {
  attempt,
  changeThenBack,
  errorFromQuery,
  type PortalContext,
  portalRun,
  seeOther,
  signedIn,
} from '../run.ts'

export const scheduling = { module: 'scheduling' } as const
const DAY = /^\d{4}-\d{2}-\d{2}$/
const ID = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{20}$`)
/** More than any one business books in a week; the list is not paged. */
const MOST_SHOWN = 500

/** A local date from the query, kept inside the years the API accepts; else today in `zone`. */
export function dayOf(value: string | undefined, zone: string) {
  return value &&
    DAY.test(value) &&
    value > '0001-01-02' &&
    value < '9999-12-23' &&
    !Number.isNaN(Date.parse(value))
    ? value
    : zonedDate(new Date(), zone)
}

/** Every service and professional of the tenant (for pickers and names). */
const catalogue = async (ctx: ServiceContext) => ({
  services: (await listServices(ctx, { limit: 100 })).data,
  professionals: (await listProfessionals(ctx, { limit: 100 })).data,
})

/** Free times of one local day for a service (one professional, or anyone who performs it). */
async function freeSlots(
  ctx: ServiceContext,
  input: { serviceId: string; professionalId?: string; day: string; timeZone: string },
): Promise<FreeSlot[]> {
  const found = await readAvailability(ctx, {
    serviceId: input.serviceId,
    professionalId: input.professionalId,
    from: input.day,
    to: input.day,
    timeZone: input.timeZone,
  })
  return found.slots
}

const DONE: Record<string, MessageKey> = {
  booked: 'schedule.done.booked',
  moved: 'schedule.done.moved',
  status: 'schedule.done.status',
}

/** `<instant>|<professional>` from a slot radio button. */
const slotField = z
  .string()
  .regex(/^[0-9T:.\-Z]{20,30}\|pro_[0-9a-z]{20}$/)
  .transform((value) => {
    const [instant = '', professionalId = ''] = value.split('|')
    return { startsAt: new Date(instant), professionalId }
  })
  .refine((slot) => !Number.isNaN(slot.startsAt.getTime()))

const newForm = z.object({
  service: z.string().regex(ID('svc')),
  slot: slotField,
  name: z.string().trim().min(1).max(200),
  phone: z.string().trim().min(1).max(40),
  email: z.union([z.literal(''), emailField]),
  notes: z.string().trim().max(2000),
  consent: z.literal('yes').optional(),
})

const appointmentId = (c: PortalContext) => {
  const id = c.req.param('id') ?? ''
  if (!ID('apt').test(id)) throw notFound('appointment')
  return id
}

/** A staff change of the schedule, back to `back` (see `changeThenBack` in run.ts). */
export const changeSchedule = (
  c: PortalContext,
  back: string,
  done: string,
  work: (ctx: ServiceContext) => Promise<unknown>,
) => changeThenBack(c, back, done, work, scheduling)

export function registerPortalSchedule(portal: PortalApp) {
  portal.get('/app/schedule', signedIn('member'), async (c) => {
    const view = c.req.query('view') === 'week' ? 'week' : 'day'
    const professional = c.req.query('professional')
    const professionalId = professional && ID('pro').test(professional) ? professional : null
    const data = await portalRun(
      c,
      async (ctx) => {
        // The days are the viewer's: known once the viewer is loaded, in this transaction.
        const zone = memberTimeZone(c)
        const picked = dayOf(c.req.query('day'), zone)
        // A week starts on Monday, whatever day was picked.
        const weekStart = addDays(picked, -((weekdayOf(picked) + 6) % 7))
        const day = view === 'week' ? weekStart : picked
        const schedule: ScheduleView = {
          view,
          day,
          today: zonedDate(new Date(), zone),
          professionalId,
          timeZone: zone,
        }
        return {
          schedule,
          professionals: (await listProfessionals(ctx, { limit: 100 })).data,
          appointments: (
            await listAppointments(ctx, {
              limit: MOST_SHOWN,
              day,
              days: view === 'week' ? 7 : 1,
              timeZone: zone,
              ...(professionalId ? { professionalId } : {}),
            })
          ).data,
          canBook: can(ctx.principal, 'scheduling.book'),
          canManage: can(ctx.principal, 'scheduling.manage'),
          // The viewed day's week, Monday to Sunday, whichever view is shown.
          stats: await readStats(ctx, { from: weekStart, to: addDays(weekStart, 6), timeZone: zone }),
        }
      },
      scheduling,
    )
    const zone = data.schedule.timeZone
    return c.render(
      <SchedulePage
        stats={data.stats}
        schedule={data.schedule}
        professionals={data.professionals}
        appointments={data.appointments.map((a) => ({ ...a, localDay: zonedDate(a.startsAt, zone) }))}
        canBook={data.canBook}
        canManage={data.canManage}
        notice={DONE[c.req.query('done') ?? '']}
        error={errorFromQuery(c)}
      />,
      { title: c.var.i18n.t('schedule.title') },
    )
  })

  /** The new-appointment form: service, professional and day pick the free times; then the customer. */
  const renderNew = async (
    c: PortalContext,
    query: { service?: string; professional?: string; day?: string },
    form?: FormState,
    status: 200 | 400 | 409 | 422 = 200,
  ) => {
    const serviceId = query.service && ID('svc').test(query.service) ? query.service : undefined
    const professionalId = query.professional && ID('pro').test(query.professional) ? query.professional : ''
    const data = await portalRun(
      c,
      async (ctx) => {
        const zone = memberTimeZone(c)
        const day = dayOf(query.day, zone)
        const { services, professionals } = await catalogue(ctx)
        const slots = serviceId
          ? await freeSlots(ctx, {
              serviceId,
              ...(professionalId ? { professionalId } : {}),
              day,
              timeZone: zone,
            })
          : null
        return { services, professionals, slots, day, zone }
      },
      scheduling,
    )
    c.status(status)
    return c.render(
      <NewAppointmentPage
        services={data.services}
        professionals={data.professionals}
        serviceId={serviceId}
        professionalId={professionalId}
        day={data.day}
        timeZone={data.zone}
        slots={data.slots}
        form={form}
      />,
      { title: c.var.i18n.t('schedule.new') },
    )
  }

  portal.get('/app/schedule/new', signedIn('member'), (c) =>
    renderNew(c, {
      service: c.req.query('service'),
      professional: c.req.query('professional'),
      day: c.req.query('day'),
    }),
  )

  portal.post('/app/schedule/new', signedIn('member'), async (c) => {
    const form = await readForm(c, newForm)
    const values = form.values
    const query = {
      service: one(values, 'service'),
      professional: one(values, 'professional'),
      day: one(values, 'day'),
    }
    const phone = parsePhone(one(values, 'phone'))
    if (!form.ok || !phone.ok) {
      const errors = form.ok ? {} : form.errors
      if (!phone.ok) errors.phone = 'form.invalid'
      return renderNew(c, query, { values, errors, message: 'form.fix' }, 400)
    }
    const input = form.data
    const outcome = await attempt(() =>
      portalRun(
        c,
        (ctx) =>
          createAppointment(ctx, {
            serviceId: input.service,
            professionalId: input.slot.professionalId,
            startsAt: input.slot.startsAt,
            customer: { name: input.name, phone: phone.e164, email: input.email || null },
            remindersConsent: input.consent === 'yes',
            notes: input.notes || null,
            status: 'confirmed',
            source: 'portal',
            timeZone: memberTimeZone(c),
          }),
        scheduling,
      ),
    )
    if (!outcome.ok) {
      if (outcome.error.status === 404 || ['FORBIDDEN', 'MODULE_DISABLED'].includes(outcome.error.code))
        throw outcome.error
      return renderNew(
        c,
        query,
        { values, message: outcome.message },
        outcome.error.status === 409 ? 409 : 422,
      )
    }
    return seeOther(c, `/app/schedule/appointments/${outcome.value.id}?done=booked`)
  })

  portal.get('/app/schedule/appointments/:id', signedIn('member'), async (c) => {
    const id = appointmentId(c)
    const data = await portalRun(
      c,
      async (ctx) => {
        const zone = memberTimeZone(c)
        const appointment = await getAppointment(ctx, id)
        const canBook = can(ctx.principal, 'scheduling.book')
        const asked = c.req.query('day')
        const moveDay = dayOf(asked ?? zonedDate(appointment.startsAt, zone), zone)
        const who = c.req.query('professional')
        const moveProfessionalId =
          who === undefined ? appointment.professionalId : who && ID('pro').test(who) ? who : ''
        // Free times are looked up only once asked for (the finder's GET), not on every visit.
        const slots =
          canBook && asked
            ? await freeSlots(ctx, {
                serviceId: appointment.serviceId,
                ...(moveProfessionalId ? { professionalId: moveProfessionalId } : {}),
                day: moveDay,
                timeZone: zone,
              })
            : null
        const professionals = (await listProfessionals(ctx, { limit: 100 })).data
        return { appointment, canBook, moveDay, moveProfessionalId, slots, professionals, zone }
      },
      scheduling,
    )
    return c.render(
      <AppointmentPage
        appointment={data.appointment}
        professionals={data.professionals}
        timeZone={data.zone}
        canBook={data.canBook}
        now={new Date()}
        moveDay={data.moveDay}
        moveProfessionalId={data.moveProfessionalId}
        slots={data.slots}
        notice={DONE[c.req.query('done') ?? '']}
        error={errorFromQuery(c)}
      />,
      { title: c.var.i18n.t('schedule.title') },
    )
  })

  portal.post('/app/schedule/appointments/:id/reschedule', signedIn('member'), async (c) => {
    const id = appointmentId(c)
    const slot = slotField.safeParse(one(await formValues(c), 'slot'))
    if (!slot.success) return seeOther(c, `/app/schedule/appointments/${id}?error=VALIDATION_FAILED`)
    return changeSchedule(c, `/app/schedule/appointments/${id}`, 'moved', (ctx) =>
      rescheduleAppointment(ctx, id, {
        startsAt: slot.data.startsAt,
        professionalId: slot.data.professionalId,
        timeZone: memberTimeZone(c),
      }),
    )
  })

  portal.post('/app/schedule/appointments/:id/status', signedIn('member'), async (c) => {
    const id = appointmentId(c)
    const status = z
      .enum(['confirmed', 'cancelled', 'done', 'no_show'])
      .safeParse(one(await formValues(c), 'status'))
    if (!status.success) return seeOther(c, `/app/schedule/appointments/${id}?error=VALIDATION_FAILED`)
    return changeSchedule(c, `/app/schedule/appointments/${id}`, 'status', (ctx) =>
      setAppointmentStatus(ctx, id, { status: status.data }),
    )
  })
}
