import type { Platform } from '../../../db/schema/index.ts'
import type { Config } from '../../config.ts'
import { platformHttp } from '../../connectors/http.ts'
import { httpFor } from '../../connectors/index.ts'
import { GRAPH_VERSION, graphGet, metaError } from '../../connectors/meta.ts'
import { ConnectorError, type PlatformHttp, type Tokens } from '../../connectors/types.ts'

/**
 * What each platform's OAuth 2.0 authorization-code flow looks like: the authorization page's
 * parameters, the code exchange, and the accounts one login grants. Everything here speaks the
 * platforms' documented shapes; failures are ConnectorErrors, classified like the connectors'.
 */

export type OAuthApp = { clientId: string; clientSecret: string }
export type GrantedAccount = { externalAccountId: string; name: string; tokens: Tokens }
export type ExchangeInput = { code: string; redirectUri: string; codeVerifier: string | null }

export type OAuthPlatform = {
  /**
   * `one`: a login is one account (X, TikTok, Instagram Login), connected at once. `many`: a
   * Facebook Login grants several pages or WhatsApp business accounts, and the person picks.
   */
  grants: 'one' | 'many'
  /** PKCE (S256) where the platform documents it for this flow. */
  pkce: boolean
  authUrl: (config: Config) => string
  authorizeParams(input: {
    app: OAuthApp
    redirectUri: string
    state: string
    codeChallenge: string | null
  }): Record<string, string>
  exchange(config: Config, app: OAuthApp, input: ExchangeInput): Promise<GrantedAccount[]>
}

/** At most this many calls per exchange (code, long-lived token, account listing pages). */
const EXCHANGE_BUDGET = 8
/** Pages of `/me/accounts` followed at most (100 pages each). */
const MAX_ACCOUNT_PAGES = 5

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields),
})

const expiresIn = (seconds: number | undefined) =>
  typeof seconds === 'number' && seconds > 0 ? new Date(Date.now() + seconds * 1000) : null

/**
 * An OAuth error answer (`{error, error_description}` and the platforms' variations): 5xx and 429
 * are worth retrying, anything else means this authorization cannot be completed.
 */
async function oauthError(platform: string, response: Response): Promise<ConnectorError> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>
  const code = [body.error, body.error_type, body.code].find((v) => typeof v === 'string') as
    | string
    | undefined
  const detail = [body.error_description, body.error_message].find((v) => typeof v === 'string') as
    | string
    | undefined
  const reason = `${platform} refused the authorization code (${code ?? response.status}${detail ? `: ${detail.slice(0, 200)}` : ''})`
  if (response.status === 429) return new ConnectorError('throttled', reason, { retryAfterSeconds: 60 })
  if (response.status >= 500) return new ConnectorError('transient', reason)
  return new ConnectorError('permanent', reason, { platformCode: code })
}

/** A token answer without its token is as good as a refusal. */
function requireToken<T extends { access_token?: string }>(
  platform: string,
  body: T,
): T & { access_token: string } {
  if (!body.access_token)
    throw new ConnectorError('permanent', `${platform} answered without an access token`)
  return body as T & { access_token: string }
}

// --- Meta (Facebook Login: Facebook pages, WhatsApp business accounts) ----------------------------

type MetaToken = { access_token?: string; token_type?: string; expires_in?: number }

async function metaToken(http: PlatformHttp, params: Record<string, string>): Promise<MetaToken> {
  const response = await http.fetch(`${GRAPH_VERSION}/oauth/access_token?${new URLSearchParams(params)}`)
  if (!response.ok) throw await metaError(response)
  return requireToken('Meta', (await response.json()) as MetaToken)
}

/**
 * The code buys a short-lived user token (about an hour); it is traded at once for a long-lived
 * one (about 60 days), from which page tokens that do not expire are made.
 */
async function metaUserToken(http: PlatformHttp, app: OAuthApp, input: ExchangeInput) {
  const short = await metaToken(http, {
    client_id: app.clientId,
    client_secret: app.clientSecret,
    redirect_uri: input.redirectUri,
    code: input.code,
  })
  const long = await metaToken(http, {
    grant_type: 'fb_exchange_token',
    client_id: app.clientId,
    client_secret: app.clientSecret,
    fb_exchange_token: short.access_token as string,
  })
  return { accessToken: long.access_token as string, expiresAt: expiresIn(long.expires_in) }
}

const metaAuthorizeParams =
  (scope: string): OAuthPlatform['authorizeParams'] =>
  ({ app, redirectUri, state }) => ({
    client_id: app.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state,
  })

