import { describe, expect, it } from 'vitest'
import { tiktokUserStats } from '../../db/local/fakes/tiktok.ts'
import { eachDay } from '../../worker/connectors/http.ts'
import { USER_METRICS } from '../../worker/connectors/tiktok/catalog.ts'
import { tiktok } from '../../worker/connectors/tiktok/connector.ts'
import { byMetricAndDay, daysAgo, rejection } from '../helpers/connections.ts'
import { fakeHttp } from './fixtures/fixture.ts'
import {
  accessFor,
  expectedTikTokPoints,
  newOpenId,
  pagesFor,
  STEADY_OPEN_ID,
  videosIn,
} from './fixtures/tiktok.ts'

/**
 * What only the TikTok connector does. The scenarios every connector shares (revoked token,
 * throttling, failures, a retired metric, paging and its cap, refresh through the consumer) are
 * in contract.test.ts.
 */

const client = () => fakeHttp('tiktok')
const today = () => daysAgo(0)

describe('TikTok connector against the fake', () => {
  it('refuses a token of another open_id (/v2/user/info/ names its owner)', async () => {
    const openId = newOpenId()
    const other = await rejection(tiktok.validate(client(), { accessToken: accessFor(newOpenId()) }, openId))
    expect(other.kind).toBe('permanent')
    expect(other.message).toContain(`not ${openId}`)
  })

  it('sums each day’s videos into daily points for a past window', async () => {
    const from = '2026-03-02'
    const to = '2026-03-08'
    const http = client()
    const result = await tiktok.collect(
      http,
      { accessToken: accessFor(STEADY_OPEN_ID) },
      { externalAccountId: STEADY_OPEN_ID, from, to },
    )
    expect(result.failedMetrics).toEqual([])
    expect([...result.points].sort(byMetricAndDay)).toEqual(
      expectedTikTokPoints(STEADY_OPEN_ID, { from, to }),
    )
    // No user info call: the window does not reach today.
    expect(http.calls).toBe(pagesFor(videosIn(STEADY_OPEN_ID, { from, to }).length))
  })

  it('snapshots the user stats for today with one user info call', async () => {
    const openId = newOpenId()
    const http = client()
    const from = daysAgo(3)
    const result = await tiktok.collect(
      http,
      { accessToken: accessFor(openId) },
      { externalAccountId: openId, from, to: today() },
    )
    const stats = tiktokUserStats(openId, today())
    expect(result.points.filter((p) => p.granularity === 'lifetime')).toEqual(
      Object.entries(USER_METRICS).map(([metric, field]) => ({
        metric,
        granularity: 'lifetime',
        periodStart: today(),
        value: stats[field],
      })),
    )
    expect(result.points.filter((p) => p.metric === 'videos').map((p) => p.periodStart)).toEqual(
      eachDay(from, today()),
    )
    // At most 3 videos a day: one page of 20, and the user info call.
    expect(http.calls).toBe(2)
  })
})
