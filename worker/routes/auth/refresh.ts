import { z } from 'zod'
import type { App } from '../../env.ts'
import { describe } from '../../openapi/registry.ts'
import { refresh } from '../../services/auth/refresh.ts'
import { validate } from '../../validator.ts'
import { tokenPairResponse } from './login.ts'

export const refreshBody = z.object({ refresh_token: z.string().min(10).max(200) })

export function registerRefresh(app: App) {
  /** Rotating refresh: a new pair; the presented token stops working. */
  app.post(
    '/api/v1/auth/refresh',
    describe({
      summary: 'Exchange a refresh token for a new pair',
      responses: {
        200: {
          description: 'A new pair; the presented refresh token stops working.',
          schema: tokenPairResponse,
        },
      },
    }),
    validate('json', refreshBody),
    async (c) => {
      const pair = await refresh(c.var.caller.services, c.var.caller.meta, c.req.valid('json').refresh_token)
      return c.json(pair satisfies z.output<typeof tokenPairResponse>, 200, { 'Cache-Control': 'no-store' })
    },
  )
}
