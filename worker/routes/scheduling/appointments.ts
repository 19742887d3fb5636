import { z } from 'zod'
import { APPOINTMENT_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { emailField, idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { phoneField } from '../../services/customers/phone.ts'
import {
  createAppointment,
  getAppointment,
  listAppointments,
  rescheduleAppointment,
  setAppointmentStatus,
} from '../../services/scheduling/appointments.ts'
import { validate } from '../../validator.ts'
import { dayField, idOf, instantField, scheduling, viewerZone } from './fields.ts'

export const appointmentBody = z.object({
  service_id: idOf('svc'),
  /** Absent: any professional who performs the service and is free then. */
  professional_id: idOf('pro').optional(),
  starts_at: instantField,
  customer: z
    .object({
      name: z.string().trim().min(1).max(200),
      phone: phoneField.optional(),
      email: emailField.optional(),
    })
    .refine((customer) => customer.phone || customer.email, {
      message: 'a phone or an e-mail is needed',
      path: ['phone'],
    }),
  reminders_consent: z.boolean().optional(),
  notes: z.string().trim().max(2000).nullable().optional(),
  status: z.enum(['pending', 'confirmed']).default('confirmed'),
  /** For the alternatives' labels when the slot is taken. */
  time_zone: viewerZone,
})
const rescheduleBody = z.object({
  starts_at: instantField,
  professional_id: idOf('pro').optional(),
  time_zone: viewerZone,
})
const statusBody = z.object({
  status: z.enum(['confirmed', 'cancelled', 'done', 'no_show']),
  reason: z.string().trim().max(500).nullable().optional(),
})
const listQuery = pageQuery.extend({
  /** A day in `time_zone`: the appointments starting on it. */
  day: dayField.optional(),
  time_zone: viewerZone,
  professional_id: idOf('pro').optional(),
  status: z.enum(APPOINTMENT_STATUSES).optional(),
})
const appointmentParam = idParam('apt')

export function registerSchedulingAppointments(app: App) {
  const base = '/api/v1/scheduling/appointments'

  app.get(
    base,
    describe({ summary: 'Appointments by start time (keyset pages), of a day, professional or status' }),
    authenticate,
    permit('scheduling.read', scheduling),
    validate('query', listQuery),
    async (c) => {
      const q = c.req.valid('query')
      const page = await c.var.caller.run(
        (ctx) =>
          listAppointments(ctx, {
            limit: q.limit,
            cursor: q.cursor,
            day: q.day,
            timeZone: q.time_zone,
            professionalId: q.professional_id,
            status: q.status,
          }),
        scheduling,
      )
      return c.json(snake(page))
    },
  )

  app.post(
    base,
    describe({
      summary: 'Books an appointment; 409 SLOT_TAKEN with `details.next_slots` when the time is taken',
      description:
        'Postgres refuses an overlap with any pending or confirmed appointment of the professional (buffers included), also between concurrent requests: exactly one of them gets the slot.',
    }),
    authenticate,
    permit('scheduling.book', scheduling),
    validate('json', appointmentBody),
    async (c) => {
      const body = c.req.valid('json')
      const created = await c.var.caller.run(
        (ctx) =>
          createAppointment(ctx, {
            serviceId: body.service_id,
            professionalId: body.professional_id,
            startsAt: body.starts_at,
            customer: body.customer,
            remindersConsent: body.reminders_consent,
            notes: body.notes,
            status: body.status,
            source: c.var.caller.credential?.kind === 'api_key' ? 'api' : 'portal',
            timeZone: body.time_zone,
          }),
        scheduling,
      )
      return c.json(snake(created), 201)
    },
  )

  app.get(
    `${base}/:id`,
    authenticate,
    permit('scheduling.read', scheduling),
    validate('param', appointmentParam),
    async (c) =>
      c.json(
        snake(await c.var.caller.run((ctx) => getAppointment(ctx, c.req.valid('param').id), scheduling)),
      ),
  )

  app.post(
    `${base}/:id/reschedule`,
    describe({ summary: 'Moves a pending or confirmed appointment (same conflict rules as booking)' }),
    authenticate,
    permit('scheduling.book', scheduling),
    validate('param', appointmentParam),
    validate('json', rescheduleBody),
    async (c) => {
      const body = c.req.valid('json')
      const moved = await c.var.caller.run(
        (ctx) =>
          rescheduleAppointment(ctx, c.req.valid('param').id, {
            startsAt: body.starts_at,
            professionalId: body.professional_id,
            timeZone: body.time_zone,
          }),
        scheduling,
      )
      return c.json(snake(moved))
    },
  )

  app.post(
    `${base}/:id/status`,
    describe({
      summary: 'Confirms, cancels, or closes (done, no-show) an appointment',
      description:
        'pending → confirmed | cancelled; confirmed → done | no_show | cancelled (done and no_show once started).',
    }),
    authenticate,
    permit('scheduling.book', scheduling),
    validate('param', appointmentParam),
    validate('json', statusBody),
    async (c) => {
      const changed = await c.var.caller.run(
        (ctx) => setAppointmentStatus(ctx, c.req.valid('param').id, c.req.valid('json')),
        scheduling,
      )
      return c.json(snake(changed))
    },
  )
}
