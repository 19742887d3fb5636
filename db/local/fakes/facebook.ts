import { Hono } from 'hono'
import { followersOn, state, tokenValid, valueFor } from './state.ts'

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10)
const graphError = (code: number, message: string, type = 'OAuthException') => ({
  error: { message, type, code, fbtrace_id: 'FbTrAcE456' },
})
const MAX_RANGE_SECONDS = 90 * 86_400

/** Page metrics retired in Meta's waves (2024-03-14, 2025-11-15): asking fails the whole call with (#100). */
const RETIRED = new Set([
  'page_impressions',
  'page_impressions_unique',
  'page_impressions_paid',
  'page_fans',
  'page_fan_adds',
  'page_engaged_users',
])
const KNOWN = new Set([
  'page_media_view',
  'page_total_media_view_unique',
  'page_post_engagements',
  'page_daily_follows',
  'page_follows',
])

/** Fake daily values by metric: stocks follow the steady follower curve, flows are pseudo-random. */
export function fakeFacebookValue(page: string, metric: string, date: string): number {
  if (metric === 'page_follows') return followersOn(page, date)
  if (metric === 'page_daily_follows') return valueFor(page, metric, date, 0, 60)
  return valueFor(page, metric, date, 20, 9_000)
}

/** Facebook Pages through the Graph API (graph.facebook.com) in its documented shapes. */
export const fakeFacebook = new Hono()

fakeFacebook.use('*', async (c, next) => {
  state.requests.push({ platform: 'facebook', path: c.req.path, at: Date.now() })
  // /facebook/<version>/<page>/…
  const page = c.req.path.split('/')[3] ?? ''
  const scenario = state.scenarios.get(page)
  if (scenario === 'slow') await new Promise((resolve) => setTimeout(resolve, 15_000))
  if (scenario === 'server_error') return c.json(graphError(1, 'An unknown error has occurred.'), 500)
  if (scenario === 'throttle') {
    c.header(
      'X-Business-Use-Case-Usage',
      JSON.stringify({
        [page]: [
          {
            type: 'pages',
            call_count: 100,
            total_time: 41,
            total_cputime: 12,
            estimated_time_to_regain_access: 3,
          },
        ],
      }),
    )
    return c.json(graphError(80001, 'There have been too many calls to this Page account.'), 400)
  }
  if (!tokenValid(c.req.query('access_token'))) {
    return c.json(graphError(190, 'Error validating access token: The session has been invalidated.'), 400)
  }
  c.header('X-App-Usage', JSON.stringify({ call_count: 4, total_time: 2, total_cputime: 1 }))
  await next()
})

fakeFacebook.get('/:version/:page/insights', (c) => {
  const page = c.req.param('page')
  const metrics = (c.req.query('metric') ?? '').split(',').filter(Boolean)
  // The 'retired_metric' scenario plays the next wave: `page_total_media_view_unique` stops existing.
  const retired =
    state.scenarios.get(page) === 'retired_metric'
      ? new Set([...RETIRED, 'page_total_media_view_unique'])
      : RETIRED
  const bad = metrics.find((m) => retired.has(m) || !KNOWN.has(m))
  if (bad) return c.json(graphError(100, `(#100) The value must be a valid insights metric: ${bad}`), 400)
  if (c.req.query('period') !== 'day') return c.json(graphError(100, '(#100) Invalid period'), 400)
  const since = Number(c.req.query('since'))
  const until = Number(c.req.query('until'))
  if (!(until > since)) return c.json(graphError(100, '(#100) since must be before until'), 400)
  if (until - since > MAX_RANGE_SECONDS) {
    return c.json(
      graphError(100, '(#100) The since and until parameters must be no more than 90 days apart'),
      400,
    )
  }
  return c.json({
    data: metrics.map((name) => {
      const values = []
      for (let t = since; t < until; t += 86_400) {
        // end_time closes the reported day at the next midnight Pacific (07:00 UTC in summer time).
        values.push({
          value: fakeFacebookValue(page, name, day(t)),
          end_time: `${day(t + 86_400)}T07:00:00+0000`,
        })
      }
      return {
        name,
        period: 'day',
        values,
        title: name,
        description: `Daily: ${name}`,
        id: `${page}/insights/${name}/day`,
      }
    }),
    paging: { previous: '', next: '' },
  })
})

fakeFacebook.get('/:version/:page', (c) => {
  const page = c.req.param('page')
  const fields = (c.req.query('fields') ?? 'id,name').split(',')
  const node: Record<string, string | number> = {
    id: page,
    name: `Página ${page.slice(-4)}`,
    followers_count: followersOn(page, new Date().toISOString().slice(0, 10)),
  }
  return c.json(
    Object.fromEntries(Object.entries(node).filter(([key]) => key === 'id' || fields.includes(key))),
  )
})
