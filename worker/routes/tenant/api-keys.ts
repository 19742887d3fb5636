import { z } from 'zod'
import type { App } from '../../env.ts'
import { idParam, type Page, pageQuery, type Snake, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { createApiKey, listApiKeys, revokeApiKey } from '../../services/tenant/api-keys.ts'
import { validate } from '../../validator.ts'

export const createApiKeyBody = z.object({
  name: z.string().trim().min(1).max(100),
  role: z.enum(['admin', 'analyst', 'viewer']),
})

export type ApiKeyResponse = Snake<Awaited<ReturnType<typeof listApiKeys>>['data'][number]>

/**
 * Machine credentials of the tenant, managed by signed-in owners and admins (never by another
 * API key). The secret is shown once, in the create response, and never stored in clear.
 */
export function registerApiKeys(app: App) {
  app.post(
    '/api/v1/api-keys',
    authenticate,
    permit('api_keys.manage'),
    validate('json', createApiKeyBody),
    async (c) => {
      const key = await c.var.caller.run((ctx) => createApiKey(ctx, c.req.valid('json')))
      return c.json(snake(key), 201, { 'Cache-Control': 'no-store' })
    },
  )

  app.get(
    '/api/v1/api-keys',
    authenticate,
    permit('api_keys.manage'),
    validate('query', pageQuery),
    async (c) => {
      const page = await c.var.caller.run((ctx) => listApiKeys(ctx, c.req.valid('query')))
      return c.json({ data: snake(page.data), next_cursor: page.nextCursor } satisfies Page<ApiKeyResponse>)
    },
  )

  app.delete(
    '/api/v1/api-keys/:id',
    authenticate,
    permit('api_keys.manage'),
    validate('param', idParam('key')),
    async (c) => {
      await c.var.caller.run((ctx) => revokeApiKey(ctx, c.req.valid('param').id))
      return c.body(null, 204)
    },
  )
}
