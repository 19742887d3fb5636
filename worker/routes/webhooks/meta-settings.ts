import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  getMetaWebhookSettings,
  saveMetaWebhookSettings,
} from '../../services/meta-webhooks/meta-settings.ts'
import { validate } from '../../validator.ts'

/** Visible ASCII only: both values travel in URLs and headers Meta builds, never with spaces. */
export const metaWebhookSettingsBody = z.object({
  app_secret: z.string().regex(/^[\x21-\x7e]{16,256}$/, 'must be 16 to 256 visible ASCII characters'),
  verify_token: z.string().regex(/^[\x21-\x7e]{8,256}$/, 'must be 8 to 256 visible ASCII characters'),
})

export function registerMetaWebhookSettings(app: App) {
  const path = '/api/v1/webhooks/meta/settings'

  /** Whether the secrets are set and the callback URL to register with Meta; never the secrets. */
  app.get(path, authenticate, async (c) => {
    const origin = new URL(c.req.url).origin
    return c.json(
      snake(await c.var.caller.run((ctx) => getMetaWebhookSettings(ctx, { origin }), { module: 'metrics' })),
    )
  })

  /** Sets (or replaces) the tenant's Meta app secret and verify token. Owners and admins. */
  app.put(
    path,
    authenticate,
    permit('connections.manage', { module: 'metrics' }),
    validate('json', metaWebhookSettingsBody),
    async (c) => {
      const body = c.req.valid('json')
      const origin = new URL(c.req.url).origin
      const settings = await c.var.caller.run(
        (ctx) =>
          saveMetaWebhookSettings(ctx, {
            appSecret: body.app_secret,
            verifyToken: body.verify_token,
            origin,
          }),
        { module: 'metrics' },
      )
      return c.json(snake(settings))
    },
  )
}
