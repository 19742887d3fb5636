import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { reconnectWithToken } from '../../services/connections/reconnect.ts'
import { validate } from '../../validator.ts'
import { registerConnectionBody } from './collection.ts'
import { connectionParam } from './item.ts'

export const reconnectBody = registerConnectionBody.pick({
  access_token: true,
  refresh_token: true,
  expires_at: true,
})

export function registerConnectionReconnect(app: App) {
  /** New tokens for an existing connection, checked with the platform first; keeps the refresh token if none is sent. */
  app.post(
    '/api/v1/connections/:id/reconnect',
    authenticate,
    permit('connections.manage', { module: 'metrics' }),
    validate('param', connectionParam),
    validate('json', reconnectBody),
    async (c) => {
      const body = c.req.valid('json')
      const connection = await reconnectWithToken(c.var.caller, c.req.valid('param').id, {
        accessToken: body.access_token,
        refreshToken: body.refresh_token,
        expiresAt: body.expires_at ? new Date(body.expires_at) : undefined,
      })
      return c.json(snake(connection))
    },
  )
}
