import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { completeOAuth } from '../../services/connections/oauth/connect.ts'
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
      const outcome = await completeOAuth(c.var.caller, c.req.valid('param').platform, c.req.valid('query'))
      if (outcome.kind === 'selection') return c.json(snake(outcome.selection))
      const { created, reconnected } = outcome
      return c.json(snake({ created, reconnected }), created.length > 0 ? 201 : 200)
    },
  )
}
