import { z } from 'zod'
import { CONFLICT_SEVERITIES, CONFLICT_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { pageQuery } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { listConflicts } from '../../services/calendar/conflicts.ts'
import { validate } from '../../validator.ts'
import { idOf } from './fields.ts'

export const conflictsQuery = pageQuery.extend({
  property_id: idOf('prp').optional(),
  status: z.enum(CONFLICT_STATUSES).optional(),
  severity: z.enum(CONFLICT_SEVERITIES).optional(),
})

export function registerCalendarConflicts(app: App) {
  /** Conflicts newest first, each with both bookings (channel, dates, status). */
  app.get(
    '/api/v1/calendar/conflicts',
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
      return c.json(page)
    },
  )
}
