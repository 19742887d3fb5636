import { Hono } from 'hono'
import { followersOn, state, tokenValid, valueFor } from './state.ts'

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10)
const graphError = (code: number, message: string, type = 'OAuthException') => ({
  error: { message, type, code, fbtrace_id: 'AbCdEfGh123' },
})

/** Metric names the real API retired: asking for them fails the whole call with (#100). */
const RETIRED = new Set(['impressions', 'plays', 'video_views'])
const KNOWN = new Set([
  'reach',
  'follower_count',
  'views',
  'likes',
  'comments',
  'shares',
  'saves',
  'total_interactions',
  'accounts_engaged',
])

/** Instagram Graph API (Instagram Login, graph.instagram.com) in its documented shapes. */
export const fakeInstagram = new Hono()

fakeInstagram.use('*', async (c, next) => {
  state.requests.push({ platform: 'instagram', path: c.req.path, at: Date.now() })
  const token = c.req.query('access_token')
  // /instagram/<version>/<account>/…
  const account = c.req.path.split('/')[3] ?? ''
  const scenario = state.scenarios.get(account)
  if (scenario === 'slow') await new Promise((resolve) => setTimeout(resolve, 15_000))
  if (scenario === 'server_error')
    return c.json(graphError(2, 'An unexpected error has occurred.', 'OAuthException'), 500)
  if (scenario === 'throttle') {
    c.header(
      'X-Business-Use-Case-Usage',
      JSON.stringify({
        [account]: [
          {
            type: 'instagram',
            call_count: 100,
            total_time: 30,
            total_cputime: 20,
            estimated_time_to_regain_access: 2,
          },
        ],
      }),
    )
    return c.json(graphError(80002, 'There have been too many calls to this Instagram account.'), 400)
  }
  if (!c.req.path.startsWith('/refresh_access_token') && !tokenValid(token)) {
    return c.json(graphError(190, 'Error validating access token: The session has been invalidated.'), 400)
  }
  c.header('X-App-Usage', JSON.stringify({ call_count: 3, total_time: 2, total_cputime: 1 }))
  await next()
})

fakeInstagram.get('/refresh_access_token', (c) => {
  const token = c.req.query('access_token')
  if (c.req.query('grant_type') !== 'ig_refresh_token' || !tokenValid(token)) {
    return c.json(graphError(190, 'Invalid OAuth access token.'), 400)
  }
  return c.json({ access_token: `${token}-r`, token_type: 'bearer', expires_in: 5_184_000 })
})

fakeInstagram.get('/:version/:account/insights', (c) => {
  const account = c.req.param('account')
  const metrics = (c.req.query('metric') ?? '').split(',').filter(Boolean)
  // The 'retired_metric' scenario plays a retirement wave: `views` stops existing for this account.
  const retired = state.scenarios.get(account) === 'retired_metric' ? new Set([...RETIRED, 'views']) : RETIRED
  const bad = metrics.find((m) => retired.has(m) || !KNOWN.has(m))
  if (bad) return c.json(graphError(100, `(#100) The value ${bad} is not valid for metric`), 400)
  const since = Number(c.req.query('since'))
  const until = Number(c.req.query('until'))
  if (c.req.query('metric_type') === 'total_value') {
    return c.json({
      data: metrics.map((name) => ({
        name,
        period: 'day',
        title: name,
        total_value: { value: valueFor(account, name, day(since), 5, 900) },
        id: `${account}/insights/${name}/day`,
      })),
    })
  }
  return c.json({
    data: metrics.map((name) => {
      const values = []
      for (let t = since; t < until; t += 86_400) {
        // end_time closes the reported day (the next midnight).
        values.push({
          value: valueFor(account, name, day(t), 10, 5_000),
          end_time: new Date((t + 86_400) * 1000).toISOString().replace('.000Z', '+0000'),
        })
      }
      return { name, period: 'day', values, title: name, id: `${account}/insights/${name}/day` }
    }),
    paging: { previous: '', next: '' },
  })
})

fakeInstagram.get('/:version/:account', (c) => {
  const account = c.req.param('account')
  return c.json({
    id: account,
    username: `conta_${account.slice(-4)}`,
    followers_count: followersOn(account, new Date().toISOString().slice(0, 10)),
  })
})
