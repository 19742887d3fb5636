import type { App } from '../../app.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { validateWithPlatform } from '../../services/connections/connections.ts'
import { getForReconnect, reconnectConnection } from '../../services/connections/reconnect.ts'
import { runAs } from '../../services/context.ts'
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
    validate('param', connectionParam),
    validate('json', reconnectBody),
    async (c) => {
      const id = c.req.valid('param').id
      const body = c.req.valid('json')
      const current = await runAs(c, (ctx) => getForReconnect(ctx, id), { module: 'metrics' })
      await validateWithPlatform(c.get('services').config, {
        platform: current.platform,
        externalAccountId: current.externalAccountId,
        accessToken: body.access_token,
      })
      const connection = await runAs(
        c,
        (ctx) =>
          reconnectConnection(ctx, id, {
            accessToken: body.access_token,
            refreshToken: body.refresh_token,
            expiresAt: body.expires_at ? new Date(body.expires_at) : undefined,
          }),
        { module: 'metrics' },
      )
      return c.json(snake(connection))
    },
  )
}
