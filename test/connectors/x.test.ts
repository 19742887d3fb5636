import { describe, expect, it } from 'vitest'
import { xPostsOn, xUserMetrics } from '../../db/local/fakes/x.ts'
import { eachDay } from '../../worker/connectors/http.ts'
import { USER_METRICS } from '../../worker/connectors/x/catalog.ts'
import { x } from '../../worker/connectors/x/connector.ts'
import { byMetricAndDay, daysAgo, rejection } from '../helpers/connections.ts'
import { fakeHttp } from './fixtures/fixture.ts'
import { accessFor, expectedXPoints, newUser, STEADY_USER } from './fixtures/x.ts'

/**
 * What only the X connector does. The scenarios every connector shares (revoked token,
 * throttling, failures, a retired metric, paging and its cap, refresh through the consumer) are
 * in contract.test.ts.
 */

const client = () => fakeHttp('x')
const today = () => daysAgo(0)

describe('X connector against the fake', () => {
  it('refuses a token that belongs to another account (/2/users/me names its owner)', async () => {
    const user = newUser()
    const other = await rejection(x.validate(client(), { accessToken: accessFor(newUser()) }, user))
    expect(other.kind).toBe('permanent')
    expect(other.message).toContain(`not ${user}`)
  })

  it('sums each day’s own posts (reposts left out) into daily points with one call for a past window', async () => {
    const from = '2026-03-02'
    const to = '2026-03-08'
    // The window holds reposts, so counting them would change the totals.
    expect(eachDay(from, to).some((day) => xPostsOn(STEADY_USER, day).some((post) => post.repost))).toBe(true)
    const http = client()
    const result = await x.collect(
      http,
      { accessToken: accessFor(STEADY_USER) },
      { externalAccountId: STEADY_USER, from, to },
    )
    expect(result.failedMetrics).toEqual([])
    expect([...result.points].sort(byMetricAndDay)).toEqual(expectedXPoints(STEADY_USER, { from, to }))
    // No user read: the window does not reach today.
    expect(http.calls).toBe(1)
  })

  it('snapshots the user’s public metrics for today with exactly one user read and one posts page', async () => {
    const user = newUser()
    const http = client()
    const from = daysAgo(3)
    const result = await x.collect(
      http,
      { accessToken: accessFor(user) },
      { externalAccountId: user, from, to: today() },
    )
    const metrics = xUserMetrics(user, today())
    expect(result.points.filter((p) => p.granularity === 'lifetime')).toEqual(
      Object.entries(USER_METRICS).map(([metric, key]) => ({
        metric,
        granularity: 'lifetime',
        periodStart: today(),
        value: metrics[key],
      })),
    )
    expect(result.points.filter((p) => p.metric === 'posts').map((p) => p.periodStart)).toEqual(
      eachDay(from, today()),
    )
    expect(http.calls).toBe(2)
  })
})
