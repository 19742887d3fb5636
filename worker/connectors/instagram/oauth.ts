import { httpFor, platformHttp } from '../http.ts'
import { graphToken } from '../meta-oauth.ts'
import { codeGrant, expiresIn, form, type OAuthPlatform } from '../oauth.ts'
import { ConnectorError } from '../types.ts'

/**
 * Instagram Login, the login whose tokens graph.instagram.com (the Instagram connector) accepts:
 * one professional account per login. The code is exchanged on api.instagram.com for a 1-hour
 * token, traded at once for a 60-day one that the connector refreshes.
 */
export const instagramOAuth: OAuthPlatform = {
  grants: 'one',
  pkce: false,
  authUrl: (config) => config.INSTAGRAM_AUTH_URL,
  authorizeParams: ({ app, redirectUri, state }) => ({
    client_id: app.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'instagram_business_basic,instagram_business_manage_insights',
    state,
  }),
  async exchange(config, app, input) {
    const tokenUrl = new URL(config.INSTAGRAM_TOKEN_URL)
    const codeHttp = platformHttp({ baseUrl: tokenUrl.origin, budget: 1 })
    const response = await codeHttp.fetch(
      tokenUrl.pathname.slice(1),
      form({
        client_id: app.clientId,
        client_secret: app.clientSecret,
        grant_type: 'authorization_code',
        redirect_uri: input.redirectUri,
        code: input.code,
      }),
    )
    const short = await codeGrant('Instagram', response)
    if (!short.user_id) throw new ConnectorError('permanent', 'Instagram answered without the account id')

    const long = await graphToken(httpFor(config, 'instagram', { budget: 1 }), 'Instagram', 'access_token', {
      grant_type: 'ig_exchange_token',
      client_secret: app.clientSecret,
      access_token: short.access_token,
    })
    return [
      {
        externalAccountId: short.user_id,
        name: short.user_id,
        tokens: { accessToken: long.access_token, expiresAt: expiresIn(long.expires_in) },
      },
    ]
  },
}
