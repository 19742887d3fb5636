import { eachDay } from '../http.ts'
import { basicAuth, form, refreshedTokens } from '../oauth.ts'
import {
  type CollectResult,
  type Connector,
  ConnectorError,
  type PlatformHttp,
  type Point,
} from '../types.ts'
import { POST_METRICS, USER_METRICS, xCatalog } from './catalog.ts'
import { X_TOKEN_LIFETIME_SECONDS } from './oauth.ts'

/*
 * Calls per run. X bills reads, not requests (about $0.010 per user, $0.005 per post; a resource
 * read again in the same UTC day is billed once):
 * - validate: 1 user read (GET /2/users/me).
 * - collect: 1 user read (GET /2/users/:id) only when the window reaches today, so backfill windows
 *   (which end yesterday) make none; plus one page of up to 100 posts per call
 *   (GET /2/users/:id/tweets, reposts excluded so they are not bought), at most MAX_POST_PAGES.
 *   A scheduled run (today and the 3 days before) is 2 calls for an account posting under 100
 *   times in 4 days: hourly runs cost one user read a day, and each post is billed on each of the
 *   up to 4 UTC days it falls in a scheduled window.
 * - refresh: 1 token call about every 2 hours (no resource read).
 */

/** 1,000 posts per window; X serves only an account's 3,200 most recent posts anyway. */
export const MAX_POST_PAGES = 10
const PAGE_SIZE = 100
/** X's rate-limit windows last 15 minutes: the wait when a 429 comes without `x-rate-limit-reset`. */
const WINDOW_SECONDS = 15 * 60

type XErrorBody = {
  title?: string
  detail?: string
  errors?: { code?: number; message?: string; detail?: string }[]
}
type XUser = { id: string; name?: string; username?: string; public_metrics?: Record<string, number> }
type XPost = { id: string; created_at?: string; public_metrics?: Record<string, number> }

/** Seconds until `x-rate-limit-reset` (Unix seconds), at least 1. */
export function xRetryAfterSeconds(response: Response, now = Date.now()): number {
  const reset = Number(response.headers.get('x-rate-limit-reset'))
  if (!Number.isFinite(reset) || reset <= 0) return WINDOW_SECONDS
  return Math.max(1, Math.ceil(reset - now / 1000))
}

/** 401 → token_invalid; 429 or code 88 → throttled until the window resets; 5xx → transient. */
async function xError(response: Response): Promise<ConnectorError> {
  const body = (await response.json().catch(() => ({}))) as XErrorBody
  const first = body.errors?.[0]
  const detail = body.detail ?? first?.message ?? first?.detail ?? body.title ?? `HTTP ${response.status}`
  const platformCode = String(first?.code ?? response.status)
  if (response.status === 401)
    return new ConnectorError('token_invalid', `X rejected the token (${detail})`, { platformCode })
  if (response.status === 429 || body.errors?.some((e) => e.code === 88)) {
    return new ConnectorError('throttled', `rate limited by X (${detail})`, {
      platformCode,
      retryAfterSeconds: xRetryAfterSeconds(response),
    })
  }
  if (response.status >= 500)
    return new ConnectorError('transient', `X error ${response.status}`, { platformCode })
  return new ConnectorError('permanent', `X refused the request (${detail})`, { platformCode })
}

