import { z } from 'zod'
import { PLATFORMS } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { startOAuth } from '../../services/connections/oauth/start.ts'
import { validate } from '../../validator.ts'

export const oauthPlatformParam = z.object({ platform: z.enum(PLATFORMS) })

export function registerConnectionOAuthStart(app: App) {
  /**
   * The platform's authorization page for the signed-in person, with a signed state valid for 10
   * minutes (and PKCE for X and TikTok). The platform sends the browser back to
   * `/oauth/callback/<platform>` on `OAUTH_REDIRECT_BASE`, or on this request's origin.
   */
  app.get(
    '/api/v1/connections/oauth/:platform/start',
    authenticate,
    permit(['connections.manage', 'person'], { module: 'metrics' }),
    validate('param', oauthPlatformParam),
    async (c) => {
      const { platform } = c.req.valid('param')
      const base = c.var.caller.services.config.OAUTH_REDIRECT_BASE ?? new URL(c.req.url).origin
      const redirectUri = `${base.replace(/\/+$/, '')}/oauth/callback/${platform}`
      const started = await c.var.caller.run((ctx) => startOAuth(ctx, { platform, redirectUri }), {
        module: 'metrics',
      })
      c.header('Cache-Control', 'no-store')
      return c.json(snake(started))
    },
  )
}
