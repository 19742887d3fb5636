import { type Context, Hono } from 'hono'
import { followersOn, state, tokenValid, valueFor } from './state.ts'

const logId = () => `2026${crypto.randomUUID().replaceAll('-', '').slice(0, 28).toUpperCase()}`
/** Every TikTok v2 answer carries `error`, with code 'ok' on success. */
const answer = (
  c: Context,
  data: unknown,
  code = 'ok',
  message = '',
  status: 200 | 400 | 401 | 429 | 500 = 200,
) => c.json({ data, error: { code, message, log_id: logId() } }, status)
const bearer = (c: Context) => c.req.header('authorization')?.replace(/^Bearer /i, '') ?? ''
/**
 * TikTok tokens name no user in the request: the fake reads the open_id from its own tokens,
 * `fake-tt.<open_id>.<nonce>` (refresh tokens `fake-ttr.<open_id>.<nonce>`).
 */
const openIdOf = (token: string) => token.split('.')[1] ?? ''
const dayNumber = (day: string) => Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000)

export type FakeVideo = {
  id: string
  /** Unix seconds. */
  create_time: number
  view_count: number
  like_count: number
  comment_count: number
  share_count: number
}

/** Three slots a day keep creation times distinct and the order stable. */
const SLOT_SECONDS = 28_800

/** Videos an account published on a UTC day: 0–3, deterministic, oldest first. */
export function tiktokVideosOn(openId: string, day: string): FakeVideo[] {
  const videos: FakeVideo[] = []
  for (let i = 0; i < valueFor(openId, 'videos', day, 0, 3); i++) {
    const value = (name: string, min: number, max: number) => valueFor(openId, `${name}#${i}`, day, min, max)
    videos.push({
      id: `7${dayNumber(day)}${i}${value('id', 100_000, 999_999)}`,
      create_time: dayNumber(day) * 86_400 + i * SLOT_SECONDS + value('time', 0, SLOT_SECONDS - 1),
      view_count: value('views', 100, 200_000),
      like_count: value('likes', 0, 20_000),
      comment_count: value('comments', 0, 900),
      share_count: value('shares', 0, 1_500),
    })
  }
  return videos
}

/** The account's stats today. */
export function tiktokUserStats(openId: string, day: string) {
  return {
    follower_count: followersOn(openId, day),
    following_count: valueFor(openId, 'following', '0', 20, 1_500),
    likes_count: valueFor(openId, 'likes-base', '0', 10_000, 900_000) + (dayNumber(day) - 20_000) * 40,
    video_count: valueFor(openId, 'videos-base', '0', 30, 600) + Math.floor((dayNumber(day) - 20_000) / 2),
  }
}

const USER_FIELDS = new Set([
  'open_id',
  'union_id',
  'avatar_url',
  'display_name',
  'bio_description',
  'profile_deep_link',
  'is_verified',
  'username',
  'follower_count',
  'following_count',
  'likes_count',
  'video_count',
])
const VIDEO_FIELDS = new Set([
  'id',
  'create_time',
  'title',
  'duration',
  'share_url',
  'view_count',
  'like_count',
  'comment_count',
  'share_count',
])
/** Accounts have no videos before this day. */
const FIRST_DAY = dayNumber('2024-01-01')

/** TikTok Display API (open.tiktokapis.com) in its documented shapes, with OAuth v2 refresh. */
export const fakeTikTok = new Hono()

fakeTikTok.use('*', async (c, next) => {
  state.requests.push({ platform: 'tiktok', path: c.req.path, at: Date.now() })
  if (c.req.path.endsWith('/v2/oauth/token/')) return next()
  const token = bearer(c)
  const scenario = state.scenarios.get(openIdOf(token))
  if (scenario === 'slow') await new Promise((resolve) => setTimeout(resolve, 15_000))
  if (scenario === 'server_error')
    return answer(c, {}, 'internal_error', 'Something went wrong. Please try again later.', 500)
  if (scenario === 'throttle')
    return answer(
      c,
      {},
      'rate_limit_exceeded',
      'The API rate limit was exceeded. Please try again later.',
      429,
    )
  if (!tokenValid(token))
    return answer(
      c,
      {},
      'access_token_invalid',
      'The access token is invalid or not found in the request.',
      401,
    )
  await next()
})

