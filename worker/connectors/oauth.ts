import type { Config } from '../config.ts'
import { ConnectorError, type Tokens } from './types.ts'

/**
 * What each platform's OAuth 2.0 authorization-code flow looks like (the adapters live next to
 * their connectors, `<platform>/oauth.ts`), and the one reading of a token endpoint's answer that
 * the code exchanges and the connectors' refreshes share. Failures are ConnectorErrors.
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

/** The members of a grant the adapters and refreshes read (`open_id`: TikTok, `user_id`: Instagram). */
export type Grant = {
  access_token?: string
  refresh_token?: string
  expires_in?: unknown
  open_id?: string
  user_id?: string
}

/** A token endpoint's answer, read once. */
export type TokenAnswer = {
  status: number
  /** The grant, when the answer is a 2xx without an `error` member (TikTok refuses with a 200). */
  grant: Grant | null
  /** The refusal's code and description, from whichever members the platform uses. */
  code?: string
  detail?: string
}

/** A token request: POST, form-encoded (RFC 6749 §4.1.3, §6). */
export const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields),
})

/** Client authentication with the app secret (HTTP Basic, RFC 6749 §2.3.1). */
export const basicAuth = (app: OAuthApp) => ({
  authorization: `Basic ${btoa(`${app.clientId}:${app.clientSecret}`)}`,
})

/**
 * When a token stops working: `expires_in` seconds from now (a number, or digits as text), else
 * the platform's documented lifetime when there is one, else unknown (null).
 */
export function expiresIn(seconds: unknown, lifetimeSeconds?: number): Date | null {
  const value = typeof seconds === 'string' && seconds.trim() !== '' ? Number(seconds) : seconds
  const usable = typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : lifetimeSeconds
  return usable === undefined ? null : new Date(Date.now() + usable * 1000)
}

const text = (...values: unknown[]) => values.find((v): v is string => typeof v === 'string')

/**
 * Reads a token endpoint's answer once; a body that is not a JSON object reads as empty. Instagram
 * wraps its grant in `data: [grant]` and sends account ids past 2^53, so `user_id` is read as text
 * whether it comes quoted or as a bare number.
 */
export async function readTokenAnswer(response: Response): Promise<TokenAnswer> {
  const raw = await response.text().catch(() => '')
  let body: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(raw.replace(/("user_id"\s*:\s*)(\d+)/g, '$1"$2"'))
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>
  } catch {}
  const code = text(body.error, body.error_type, body.code)
  const detail = text(body.error_description, body.error_message)
  if (!response.ok || body.error) return { status: response.status, grant: null, code, detail }
  const first = Array.isArray(body.data) ? (body.data[0] as unknown) : body
  const fields = (first && typeof first === 'object' ? first : {}) as Record<string, unknown>
  return {
    status: response.status,
    grant: {
      access_token: text(fields.access_token),
      refresh_token: text(fields.refresh_token),
      expires_in: fields.expires_in,
      open_id: text(fields.open_id),
      user_id: text(fields.user_id),
    },
  }
}

/** A token answer without its token is as good as a refusal. */
export function requireToken(platform: string, grant: Grant | null): Grant & { access_token: string } {
  if (!grant?.access_token)
    throw new ConnectorError('permanent', `${platform} answered without an access token`)
  return grant as Grant & { access_token: string }
}

/**
 * A refused authorization code: 5xx and 429 are worth retrying, anything else means this
 * authorization cannot be completed.
 */
export function oauthError(platform: string, answer: TokenAnswer): ConnectorError {
  const { status, code, detail } = answer
  const reason = `${platform} refused the authorization code (${code ?? status}${detail ? `: ${detail.slice(0, 200)}` : ''})`
  if (status === 429) return new ConnectorError('throttled', reason, { retryAfterSeconds: 60 })
  if (status >= 500) return new ConnectorError('transient', reason)
  return new ConnectorError('permanent', reason, { platformCode: code })
}

/** The grant a code exchange answered, or its refusal classified by {@link oauthError}. */
export async function codeGrant(platform: string, response: Response) {
  const answer = await readTokenAnswer(response)
  if (!answer.grant) throw oauthError(platform, answer)
  return requireToken(platform, answer.grant)
}

type RefreshOptions = {
  /** The wait a 429 asks for. */
  retryAfterSeconds: number
  /** The access token's documented lifetime, when the answer gives none. */
  lifetimeSeconds: number
  /**
   * What a 401 refuses: `client` where the app authenticates with Basic (X), `token` where the
   * platform answers a dead refresh token with it (TikTok).
   */
  unauthorized: 'client' | 'token'
}

/**
 * A refused refresh: 429 → throttled, 5xx → transient; refused app credentials → permanent (ours
 * to fix: reconnecting the account would not help); anything else → token_invalid (reconnect).
 */
export function refreshError(platform: string, answer: TokenAnswer, options: RefreshOptions): ConnectorError {
  const { status, code } = answer
  const reason = `${platform} token refresh failed (${code ?? status}: ${answer.detail ?? 'no detail'})`
  if (status === 429)
    return new ConnectorError('throttled', reason, { retryAfterSeconds: options.retryAfterSeconds })
  if (status >= 500) return new ConnectorError('transient', reason)
  if (
    (status === 401 && options.unauthorized === 'client') ||
    code === 'invalid_client' ||
    code === 'unauthorized_client'
  )
    return new ConnectorError('permanent', reason, { platformCode: code })
  return new ConnectorError('token_invalid', reason, { platformCode: code })
}

/**
 * The tokens a refresh answered, or its refusal classified by {@link refreshError}. The refresh
 * token that comes back replaces the one just used (X and TikTok rotate them; the old one dies).
 */
export async function refreshedTokens(
  platform: string,
  response: Response,
  options: RefreshOptions,
): Promise<Tokens> {
  const answer = await readTokenAnswer(response)
  const grant = answer.grant
  if (!grant?.access_token) throw refreshError(platform, answer, options)
  return {
    accessToken: grant.access_token,
    refreshToken: grant.refresh_token ?? null,
    expiresAt: expiresIn(grant.expires_in, options.lifetimeSeconds),
  }
}