async function xGet<T>(http: PlatformHttp, path: string, params: Record<string, string>, token: string) {
  const response = await http.fetch(`2/${path}?${new URLSearchParams(params)}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  if (!response.ok) throw await xError(response)
  return (await response.json()) as T
}

/** A user lookup; X answers 200 with only `errors` for a suspended or unknown account. */
async function readUser(http: PlatformHttp, path: string, token: string): Promise<XUser> {
  const body = await xGet<{ data?: XUser } & XErrorBody>(
    http,
    path,
    { 'user.fields': 'public_metrics' },
    token,
  )
  if (!body.data) {
    throw new ConnectorError(
      'permanent',
      `X did not return the account (${body.errors?.[0]?.detail ?? 'no data'})`,
    )
  }
  return body.data
}

/** X wants second precision; `end_time` kept 10 s in the past, which its search endpoints require. */
const xTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** The account's own posts (reposts excluded) created in [from, to], newest first, page by page. */
async function readPosts(http: PlatformHttp, userId: string, from: string, to: string, token: string) {
  const start = Date.parse(`${from}T00:00:00Z`)
  const end = Math.min(Date.parse(`${to}T23:59:59Z`), Date.now() - 10_000)
  const posts: XPost[] = []
  let next: string | undefined
  let pages = 0
  if (end < start) return { posts, truncated: false }
  do {
    const body = await xGet<{ data?: XPost[]; meta?: { next_token?: string } }>(
      http,
      `users/${encodeURIComponent(userId)}/tweets`,
      {
        start_time: xTime(start),
        end_time: xTime(end),
        max_results: String(PAGE_SIZE),
        exclude: 'retweets',
        'tweet.fields': 'public_metrics,created_at',
        ...(next ? { pagination_token: next } : {}),
      },
      token,
    )
    posts.push(...(body.data ?? []))
    next = body.meta?.next_token
    pages++
  } while (next && pages < MAX_POST_PAGES)
  return { posts, truncated: Boolean(next) }
}

export const x: Connector = {
  platform: 'x',
  catalog: xCatalog,
  maxWindowDays: 30,
  // Access tokens live 2 hours.
  refreshLeadSeconds: 10 * 60,

  async validate(http, tokens, externalAccountId) {
    // `me` proves the token belongs to the account being registered, not just to someone.
    const user = await readUser(http, 'users/me', tokens.accessToken)
    if (user.id !== externalAccountId) {
      throw new ConnectorError(
        'permanent',
        `the token belongs to X account ${user.id}, not ${externalAccountId}`,
      )
    }
    return {
      externalAccountId: user.id,
      displayName: user.username ? `@${user.username}` : (user.name ?? user.id),
    }
  },

  async collect(http, tokens, { externalAccountId, from, to }) {
    const failedMetrics: CollectResult['failedMetrics'] = []
    const points: Point[] = []
    const today = new Date().toISOString().slice(0, 10)

    const { posts, truncated } = await readPosts(http, externalAccountId, from, to, tokens.accessToken)
    let days = eachDay(from, to).filter((day) => day <= today)
    if (truncated) {
      // The oldest day reached was read only in part, and older ones not at all.
      const oldest = posts.reduce((min, p) => (p.created_at && p.created_at < min ? p.created_at : min), to)
      const oldestDay = oldest.slice(0, 10)
      days = days.filter((day) => day > oldestDay)
      const reason = `over ${MAX_POST_PAGES * PAGE_SIZE} posts in ${from}..${to}: days up to ${oldestDay} not collected`
      for (const metric of ['posts', ...Object.keys(POST_METRICS)]) failedMetrics.push({ metric, reason })
    }
    // A metric X stopped returning is recorded and left out; the others still arrive.
    const gone = (key: string) =>
      posts.length > 0 && !posts.some((p) => typeof p.public_metrics?.[key] === 'number')
    const returned = Object.entries(POST_METRICS).filter(([, key]) => !gone(key))
    for (const [metric, key] of Object.entries(POST_METRICS)) {
      if (gone(key) && !truncated)
        failedMetrics.push({ metric, reason: `X no longer returns public_metrics.${key}` })
    }
    // Every day of the window gets a value, zero included: a deleted post must stop counting.
    const sums = new Map(days.map((day) => [day, { posts: 0 } as Record<string, number>]))
    for (const post of posts) {
      const row = post.created_at ? sums.get(post.created_at.slice(0, 10)) : undefined
      if (!row) continue
      row.posts = (row.posts ?? 0) + 1
      for (const [metric, key] of returned)
        row[metric] = (row[metric] ?? 0) + (post.public_metrics?.[key] ?? 0)
    }
    for (const [day, row] of sums) {
      for (const metric of ['posts', ...returned.map(([metric]) => metric)]) {
        points.push({ metric, granularity: 'day', periodStart: day, value: row[metric] ?? 0 })
      }
    }

    // Follower counts exist only as current values: snapshot them for today.
    if (to >= today) {
      const user = await readUser(http, `users/${encodeURIComponent(externalAccountId)}`, tokens.accessToken)
      for (const [metric, key] of Object.entries(USER_METRICS)) {
        const value = user.public_metrics?.[key]
        if (typeof value === 'number')
          points.push({ metric, granularity: 'lifetime', periodStart: today, value })
        else failedMetrics.push({ metric, reason: `X no longer returns public_metrics.${key}` })
      }
    }
    return { points, failedMetrics }
  },

  async refresh(http, tokens, app) {
    if (!tokens.refreshToken) throw new ConnectorError('token_invalid', 'no X refresh token is stored')
    if (!app.clientId) throw new ConnectorError('permanent', 'the X app client id is not configured')
    // Confidential clients authenticate with Basic; public (PKCE-only) clients send client_id alone.
    const response = await http.fetch(
      '2/oauth2/token',
      form(
        { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, client_id: app.clientId },
        app.clientSecret ? basicAuth(app) : {},
      ),
    )
    return refreshedTokens('X', response, {
      retryAfterSeconds: xRetryAfterSeconds(response),
      lifetimeSeconds: X_TOKEN_LIFETIME_SECONDS,
      unauthorized: 'client',
    })
  },
}