/** The requested `fields`, or the name of the first unknown one. */
function fieldsOf(c: Context, known: Set<string>): { fields: string[]; unknown?: string } {
  const fields = (c.req.query('fields') ?? '').split(',').filter(Boolean)
  return { fields, unknown: fields.find((field) => !known.has(field)) }
}

fakeTikTok.get('/v2/user/info/', (c) => {
  const { fields, unknown } = fieldsOf(c, USER_FIELDS)
  if (unknown) return answer(c, {}, 'invalid_params', `Invalid field: ${unknown}`, 400)
  const openId = openIdOf(bearer(c))
  const all: Record<string, unknown> = {
    open_id: openId,
    display_name: `Conta ${openId.slice(-4)}`,
    username: `conta_${openId.slice(-4)}`,
    ...tiktokUserStats(openId, new Date().toISOString().slice(0, 10)),
  }
  return answer(c, { user: Object.fromEntries(fields.filter((f) => f in all).map((f) => [f, all[f]])) })
})

fakeTikTok.post('/v2/video/list/', async (c) => {
  const { fields, unknown } = fieldsOf(c, VIDEO_FIELDS)
  if (unknown) return answer(c, {}, 'invalid_params', `Invalid field: ${unknown}`, 400)
  const body = (await c.req.json().catch(() => ({}))) as { cursor?: number; max_count?: number }
  const max = body.max_count ?? 10
  if (!Number.isInteger(max) || max < 1 || max > 20)
    return answer(c, {}, 'invalid_params', 'max_count must be between 1 and 20', 400)
  const openId = openIdOf(bearer(c))
  const now = Date.now()
  // The cursor is a time in ms: videos created before it, newest first.
  const cursor = Math.min(body.cursor ?? now, now + 1)
  const found: FakeVideo[] = []
  const last = Math.floor(cursor / 86_400_000)
  for (let day = last; found.length <= max && day >= FIRST_DAY; day--) {
    const iso = new Date(day * 86_400_000).toISOString().slice(0, 10)
    for (const video of tiktokVideosOn(openId, iso).reverse()) {
      if (video.create_time * 1000 < cursor) found.push(video)
    }
  }
  const page = found.slice(0, max)
  // The 'retired_metric' scenario plays a field TikTok stops returning: share_count.
  const retired = state.scenarios.get(openId) === 'retired_metric'
  return answer(c, {
    videos: page.map((video) =>
      Object.fromEntries(
        fields
          .filter((f) => !(retired && f === 'share_count'))
          .map((f) => [f, f in video ? video[f as keyof FakeVideo] : `${f} of ${video.id}`]),
      ),
    ),
    cursor: page.length > 0 ? (page.at(-1)?.create_time ?? 0) * 1000 : cursor,
    has_more: found.length > max,
  })
})

fakeTikTok.post('/v2/oauth/token/', async (c) => {
  const form = await c.req.parseBody()
  const oauthError = (status: 400 | 401, error: string, description: string) =>
    c.json({ error, error_description: description, log_id: logId() }, status)
  if (!form.client_key || !form.client_secret)
    return oauthError(401, 'invalid_client', 'Client key or secret is incorrect.')
  if (form.grant_type !== 'refresh_token')
    return oauthError(400, 'unsupported_grant_type', 'The grant type is not supported.')
  const refreshToken = typeof form.refresh_token === 'string' ? form.refresh_token : ''
  if (!tokenValid(refreshToken))
    return oauthError(400, 'invalid_grant', 'Refresh token is invalid or expired.')
  // Refresh tokens rotate: the one just used stops working.
  state.revokedTokens.add(refreshToken)
  const openId = openIdOf(refreshToken)
  const nonce = crypto.randomUUID()
  return c.json({
    access_token: `fake-tt.${openId}.${nonce}`,
    expires_in: 86_400,
    open_id: openId,
    refresh_expires_in: 31_536_000,
    refresh_token: `fake-ttr.${openId}.${nonce}`,
    scope: 'user.info.basic,user.info.stats,video.list',
    token_type: 'Bearer',
  })
})
