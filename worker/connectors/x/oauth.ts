import { httpFor } from '../http.ts'
import {
  basicAuth,
  codeGrant,
  expiresIn,
  form,
  type OAuthPlatform,
  oauthError,
  readTokenAnswer,
} from '../oauth.ts'
import { ConnectorError } from '../types.ts'

/** X's access tokens live 2 hours. */
export const X_TOKEN_LIFETIME_SECONDS = 7200

/** OAuth 2.0 with PKCE; the connector refreshes with the same token endpoint. */
export const xOAuth: OAuthPlatform = {
  grants: 'one',
  pkce: true,
  authUrl: (config) => config.X_AUTH_URL,
  authorizeParams: ({ app, redirectUri, state, codeChallenge }) => ({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: redirectUri,
    // offline.access is what makes X send a refresh token.
    scope: 'tweet.read users.read offline.access',
    state,
    code_challenge: codeChallenge ?? '',
    code_challenge_method: 'S256',
  }),
  /** A confidential client: Basic authentication with the app secret, plus the PKCE verifier. */
  async exchange(config, app, input) {
    const http = httpFor(config, 'x', { budget: 2 })
    const response = await http.fetch(
      '2/oauth2/token',
      form(
        {
          code: input.code,
          grant_type: 'authorization_code',
          redirect_uri: input.redirectUri,
          code_verifier: input.codeVerifier ?? '',
          client_id: app.clientId,
        },
        basicAuth(app),
      ),
    )
    const grant = await codeGrant('X', response)
    // The token response does not say whose it is: one user read (billed once a day per user).
    const me = await http.fetch('2/users/me', { headers: { authorization: `Bearer ${grant.access_token}` } })
    // A refusal here is classified like the code's own: the authorization cannot be completed.
    if (!me.ok) throw oauthError('X', await readTokenAnswer(me))
    const user = ((await me.json()) as { data?: { id?: string; username?: string } }).data
    if (!user?.id) throw new ConnectorError('permanent', 'X did not say which account authorized')
    return [
      {
        externalAccountId: user.id,
        name: user.username ? `@${user.username}` : user.id,
        tokens: {
          accessToken: grant.access_token,
          refreshToken: grant.refresh_token ?? null,
          expiresAt: expiresIn(grant.expires_in, X_TOKEN_LIFETIME_SECONDS),
        },
      },
    ]
  },
}
