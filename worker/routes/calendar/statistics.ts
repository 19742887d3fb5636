import { z } from 'zod'
import { dateField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { calendarStatistics } from '../../services/calendar/statistics.ts'
import { validate } from '../../validator.ts'
import { idOf } from './fields.ts'

const MAX_PERIOD_DAYS = 731

const monthBounds = (today: Date) => {
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1))
  const last = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 0))
  return { from: first.toISOString().slice(0, 10), to: last.toISOString().slice(0, 10) }
}

/** Nights `from`..`to`, both inclusive; the current UTC month by default; two years at most. */
export const statisticsQuery = z
  .object({ from: dateField.optional(), to: dateField.optional(), property_id: idOf('prp').optional() })
  .refine((q) => !q.from === !q.to, { message: 'send from and to together', path: ['to'] })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be before from', path: ['to'] })
  .refine((q) => !q.from || !q.to || (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < MAX_PERIOD_DAYS, {
    message: `the period is at most ${MAX_PERIOD_DAYS} days`,
    path: ['to'],
  })

export function registerCalendarStatistics(app: App) {
  app.get(
    '/api/v1/calendar/statistics',
    authenticate,
    permit('calendar.read', { module: 'calendar' }),
    validate('query', statisticsQuery),
    async (c) => {
      const q = c.req.valid('query')
      const period = q.from && q.to ? { from: q.from, to: q.to } : monthBounds(new Date())
      const stats = await c.var.caller.run(
        (ctx) => calendarStatistics(ctx, { ...period, propertyId: q.property_id }),
        {
          module: 'calendar',
        },
      )
      return c.json(snake(stats))
    },
  )
}
