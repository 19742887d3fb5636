import { eachDay, unixSeconds } from '../http.ts'
import { dailyPoints, followersSnapshot, graphGet, graphInsights } from '../meta.ts'
import { type CollectResult, type Connector, ConnectorError, type Point } from '../types.ts'
import { instagramCatalog, TIME_SERIES, TOTAL_VALUE } from './catalog.ts'

export const instagram: Connector = {
  platform: 'instagram',
  catalog: instagramCatalog,
  maxWindowDays: 30,
  refreshLeadSeconds: 7 * 86_400,

  async validate(http, tokens, externalAccountId) {
    const profile = await graphGet<{ id: string; username?: string }>(
      http,
      externalAccountId,
      { fields: 'id,username,followers_count' },
      tokens.accessToken,
    )
    return { externalAccountId: profile.id, displayName: profile.username ?? profile.id }
  },

  async collect(http, tokens, { externalAccountId, from, to }) {
    const failedMetrics: CollectResult['failedMetrics'] = []
    const points: Point[] = []
    const until = String(unixSeconds(to) + 86_400)
    const series = await graphInsights(
      http,
      externalAccountId,
      TIME_SERIES,
      { period: 'day', since: String(unixSeconds(from)), until },
      tokens.accessToken,
      failedMetrics,
    )
    points.push(...dailyPoints(series, from, to))
    for (const day of eachDay(from, to)) {
      const totals = await graphInsights(
        http,
        externalAccountId,
        TOTAL_VALUE.filter((metric) => !failedMetrics.some((f) => f.metric === metric)),
        {
          period: 'day',
          metric_type: 'total_value',
          since: String(unixSeconds(day)),
          until: String(unixSeconds(day) + 86_400),
        },
        tokens.accessToken,
        failedMetrics,
      )
      for (const insight of totals) {
        if (insight.total_value) {
          points.push({
            metric: insight.name,
            granularity: 'day',
            periodStart: day,
            value: insight.total_value.value,
          })
        }
      }
    }
    points.push(...(await followersSnapshot(http, externalAccountId, to, tokens.accessToken)))
    return { points, failedMetrics }
  },

  async refresh(http, tokens) {
    // Instagram Login long-lived tokens refresh themselves (60 more days) once at least 24 h old.
    const query = new URLSearchParams({ grant_type: 'ig_refresh_token', access_token: tokens.accessToken })
    const response = await http.fetch(`refresh_access_token?${query}`)
    if (!response.ok)
      throw new ConnectorError(
        response.status === 400 ? 'token_invalid' : 'transient',
        'token refresh failed',
      )
    const body = (await response.json()) as { access_token: string; expires_in: number }
    return {
      accessToken: body.access_token,
      refreshToken: null,
      expiresAt: new Date(Date.now() + body.expires_in * 1000),
    }
  },
}
