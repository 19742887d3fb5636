import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { listPoints } from '../../services/metrics/points.ts'
import { validate } from '../../validator.ts'
import { filterFields, toFilters } from './query.ts'
import { pointsResponse } from './responses.ts'

export const pointsQuery = z
  .object({
    ...filterFields,
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(400).optional(),
  })
  .transform(toFilters)

export function registerMetricsPoints(app: App) {
  /** The raw points in key order, with a keyset cursor that concurrent collection cannot disturb. */
  app.get(
    '/api/v1/metrics/points',
    describe({
      summary: 'Raw points, paginated with a cursor',
      responses: { 200: { description: 'One page, in key order.', schema: pointsResponse } },
    }),
    authenticate,
    permit('metrics.read', { module: 'metrics' }),
    validate('query', pointsQuery),
    async (c) => {
      const page = await c.var.caller.run((ctx) => listPoints(ctx, c.req.valid('query')), {
        module: 'metrics',
      })
      return c.json(snake(page) satisfies z.output<typeof pointsResponse>)
    },
  )
}
