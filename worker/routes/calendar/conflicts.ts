import { z } from 'zod'
import { BOOKING_STATUSES, CONFLICT_SEVERITIES, CONFLICT_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { pageQuery } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { listConflicts } from '../../services/calendar/conflicts.ts'
import { validate } from '../../validator.ts'
import { idOf } from './fields.ts'

export const conflictsQuery = pageQuery.extend({
  property_id: idOf('prp').optional(),
  status: z.enum(CONFLICT_STATUSES).optional(),
  severity: z.enum(CONFLICT_SEVERITIES).optional(),
})

const conflictBooking = z.object({
  id: z.string(),
  channel: z.string(),
  source_id: z.string().nullable(),
  status: z.enum(BOOKING_STATUSES),
  check_in: z.iso.date(),
  check_out: z.iso.date(),
  summary: z.string().nullable(),
})

/** One page of conflicts: `next_cursor`, as on every list. */
export const conflictsPage = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      property_id: z.string(),
      overlap_start: z.iso.date(),
      overlap_end: z.iso.date(),
      severity: z.enum(CONFLICT_SEVERITIES),
      status: z.enum(CONFLICT_STATUSES),
      detected_at: z.iso.datetime(),
      resolved_at: z.iso.datetime().nullable(),
      alerted_at: z.iso.datetime().nullable(),
      bookings: z.array(conflictBooking).meta({ description: 'Both bookings of the overlap.' }),
    }),
  ),
  next_cursor: z
    .string()
    .nullable()
    .meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
})

export function registerCalendarConflicts(app: App) {
  /** Conflicts newest first, each with both bookings (channel, dates, status). */
  app.get(
    '/api/v1/calendar/conflicts',
    describe({
      summary: 'Conflicts newest first, each with both bookings',
      responses: { 200: { description: 'One page, newest first.', schema: conflictsPage } },
    }),
    authenticate,
    permit('calendar.read', { module: 'calendar' }),
    validate('query', conflictsQuery),
    async (c) => {
      const q = c.req.valid('query')
      const page = await c.var.caller.run(
        (ctx) =>
          listConflicts(ctx, {
            propertyId: q.property_id,
            status: q.status,
            severity: q.severity,
            limit: q.limit,
            cursor: q.cursor,
          }),
        { module: 'calendar' },
      )
      return c.json({ data: page.data, next_cursor: page.nextCursor })
    },
  )
}
