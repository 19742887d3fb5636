import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { readSummary } from '../../services/metrics/summary.ts'
import { validate } from '../../validator.ts'
import { checkPreviousPeriod, filterFields, toFilters } from './query.ts'
import { summaryResponse } from './responses.ts'

const { metric: _, ...summaryFields } = filterFields
export const summaryQuery = z.object(summaryFields).transform(toFilters).superRefine(checkPreviousPeriod)

export function registerMetricsSummary(app: App) {
  /** KPI cards per connection for a period (default the last 30 days), each with the previous period. */
  app.get(
    '/api/v1/metrics/summary',
    describe({
      summary: 'KPI cards per connection, with the previous period',
      responses: { 200: { description: 'One card set per connection.', schema: summaryResponse } },
    }),
    authenticate,
    permit('metrics.read', { module: 'metrics' }),
    validate('query', summaryQuery),
    async (c) => {
      const summary = await c.var.caller.run((ctx) => readSummary(ctx, c.req.valid('query')), {
        module: 'metrics',
      })
      return c.json(snake(summary) satisfies z.output<typeof summaryResponse>)
    },
  )
}
