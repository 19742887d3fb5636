import { z } from 'zod'
import { BOOKING_STATUSES } from '../../../db/schema/index.ts'
import { dateField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  createBooking,
  deleteBooking,
  getBooking,
  listBookings,
  updateBooking,
} from '../../services/calendar/bookings.ts'
import { validate } from '../../validator.ts'
import { idOf } from './fields.ts'

/** A stay of at most a year; check-out is exclusive (the morning the guest leaves). */
const nightsOk = (body: { check_in?: string; check_out?: string }) =>
  !body.check_in || !body.check_out || body.check_out > body.check_in
const withinAYear = (body: { check_in?: string; check_out?: string }) =>
  !body.check_in ||
  !body.check_out ||
  Date.parse(body.check_out) - Date.parse(body.check_in) <= 366 * 86_400_000
const datesRules = {
  order: { message: 'must be after check_in', path: ['check_out'] },
  year: { message: 'a stay is at most 366 nights', path: ['check_out'] },
}

export const bookingBody = z
  .object({
    property_id: idOf('prp'),
    check_in: dateField,
    check_out: dateField,
    status: z.enum(['confirmed', 'blocked']).default('confirmed'),
    guest_name: z.string().trim().min(1).max(200).nullable().optional(),
    notes: z.string().trim().max(2000).nullable().optional(),
  })
  .refine(nightsOk, datesRules.order)
  .refine(withinAYear, datesRules.year)
export const updateBookingBody = z
  .object({
    check_in: dateField.optional(),
    check_out: dateField.optional(),
    status: z.enum(BOOKING_STATUSES).optional(),
    guest_name: z.string().trim().min(1).max(200).nullable().optional(),
    notes: z.string().trim().max(2000).nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'send at least one field')
  .refine(nightsOk, datesRules.order)
  .refine(withinAYear, datesRules.year)
const listQuery = pageQuery.extend({
  property_id: idOf('prp').optional(),
  /** A `src_…` id, or `manual` for bookings entered by hand. */
  source_id: z.union([idOf('src'), z.literal('manual')]).optional(),
  status: z.enum(BOOKING_STATUSES).optional(),
  from: dateField.optional(),
  to: dateField.optional(),
})
const bookingParam = idParam('bkg')
const calendar = { module: 'calendar' } as const

export function registerCalendarBookings(app: App) {
  const base = '/api/v1/calendar/bookings'

  app.get(base, authenticate, permit('calendar.read', calendar), validate('query', listQuery), async (c) => {
    const q = c.req.valid('query')
    const page = await c.var.caller.run(
      (ctx) =>
        listBookings(ctx, {
          limit: q.limit,
          cursor: q.cursor,
          propertyId: q.property_id,
          sourceId: q.source_id,
          status: q.status,
          from: q.from,
          to: q.to,
        }),
      calendar,
    )
    return c.json(snake(page))
  })

  /** A manual stay or block; 201 with the booking and the open conflicts it is part of. */
  app.post(
    base,
    authenticate,
    permit('calendar.manage', calendar),
    validate('json', bookingBody),
    async (c) => {
      const body = c.req.valid('json')
      const created = await c.var.caller.run(
        (ctx) =>
          createBooking(ctx, {
            propertyId: body.property_id,
            checkIn: body.check_in,
            checkOut: body.check_out,
            status: body.status,
            guestName: body.guest_name,
            notes: body.notes,
          }),
        calendar,
      )
      return c.json(snake(created), 201)
    },
  )

  app.get(
    `${base}/:id`,
    authenticate,
    permit('calendar.read', calendar),
    validate('param', bookingParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => getBooking(ctx, c.req.valid('param').id), calendar))),
  )

  /** Manual bookings only (409 BOOKING_FROM_FEED otherwise); `status: cancelled` cancels. */
  app.patch(
    `${base}/:id`,
    authenticate,
    permit('calendar.manage', calendar),
    validate('param', bookingParam),
    validate('json', updateBookingBody),
    async (c) => {
      const body = c.req.valid('json')
      const updated = await c.var.caller.run(
        (ctx) =>
          updateBooking(ctx, c.req.valid('param').id, {
            checkIn: body.check_in,
            checkOut: body.check_out,
            status: body.status,
            guestName: body.guest_name,
            notes: body.notes,
          }),
        calendar,
      )
      return c.json(snake(updated))
    },
  )

  app.delete(
    `${base}/:id`,
    authenticate,
    permit('calendar.manage', calendar),
    validate('param', bookingParam),
    async (c) => {
      await c.var.caller.run((ctx) => deleteBooking(ctx, c.req.valid('param').id), calendar)
      return c.body(null, 204)
    },
  )
}
