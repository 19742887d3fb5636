import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { BUCKETS, readSeries } from '../../services/metrics/series.ts'
import { validate } from '../../validator.ts'
import { checkPreviousPeriod, filterFields, toFilters } from './query.ts'
import { seriesResponse } from './responses.ts'

export const seriesQuery = z
  .object({
    ...filterFields,
    granularity: z.enum(BUCKETS).default('day'),
    compare: z.enum(['previous_period']).optional(),
  })
  .transform(toFilters)
  .superRefine((query, ctx) => {
    if (query.compare) checkPreviousPeriod(query, ctx)
  })

export function registerMetricsSeries(app: App) {
  /** Chart-ready series per connection and metric, bucketed by day, week or month, with an optional comparison. */
  app.get(
    '/api/v1/metrics',
    describe({
      summary: 'Chart-ready series, with an optional previous-period comparison',
      responses: {
        200: { description: 'One series per connection and metric with data.', schema: seriesResponse },
      },
    }),
    authenticate,
    permit('metrics.read', { module: 'metrics' }),
    validate('query', seriesQuery),
    async (c) => {
      const query = c.req.valid('query')
      const result = await c.var.caller.run(
        (ctx) => readSeries(ctx, { ...query, compare: query.compare === 'previous_period' }),
        { module: 'metrics' },
      )
      return c.json(snake(result) satisfies z.output<typeof seriesResponse>)
    },
  )
}
