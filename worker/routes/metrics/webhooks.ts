import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { readWebhookCounters } from '../../services/metrics/webhook-counters.ts'
import { validate } from '../../validator.ts'
import { filterFields, toFilters } from './query.ts'
import { webhookCountersResponse } from './responses.ts'

const { metric: _, ...webhookFields } = filterFields
export const webhookCountersQuery = z.object(webhookFields).transform(toFilters)

export function registerMetricsWebhooks(app: App) {
  /** What the Meta webhooks counted per day: WhatsApp message statuses, Instagram comments and mentions. */
  app.get(
    '/api/v1/metrics/webhooks',
    describe({
      summary: 'Daily counts from Meta webhooks (WhatsApp statuses, Instagram comments and mentions)',
      description:
        'Counted from the webhooks Meta sends (see `PUT /api/v1/webhooks/meta/settings`), each event once however often it is delivered. Period as the other reads (default the last 30 days, at most 731).',
      responses: {
        200: { description: 'One row per day and counter, in order.', schema: webhookCountersResponse },
      },
    }),
    authenticate,
    permit('metrics.read', { module: 'metrics' }),
    validate('query', webhookCountersQuery),
    async (c) => {
      const counters = await c.var.caller.run((ctx) => readWebhookCounters(ctx, c.req.valid('query')), {
        module: 'metrics',
      })
      return c.json(snake(counters) satisfies z.output<typeof webhookCountersResponse>)
    },
  )
}
