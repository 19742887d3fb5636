import { type Context, Hono } from 'hono'
import { followersOn, state, tokenValid, valueFor } from './state.ts'

/** X's error shape (RFC 7807 problem details). */
const problem = (status: number, title: string, detail = title) => ({
  title,
  detail,
  type: 'about:blank',
  status,
})
const bearer = (c: Context) => c.req.header('authorization')?.replace(/^Bearer /i, '') ?? ''
/**
 * An X token belongs to one user; the fake reads it from its own tokens, `fake-x.<user id>.<nonce>`
 * (refresh tokens `fake-xr.<user id>.<nonce>`). Any other `fake-…` token works on `/2/users/:id`
 * paths but not on `/2/users/me`.
 */
const userOf = (token: string) => token.split('.')[1] ?? ''
const dayNumber = (day: string) => Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000)

export type FakePost = {
  id: string
  /** Unix seconds. */
  createdAt: number
  /** A repost of someone else's post: listed unless `exclude=retweets`. */
  repost: boolean
  metrics: {
    impression_count: number
    like_count: number
    retweet_count: number
    reply_count: number
    quote_count: number
    bookmark_count: number
  }
}

/** Up to 10 slots a day keep creation times distinct and the order stable. */
const SLOT_SECONDS = 8_640

/** What a user posted on a UTC day: 2–8 own posts and 0–2 reposts, deterministic. */
export function xPostsOn(user: string, day: string): FakePost[] {
  const own = valueFor(user, 'posts', day, 2, 8)
  const reposts = valueFor(user, 'reposts', day, 0, 2)
  const posts: FakePost[] = []
  for (let i = 0; i < own + reposts; i++) {
    const value = (name: string, min: number, max: number) => valueFor(user, `${name}#${i}`, day, min, max)
    const repost = i >= own
    posts.push({
      id: `${dayNumber(day)}${String(i).padStart(2, '0')}${user}`,
      createdAt: dayNumber(day) * 86_400 + i * SLOT_SECONDS + value('time', 0, SLOT_SECONDS - 1),
      repost,
      // A repost shows the original's repost count and nothing of its own.
      metrics: repost
        ? {
            impression_count: 0,
            like_count: 0,
            retweet_count: value('retweets', 100, 5_000),
            reply_count: 0,
            quote_count: 0,
            bookmark_count: 0,
          }
        : {
            impression_count: value('impressions', 50, 20_000),
            like_count: value('likes', 0, 500),
            retweet_count: value('retweets', 0, 80),
            reply_count: value('replies', 0, 60),
            quote_count: value('quotes', 0, 20),
            bookmark_count: value('bookmarks', 0, 40),
          },
    })
  }
  return posts
}

/** The user's public_metrics today. */
export function xUserMetrics(user: string, day: string) {
  return {
    followers_count: followersOn(user, day),
    following_count: valueFor(user, 'following', '0', 50, 2_000),
    tweet_count: valueFor(user, 'tweets-base', '0', 1_000, 20_000) + (dayNumber(day) - 20_000) * 5,
    listed_count: valueFor(user, 'listed', '0', 0, 300),
    like_count: valueFor(user, 'liked', '0', 100, 50_000),
  }
}

const WINDOW_SECONDS = 15 * 60
const LIMIT = 900

/** X API v2 (api.x.com) in its documented shapes: users, user posts timeline, OAuth 2.0 refresh. */
export const fakeX = new Hono()

fakeX.use('*', async (c, next) => {
  state.requests.push({ platform: 'x', path: c.req.path, at: Date.now() })
  const token = bearer(c)
  // /x/2/users/<id>/…; `me` is the token's own user.
  const pathUser = /^\/x\/2\/users\/([^/]+)/.exec(c.req.path)?.[1] ?? ''
  const account = pathUser === 'me' ? userOf(token) : pathUser
  const scenario = state.scenarios.get(account)
  const now = Math.floor(Date.now() / 1000)
  const windowEnd = Math.ceil((now + 1) / WINDOW_SECONDS) * WINDOW_SECONDS
  if (scenario === 'slow') await new Promise((resolve) => setTimeout(resolve, 15_000))
  if (scenario === 'server_error') return c.json(problem(500, 'Internal Server Error'), 500)
  if (scenario === 'throttle') {
    c.header('x-rate-limit-limit', String(LIMIT))
    c.header('x-rate-limit-remaining', '0')
    c.header('x-rate-limit-reset', String(now + 90))
    return c.json(problem(429, 'Too Many Requests'), 429)
  }
  if (c.req.path.endsWith('/2/oauth2/token')) return next()
  if (!tokenValid(token)) return c.json(problem(401, 'Unauthorized'), 401)
  const used = state.requests.filter((r) => r.platform === 'x' && r.at >= (windowEnd - WINDOW_SECONDS) * 1000)
  c.header('x-rate-limit-limit', String(LIMIT))
  c.header('x-rate-limit-remaining', String(Math.max(0, LIMIT - used.length)))
  c.header('x-rate-limit-reset', String(windowEnd))
  await next()
})

