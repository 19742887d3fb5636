import { httpFor } from '../http.ts'
import { codeGrant, expiresIn, form, type OAuthPlatform } from '../oauth.ts'
import { ConnectorError } from '../types.ts'

/** Login Kit with PKCE; the connector refreshes with the same token endpoint. */
export const tiktokOAuth: OAuthPlatform = {
  grants: 'one',
  pkce: true,
  authUrl: (config) => config.TIKTOK_AUTH_URL,
  authorizeParams: ({ app, redirectUri, state, codeChallenge }) => ({
    client_key: app.clientId,
    response_type: 'code',
    scope: 'user.info.basic,user.info.stats,video.list',
    redirect_uri: redirectUri,
    state,
    code_challenge: codeChallenge ?? '',
    code_challenge_method: 'S256',
  }),
  /** The token answer names the account (`open_id`): no profile call needed here. */
  async exchange(config, app, input) {
    const http = httpFor(config, 'tiktok', { budget: 1 })
    const response = await http.fetch(
      'v2/oauth/token/',
      form({
        client_key: app.clientId,
        client_secret: app.clientSecret,
        code: input.code,
        grant_type: 'authorization_code',
        redirect_uri: input.redirectUri,
        code_verifier: input.codeVerifier ?? '',
      }),
    )
    const grant = await codeGrant('TikTok', response)
    if (!grant.open_id) throw new ConnectorError('permanent', 'TikTok answered without the account id')
    return [
      {
        externalAccountId: grant.open_id,
        name: grant.open_id,
        tokens: {
          accessToken: grant.access_token,
          refreshToken: grant.refresh_token ?? null,
          expiresAt: expiresIn(grant.expires_in),
        },
      },
    ]
  },
}
