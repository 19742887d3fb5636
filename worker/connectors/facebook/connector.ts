import { eachDay, unixSeconds } from '../http.ts'
import { dailyPoints, followersSnapshot, graphGet, graphInsights } from '../meta.ts'
import type { CollectResult, Connector, Point } from '../types.ts'
import { DAILY, facebookCatalog } from './catalog.ts'

/** Page insights refuse a `since`/`until` range longer than this (error 100). */
const MAX_WINDOW_DAYS = 90

/**
 * Facebook Pages through the Graph API with a Page access token. Page tokens made from a
 * long-lived user token do not expire (they die on password change or role removal, which
 * surfaces as error 190), so there is no refresh.
 */
export const facebook: Connector = {
  platform: 'facebook',
  catalog: facebookCatalog,
  maxWindowDays: MAX_WINDOW_DAYS,

  async validate(http, tokens, externalAccountId) {
    const page = await graphGet<{ id: string; name?: string }>(
      http,
      externalAccountId,
      { fields: 'id,name,followers_count' },
      tokens.accessToken,
    )
    return { externalAccountId: page.id, displayName: page.name ?? page.id }
  },

  async collect(http, tokens, { externalAccountId, from, to }) {
    const failedMetrics: CollectResult['failedMetrics'] = []
    const points: Point[] = []
    const days = eachDay(from, to)
    // Split here too, so a caller asking for more than 90 days gets them rather than error 100.
    for (let i = 0; i < days.length; i += MAX_WINDOW_DAYS) {
      const window = days.slice(i, i + MAX_WINDOW_DAYS)
      const first = window[0] as string
      const last = window[window.length - 1] as string
      const insights = await graphInsights(
        http,
        externalAccountId,
        DAILY.filter((metric) => !failedMetrics.some((f) => f.metric === metric)),
        { period: 'day', since: String(unixSeconds(first)), until: String(unixSeconds(last) + 86_400) },
        tokens.accessToken,
        failedMetrics,
      )
      points.push(...dailyPoints(insights, first, last))
    }
    points.push(...(await followersSnapshot(http, externalAccountId, to, tokens.accessToken)))
    return { points, failedMetrics }
  },
}
