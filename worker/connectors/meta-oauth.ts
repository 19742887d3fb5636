import { GRAPH_VERSION, metaError } from './meta.ts'
import {
  type ExchangeInput,
  expiresIn,
  type OAuthApp,
  type OAuthPlatform,
  readTokenAnswer,
  requireToken,
} from './oauth.ts'
import type { PlatformHttp } from './types.ts'

/** Facebook Login, shared by the Facebook and WhatsApp adapters (and Graph's token calls by Instagram's). */

/** At most this many calls per exchange (code, long-lived token, account listing pages). */
export const EXCHANGE_BUDGET = 8

/** A Graph token call (GET, parameters in the query): the grant, or the Graph error classified. */
export async function graphToken(
  http: PlatformHttp,
  platform: string,
  path: string,
  params: Record<string, string>,
) {
  const response = await http.fetch(`${path}?${new URLSearchParams(params)}`)
  if (!response.ok) throw await metaError(response)
  return requireToken(platform, (await readTokenAnswer(response)).grant)
}

/**
 * The code buys a short-lived user token (about an hour); it is traded at once for a long-lived
 * one (about 60 days), from which page tokens that do not expire are made.
 */
export async function metaUserToken(http: PlatformHttp, app: OAuthApp, input: ExchangeInput) {
  const path = `${GRAPH_VERSION}/oauth/access_token`
  const short = await graphToken(http, 'Meta', path, {
    client_id: app.clientId,
    client_secret: app.clientSecret,
    redirect_uri: input.redirectUri,
    code: input.code,
  })
  const long = await graphToken(http, 'Meta', path, {
    grant_type: 'fb_exchange_token',
    client_id: app.clientId,
    client_secret: app.clientSecret,
    fb_exchange_token: short.access_token,
  })
  return { accessToken: long.access_token, expiresAt: expiresIn(long.expires_in) }
}

export const metaAuthorizeParams =
  (scope: string): OAuthPlatform['authorizeParams'] =>
  ({ app, redirectUri, state }) => ({
    client_id: app.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state,
  })
