import { eachDay, unixSeconds } from '../http.ts'
import { form, refreshedTokens } from '../oauth.ts'
import {
  type CollectResult,
  type Connector,
  ConnectorError,
  type PlatformHttp,
  type Point,
} from '../types.ts'
import { tiktokCatalog, USER_METRICS, VIDEO_METRICS } from './catalog.ts'

/*
 * Calls per run: validate 1 (user info); collect 1 user info call when the window reaches today,
 * plus one `/v2/video/list/` page per 20 videos back to the window's start, at most MAX_VIDEO_PAGES;
 * refresh 1.
 */

/** 200 videos per window (30 days): beyond that the oldest days are reported as not collected. */
export const MAX_VIDEO_PAGES = 10
const PAGE_SIZE = 20
/** Limits are 600 requests per minute in a sliding window per endpoint, with no reset header. */
const THROTTLE_SECONDS = 60
/** The access token's lifetime when a refresh answer leaves out `expires_in`. */
const TOKEN_LIFETIME_SECONDS = 86_400

const USER_FIELDS = ['open_id', 'display_name', ...Object.values(USER_METRICS)].join(',')
const VIDEO_FIELDS = ['id', 'create_time', ...Object.values(VIDEO_METRICS)].join(',')

type TikTokError = { code?: string; message?: string; log_id?: string }
type Video = { id: string; create_time?: number } & Partial<Record<string, number | string>>
type User = { open_id?: string; display_name?: string } & Partial<Record<string, number | string>>

/**
 * Every answer carries `error.code` ('ok' on success): access_token_invalid / scope_not_authorized
 * → token_invalid (the user must reconnect); rate_limit_exceeded or 429 → throttled; 5xx →
 * transient; anything else permanent.
 */
async function tiktokCall<T>(http: PlatformHttp, path: string, token: string, body?: unknown): Promise<T> {
  const response = await http.fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const parsed = (await response.json().catch(() => ({}))) as { data?: T; error?: TikTokError }
  const code = parsed.error?.code
  if (response.ok && (!code || code === 'ok') && parsed.data) return parsed.data
  const reason = `${code ?? `HTTP ${response.status}`}: ${parsed.error?.message || 'no detail'}`
  if (code === 'access_token_invalid' || code === 'scope_not_authorized' || response.status === 401) {
    throw new ConnectorError('token_invalid', `TikTok rejected the token (${reason})`, { platformCode: code })
  }
  if (code === 'rate_limit_exceeded' || response.status === 429) {
    throw new ConnectorError('throttled', `rate limited by TikTok (${reason})`, {
      platformCode: code,
      retryAfterSeconds: THROTTLE_SECONDS,
    })
  }
  if (response.status >= 500)
    throw new ConnectorError('transient', `TikTok error ${response.status}`, { platformCode: code })
  throw new ConnectorError('permanent', `TikTok refused the request (${reason})`, { platformCode: code })
}

const readUser = (http: PlatformHttp, token: string) =>
  tiktokCall<{ user?: User }>(http, `v2/user/info/?fields=${USER_FIELDS}`, token).then(
    (data) => data.user ?? {},
  )

/**
 * Videos created in [from, to]. The list runs newest first and its cursor is a time in ms ("videos
 * before this"), so paging starts at the end of the window and stops once past its start.
 */
async function readVideos(http: PlatformHttp, from: string, to: string, token: string) {
  const start = unixSeconds(from)
  const end = unixSeconds(to) + 86_400
  const videos: Video[] = []
  let cursor = end * 1000
  let pages = 0
  let hasMore = true
  let pastStart = false
  while (hasMore && !pastStart && pages < MAX_VIDEO_PAGES) {
    const data = await tiktokCall<{ videos?: Video[]; cursor?: number; has_more?: boolean }>(
      http,
      `v2/video/list/?fields=${VIDEO_FIELDS}`,
      token,
      { max_count: PAGE_SIZE, cursor },
    )
    pages++
    for (const video of data.videos ?? []) {
      const created = video.create_time ?? 0
      if (created < start) pastStart = true
      else if (created < end) videos.push(video)
    }
    // A cursor that does not move back would page forever.
    hasMore = Boolean(data.has_more) && typeof data.cursor === 'number' && data.cursor < cursor
    cursor = data.cursor ?? cursor
  }
  return { videos, truncated: hasMore && !pastStart }
}

const dayOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10)

export const tiktok: Connector = {
  platform: 'tiktok',
  catalog: tiktokCatalog,
  maxWindowDays: 30,
  // Access tokens live 24 hours (2 hours in TikTok's newest docs): the expiry comes from expires_in.
  refreshLeadSeconds: 60 * 60,

  async validate(http, tokens, externalAccountId) {
    const user = await readUser(http, tokens.accessToken)
    if (user.open_id !== externalAccountId) {
      throw new ConnectorError(
        'permanent',
        `the token belongs to TikTok account ${user.open_id ?? 'unknown'}, not ${externalAccountId}`,
      )
    }
    return { externalAccountId: user.open_id, displayName: user.display_name ?? user.open_id }
  },

  async collect(http, tokens, { from, to }) {
    const failedMetrics: CollectResult['failedMetrics'] = []
    const points: Point[] = []
    const today = new Date().toISOString().slice(0, 10)

    const { videos, truncated } = await readVideos(http, from, to, tokens.accessToken)
    let days = eachDay(from, to).filter((day) => day <= today)
    if (truncated) {
      // The oldest day reached was read only in part, and older ones not at all.
      const oldest = dayOf(
        Math.min(...videos.map((v) => v.create_time ?? Number.POSITIVE_INFINITY), unixSeconds(to)),
      )
      days = days.filter((day) => day > oldest)
      const reason = `over ${MAX_VIDEO_PAGES * PAGE_SIZE} videos in ${from}..${to}: days up to ${oldest} not collected`
      for (const metric of ['videos', ...Object.keys(VIDEO_METRICS)]) failedMetrics.push({ metric, reason })
    }
    // A field TikTok stopped returning is recorded and left out; the others still arrive.
    const gone = (field: string) => videos.length > 0 && !videos.some((v) => typeof v[field] === 'number')
    const returned = Object.entries(VIDEO_METRICS).filter(([, field]) => !gone(field))
    for (const [metric, field] of Object.entries(VIDEO_METRICS)) {
      if (gone(field) && !truncated)
        failedMetrics.push({ metric, reason: `TikTok no longer returns ${field}` })
    }
    // Every day of the window gets a value, zero included: a deleted video must stop counting.
    const sums = new Map(days.map((day) => [day, { videos: 0 } as Record<string, number>]))
    for (const video of videos) {
      const row = sums.get(dayOf(video.create_time ?? 0))
      if (!row) continue
      row.videos = (row.videos ?? 0) + 1
      for (const [metric, field] of returned) {
        const value = video[field]
        row[metric] = (row[metric] ?? 0) + (typeof value === 'number' ? value : 0)
      }
    }
    for (const [day, row] of sums) {
      for (const metric of ['videos', ...returned.map(([metric]) => metric)]) {
        points.push({ metric, granularity: 'day', periodStart: day, value: row[metric] ?? 0 })
      }
    }

    // Follower counts exist only as current values: snapshot them for today.
    if (to >= today) {
      const user = await readUser(http, tokens.accessToken)
      for (const [metric, field] of Object.entries(USER_METRICS)) {
        const value = user[field]
        if (typeof value === 'number')
          points.push({ metric, granularity: 'lifetime', periodStart: today, value })
        else failedMetrics.push({ metric, reason: `TikTok no longer returns ${field}` })
      }
    }
    return { points, failedMetrics }
  },

  async refresh(http, tokens, app) {
    if (!tokens.refreshToken) throw new ConnectorError('token_invalid', 'no TikTok refresh token is stored')
    if (!app.clientId || !app.clientSecret)
      throw new ConnectorError('permanent', 'the TikTok app client key or secret is not configured')
    const response = await http.fetch(
      'v2/oauth/token/',
      form({
        client_key: app.clientId,
        client_secret: app.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: tokens.refreshToken,
      }),
    )
    return refreshedTokens('TikTok', response, {
      retryAfterSeconds: THROTTLE_SECONDS,
      lifetimeSeconds: TOKEN_LIFETIME_SECONDS,
      unauthorized: 'token',
    })
  },
}