function userBody(c: Context, user: string) {
  const fields = (c.req.query('user.fields') ?? '').split(',')
  const today = new Date().toISOString().slice(0, 10)
  return {
    data: {
      id: user,
      name: `Conta ${user.slice(-4)}`,
      username: `conta_${user.slice(-4)}`,
      ...(fields.includes('public_metrics') ? { public_metrics: xUserMetrics(user, today) } : {}),
    },
  }
}

fakeX.get('/2/users/me', (c) => {
  const user = userOf(bearer(c))
  if (!user) return c.json(problem(401, 'Unauthorized'), 401)
  return c.json(userBody(c, user))
})

fakeX.get('/2/users/:id/tweets', (c) => {
  const user = c.req.param('id')
  const max = Number(c.req.query('max_results') ?? 10)
  if (!Number.isInteger(max) || max < 5 || max > 100) {
    return c.json(
      {
        errors: [
          { parameters: { max_results: [String(max)] }, message: 'max_results must be between 5 and 100' },
        ],
        ...problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.'),
      },
      400,
    )
  }
  const now = Math.floor(Date.now() / 1000)
  const time = (name: string, fallback: number) => {
    const value = c.req.query(name)
    return value ? Math.floor(Date.parse(value) / 1000) : fallback
  }
  // Both ends inclusive, second precision, as documented.
  const start = time('start_time', now - 30 * 86_400)
  const end = Math.min(time('end_time', now), now)
  const excludeReposts = (c.req.query('exclude') ?? '').split(',').includes('retweets')
  const fields = (c.req.query('tweet.fields') ?? '').split(',')
  const retired = state.scenarios.get(user) === 'retired_metric'
  const posts: FakePost[] = []
  for (let day = Math.floor(end / 86_400); day >= Math.floor(start / 86_400); day--) {
    const iso = new Date(day * 86_400_000).toISOString().slice(0, 10)
    for (const post of xPostsOn(user, iso).reverse()) {
      if (post.createdAt >= start && post.createdAt <= end && !(excludeReposts && post.repost))
        posts.push(post)
    }
  }
  const token = c.req.query('pagination_token')
  const offset = token ? Number(atob(token).replace(/^offset:/, '')) : 0
  if (!Number.isInteger(offset) || offset < 0) {
    return c.json(
      problem(400, 'Invalid Request', 'The `pagination_token` query parameter value is not valid'),
      400,
    )
  }
  const page = posts.slice(offset, offset + max)
  if (page.length === 0) return c.json({ meta: { result_count: 0 } })
  return c.json({
    data: page.map((post) => {
      // The 'retired_metric' scenario plays a field X stops returning: bookmark_count.
      const { bookmark_count, ...rest } = post.metrics
      return {
        id: post.id,
        text: post.repost ? `RT @outra_conta: post ${post.id}` : `Post ${post.id}`,
        edit_history_tweet_ids: [post.id],
        ...(fields.includes('created_at')
          ? { created_at: new Date(post.createdAt * 1000).toISOString() }
          : {}),
        ...(fields.includes('public_metrics')
          ? { public_metrics: retired ? rest : { ...rest, bookmark_count } }
          : {}),
      }
    }),
    meta: {
      result_count: page.length,
      newest_id: page[0]?.id,
      oldest_id: page.at(-1)?.id,
      ...(offset + max < posts.length ? { next_token: btoa(`offset:${offset + max}`) } : {}),
    },
  })
})

fakeX.get('/2/users/:id', (c) => c.json(userBody(c, c.req.param('id'))))

fakeX.post('/2/oauth2/token', async (c) => {
  const form = await c.req.parseBody()
  const clientId = typeof form.client_id === 'string' ? form.client_id : ''
  const basic = c.req.header('authorization')
  if (basic) {
    const [id, secret] = atob(basic.replace(/^Basic /i, '')).split(':')
    if (!id || !secret || (clientId && id !== clientId)) {
      return c.json(
        { error: 'unauthorized_client', error_description: 'Missing valid authorization header' },
        401,
      )
    }
  } else if (!clientId) {
    return c.json(
      { error: 'invalid_request', error_description: 'Missing required parameter [client_id].' },
      400,
    )
  }
  const refreshToken = typeof form.refresh_token === 'string' ? form.refresh_token : ''
  if (form.grant_type !== 'refresh_token' || !tokenValid(refreshToken)) {
    return c.json(
      { error: 'invalid_request', error_description: 'Value passed for the token was invalid.' },
      400,
    )
  }
  // X rotates refresh tokens: the one just used stops working.
  state.revokedTokens.add(refreshToken)
  const user = userOf(refreshToken)
  const nonce = crypto.randomUUID()
  return c.json({
    token_type: 'bearer',
    expires_in: 7200,
    access_token: `fake-x.${user}.${nonce}`,
    scope: 'tweet.read users.read offline.access',
    refresh_token: `fake-xr.${user}.${nonce}`,
  })
})
