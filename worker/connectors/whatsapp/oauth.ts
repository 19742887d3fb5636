import { httpFor } from '../http.ts'
import { graphGet } from '../meta.ts'
import { EXCHANGE_BUDGET, metaAuthorizeParams, metaUserToken } from '../meta-oauth.ts'
import type { OAuthPlatform } from '../oauth.ts'

/** Facebook Login for WhatsApp: one login grants business accounts, and the person picks. */
export const whatsappOAuth: OAuthPlatform = {
  grants: 'many',
  pkce: false,
  authUrl: (config) => config.WHATSAPP_AUTH_URL,
  authorizeParams: metaAuthorizeParams('whatsapp_business_management'),
  /**
   * The WhatsApp business accounts the login granted are the targets of its
   * `whatsapp_business_management` scope (`debug_token`, read with the app token); their names
   * come in one multi-id read. Each connection keeps the long-lived user token.
   */
  async exchange(config, app, input) {
    const http = httpFor(config, 'whatsapp', { budget: EXCHANGE_BUDGET })
    const user = await metaUserToken(http, app, input)
    const debug = await graphGet<{
      data?: { granular_scopes?: { scope: string; target_ids?: string[] }[] }
    }>(http, 'debug_token', { input_token: user.accessToken }, `${app.clientId}|${app.clientSecret}`)
    const ids = [
      ...new Set(
        (debug.data?.granular_scopes ?? [])
          .filter((grant) => grant.scope === 'whatsapp_business_management')
          .flatMap((grant) => grant.target_ids ?? []),
      ),
    ]
    if (ids.length === 0) return []
    const nodes = await graphGet<Record<string, { id: string; name?: string }>>(
      http,
      '',
      { ids: ids.join(','), fields: 'id,name' },
      user.accessToken,
    )
    return ids.map((id) => ({ externalAccountId: id, name: nodes[id]?.name ?? id, tokens: user }))
  },
}
