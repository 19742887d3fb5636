import { z } from 'zod'
import type { App } from '../../env.ts'
import { idParam, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  deleteConnection,
  getConnection,
  listRuns,
  requestCollection,
  updateConnection,
} from '../../services/connections/connections.ts'
import { validate } from '../../validator.ts'

export const connectionParam = idParam('con')
export const updateConnectionBody = z
  .object({
    label: z.string().trim().min(1).max(100).nullable().optional(),
    status: z.enum(['active', 'paused']).optional(),
  })
  .refine((body) => body.label !== undefined || body.status !== undefined, 'send label and/or status')
export const deleteConnectionQuery = z.object({
  purge_metrics: z.enum(['true', 'false'], {
    error: 'say explicitly whether to purge the collected metrics: true or false',
  }),
})

export function registerConnectionItem(app: App) {
  const base = '/api/v1/connections/:id'

  app.get(
    base,
    describe({ summary: 'Read a connection', responses: { 200: { description: 'The connection.' } } }),
    authenticate,
    permit('connections.read', { module: 'metrics' }),
    validate('param', connectionParam),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run((ctx) => getConnection(ctx, c.req.valid('param').id), { module: 'metrics' }),
        ),
      ),
  )

  /** Pause, resume and relabel. */
  app.patch(
    base,
    describe({
      summary: 'Pause, resume or relabel a connection',
      responses: { 200: { description: 'The connection.' } },
    }),
    authenticate,
    permit('connections.manage', { module: 'metrics' }),
    validate('param', connectionParam),
    validate('json', updateConnectionBody),
    async (c) => {
      const connection = await c.var.caller.run(
        (ctx) => updateConnection(ctx, c.req.valid('param').id, c.req.valid('json')),
        {
          module: 'metrics',
        },
      )
      return c.json(snake(connection))
    },
  )

  /** Removes the tokens and stops collection; `purge_metrics` must say what happens to the history. */
  app.delete(
    base,
    describe({
      summary: 'Delete a connection (tokens removed; history purged or kept as asked)',
      responses: { 204: { description: 'Deleted.' } },
    }),
    authenticate,
    permit('connections.manage', { module: 'metrics' }),
    validate('param', connectionParam),
    validate('query', deleteConnectionQuery),
    async (c) => {
      const purgeMetrics = c.req.valid('query').purge_metrics === 'true'
      await c.var.caller.run((ctx) => deleteConnection(ctx, c.req.valid('param').id, { purgeMetrics }), {
        module: 'metrics',
      })
      return c.body(null, 204)
    },
  )

  /** "Collect now" (rate limited per connection). */
  app.post(
    `${base}/collect`,
    authenticate,
    permit('connections.manage', { module: 'metrics' }),
    validate('param', connectionParam),
    async (c) => {
      const result = await c.var.caller.run((ctx) => requestCollection(ctx, c.req.valid('param').id), {
        module: 'metrics',
      })
      return c.json(result, 202)
    },
  )

  app.get(
    `${base}/runs`,
    authenticate,
    permit('connections.read', { module: 'metrics' }),
    validate('param', connectionParam),
    async (c) =>
      c.json({
        data: snake(
          await c.var.caller.run((ctx) => listRuns(ctx, c.req.valid('param').id), { module: 'metrics' }),
        ),
      }),
  )
}
