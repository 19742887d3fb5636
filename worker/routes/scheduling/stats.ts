import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { MAX_STATS_DAYS, readStats } from '../../services/scheduling/stats.ts'
import { validate } from '../../validator.ts'
import { dayField, scheduling, viewerZone } from './fields.ts'

export const statsQuery = z
  .object({
    from: dayField,
    to: dayField,
    /** The zone `from`/`to` are dates of (and the per-day counts are grouped in). */
    time_zone: viewerZone,
  })
  .refine((q) => q.to >= q.from, { message: 'must not be before from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) < MAX_STATS_DAYS * 86_400_000, {
    message: `at most ${MAX_STATS_DAYS} days`,
    path: ['to'],
  })

export function registerSchedulingStats(app: App) {
  /** Counts by status and day, no-show rate, occupancy per professional, revenue per service. */
  app.get(
    '/api/v1/scheduling/stats',
    describe({ summary: 'Statistics: appointments by status and day, no-shows, occupancy, revenue' }),
    authenticate,
    permit('scheduling.read', scheduling),
    validate('query', statsQuery),
    async (c) => {
      const q = c.req.valid('query')
      const stats = await c.var.caller.run(
        (ctx) => readStats(ctx, { from: q.from, to: q.to, timeZone: q.time_zone }),
        scheduling,
      )
      return c.json(snake(stats))
    },
  )
}