const facebook: OAuthPlatform = {
  grants: 'many',
  pkce: false,
  authUrl: (config) => config.FACEBOOK_AUTH_URL,
  authorizeParams: metaAuthorizeParams('pages_show_list,pages_read_engagement,read_insights'),
  /** The pages the person manages, each with its own page token (what the connector uses). */
  async exchange(config, app, input) {
    const http = httpFor(config, 'facebook', { budget: EXCHANGE_BUDGET })
    const user = await metaUserToken(http, app, input)
    const pages: GrantedAccount[] = []
    let after: string | undefined
    for (let page = 0; page < MAX_ACCOUNT_PAGES; page++) {
      const body = await graphGet<{
        data?: { id: string; name?: string; access_token?: string }[]
        paging?: { cursors?: { after?: string }; next?: string }
      }>(
        http,
        'me/accounts',
        { fields: 'id,name,access_token', limit: '100', ...(after ? { after } : {}) },
        user.accessToken,
      )
      for (const { id, name, access_token } of body.data ?? []) {
        // A page listed without a token is one the person cannot act for: nothing to collect with.
        if (access_token)
          pages.push({ externalAccountId: id, name: name ?? id, tokens: { accessToken: access_token } })
      }
      after = body.paging?.next ? body.paging.cursors?.after : undefined
      if (!after) break
    }
    return pages
  },
}

const whatsapp: OAuthPlatform = {
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

// --- Instagram Login --------------------------------------------------------------------------------

type ShortToken = { access_token?: string; user_id?: string }

/**
 * Instagram Login, the login whose tokens graph.instagram.com (the Instagram connector) accepts:
 * one professional account per login. The code is exchanged on api.instagram.com for a 1-hour
 * token, traded at once for a 60-day one that the connector refreshes.
 */
const instagram: OAuthPlatform = {
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
    if (!response.ok) throw await oauthError('Instagram', response)
    // Account ids exceed 2^53: read `user_id` as text whether it comes quoted or as a bare number.
    const text = (await response.text()).replace(/("user_id"\s*:\s*)(\d+)/g, '$1"$2"')
    const parsed = JSON.parse(text) as { data?: ShortToken[] } & ShortToken
    const short = requireToken('Instagram', parsed.data?.[0] ?? parsed)
    if (!short.user_id) throw new ConnectorError('permanent', 'Instagram answered without the account id')

    const http = httpFor(config, 'instagram', { budget: 1 })
    const query = new URLSearchParams({
      grant_type: 'ig_exchange_token',
      client_secret: app.clientSecret,
      access_token: short.access_token,
    })
    const long = await http.fetch(`access_token?${query}`)
    if (!long.ok) throw await metaError(long)
    const body = requireToken('Instagram', (await long.json()) as MetaToken)
    return [
      {
        externalAccountId: short.user_id,
        name: short.user_id,
        tokens: { accessToken: body.access_token, expiresAt: expiresIn(body.expires_in) },
      },
    ]
  },
}

// --- X and TikTok (PKCE) ----------------------------------------------------------------------------

type CodeGrant = {
  access_token?: string
  refresh_token?: string
  expires_in?: number
  open_id?: string
}

const x: OAuthPlatform = {
  grants: 'one',
  pkce: true,
  authUrl: (config) => config.X_AUTH_URL,
  authorizeParams: ({ app, redirectUri, state, codeChallenge }) => ({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: redirectUri,
    // offline.access is what makes X send a refresh token (access tokens live 2 hours).
    scope: 'tweet.read users.read offline.access',
    state,
    code_challenge: codeChallenge ?? '',
    code_challenge_method: 'S256',
  }),
  /** A confidential client: Basic authentication with the app secret, plus the PKCE verifier. */
  async exchange(config, app, input) {
    const http = httpFor(config, 'x', { budget: 2 })
    const request = form({
      code: input.code,
      grant_type: 'authorization_code',
      redirect_uri: input.redirectUri,
      code_verifier: input.codeVerifier ?? '',
      client_id: app.clientId,
    })
    const response = await http.fetch('2/oauth2/token', {
      ...request,
      headers: { ...request.headers, authorization: `Basic ${btoa(`${app.clientId}:${app.clientSecret}`)}` },
    })
    if (!response.ok) throw await oauthError('X', response)
    const grant = requireToken('X', (await response.json()) as CodeGrant)
    // The token response does not say whose it is: one user read (billed once a day per user).
    const me = await http.fetch('2/users/me', { headers: { authorization: `Bearer ${grant.access_token}` } })
    if (!me.ok) throw await oauthError('X', me)
    const user = ((await me.json()) as { data?: { id?: string; username?: string } }).data
    if (!user?.id) throw new ConnectorError('permanent', 'X did not say which account authorized')
    return [
      {
        externalAccountId: user.id,
        name: user.username ? `@${user.username}` : user.id,
        tokens: {
          accessToken: grant.access_token,
          refreshToken: grant.refresh_token ?? null,
          expiresAt: expiresIn(grant.expires_in ?? 7200),
        },
      },
    ]
  },
}

const tiktok: OAuthPlatform = {
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
    const body = (await response
      .clone()
      .json()
      .catch(() => ({}))) as CodeGrant & { error?: string }
    // TikTok may answer 200 with an `error` member instead of tokens.
    if (!response.ok || body.error) throw await oauthError('TikTok', response)
    const grant = requireToken('TikTok', body)
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

export const oauthPlatforms: Record<Platform, OAuthPlatform> = { instagram, facebook, x, tiktok, whatsapp }
