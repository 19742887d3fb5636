import { z } from 'zod'
import type { App } from '../../app.ts'
import { ApiError } from '../../errors.ts'
import { snake } from '../../http.ts'
import {
  connectGrantedAccounts,
  consumeOAuthState,
  createSelection,
  exchangeAuthorization,
  oauthStateRefused,
} from '../../services/connections/oauth.ts'
import { oauthPlatforms } from '../../services/connections/oauth-platforms.ts'
import { verifyOAuthState } from '../../services/connections/oauth-state.ts'
import { runAs } from '../../services/context.ts'
import { validate } from '../../validator.ts'
import { oauthPlatformParam } from '../connections/oauth-start.ts'

export const callbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().min(1).max(2048).optional(),
  error: z.string().max(100).optional(),
})

export function registerOAuthCallback(app: App) {
  /**
   * Where the platform sends the browser back. No bearer token: the signed state names the tenant,
   * the person and their session (confirmed live, as for any request), and its server-side row
   * can be used once. One-account platforms are connected here; a Facebook Login answers the
   * accounts it granted as a selection to pick from.
   */
  app.get(
    '/oauth/callback/:platform',
    validate('param', oauthPlatformParam),
    validate('query', callbackQuery),
    async (c) => {
      // The code is in this URL: neither caches nor the next page's Referer may keep it.
      c.header('Cache-Control', 'no-store')
      c.header('Referrer-Policy', 'no-referrer')
      const { platform } = c.req.valid('param')
      const query = c.req.valid('query')
      if (query.error) {
        // The state is left alone: pressing back and accepting within its 10 minutes still works.
        // The platform's free text (error_description) is not echoed.
        throw query.error === 'access_denied'
          ? new ApiError(400, 'OAUTH_DENIED', `Access was not granted on ${platform}; nothing was connected.`)
          : new ApiError(
              400,
              'OAUTH_FAILED',
              `${platform} did not complete the authorization; nothing was connected.`,
            )
      }
      const config = c.get('services').config
      const claims = query.state
        ? await verifyOAuthState(query.state, platform, config.JWT_SIGNING_KEYS)
        : null
      if (!claims || !query.code) throw oauthStateRefused()
      // The state stands in for the bearer token: the service runner confirms its session.
      c.set('credential', {
        kind: 'token',
        principal: {
          kind: 'member',
          id: claims.userId,
          sessionId: claims.sessionId,
          role: claims.role,
          tenantId: claims.tenantId,
        },
      })
      const { codeVerifier, redirectUri } = await runAs(c, (ctx) => consumeOAuthState(ctx, claims), {
        module: 'metrics',
      })
      const code = query.code
      const granted = await exchangeAuthorization(config, platform, { code, redirectUri, codeVerifier })
      if (oauthPlatforms[platform].grants === 'many') {
        const selection = await runAs(c, (ctx) => createSelection(ctx, platform, granted), {
          module: 'metrics',
        })
        return c.json(snake(selection))
      }
      const result = await connectGrantedAccounts(c, platform, granted)
      return c.json(snake(result), result.created.length > 0 ? 201 : 200)
    },
  )
}
