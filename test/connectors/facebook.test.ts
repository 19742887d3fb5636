import { beforeAll, describe, expect, it } from 'vitest'
import { fakeFacebookValue } from '../../db/local/fakes/facebook.ts'
import { followersOn } from '../../db/local/fakes/state.ts'
import { DAILY } from '../../worker/connectors/facebook/catalog.ts'
import { facebook } from '../../worker/connectors/facebook/connector.ts'
import { eachDay } from '../../worker/connectors/http.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { byMetricAndDay, collectJob, daysAgo, runJobs, setup } from '../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { captureLogs } from '../helpers/worker.ts'
import { expectedDaily, newPage, newPageToken as newToken } from './fixtures/facebook.ts'
import { fakeHttp } from './fixtures/fixture.ts'

/**
 * What only the Facebook connector does. The scenarios every connector shares (revoked token,
 * throttling, failures, a retired metric, the 90-day split) are in contract.test.ts.
 */

const http = () => fakeHttp('facebook')

describe('facebook connector', () => {
  it('collects the current daily Page metrics in one call, exactly as served', async () => {
    const page = newPage()
    const client = http()
    const result = await facebook.collect(
      client,
      { accessToken: newToken() },
      {
        externalAccountId: page,
        from: '2026-03-01',
        to: '2026-03-14',
      },
    )
    expect(result.failedMetrics).toEqual([])
    expect([...result.points].sort(byMetricAndDay)).toEqual(
      expectedDaily(page, DAILY, { from: '2026-03-01', to: '2026-03-14' }),
    )
    expect(new Set(result.points.map((p) => p.metric))).toEqual(
      new Set([
        'page_media_view',
        'page_total_media_view_unique',
        'page_post_engagements',
        'page_daily_follows',
        'page_follows',
      ]),
    )
    expect(client.calls).toBe(1)
  })

  it('snapshots the follower count for today when the range reaches today', async () => {
    const page = newPage()
    const today = daysAgo(0)
    const result = await facebook.collect(
      http(),
      { accessToken: newToken() },
      {
        externalAccountId: page,
        from: daysAgo(1),
        to: today,
      },
    )
    expect(result.points.filter((p) => p.metric === 'followers')).toEqual([
      { metric: 'followers', granularity: 'lifetime', periodStart: today, value: followersOn(page, today) },
    ])
  })
})

describe('facebook through the API and the collection consumer', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase()
  })

  it('registers a Page, backfills 90 days in one window and snapshots followers, never echoing the token', async () => {
    const { call, capture, env, tenant } = await setup(db)
    const page = newPage()
    const token = newToken()
    const created = await call('/api/v1/connections', {
      method: 'POST',
      json: { platform: 'facebook', external_account_id: page, access_token: token, label: 'Página Centro' },
    })
    expect(created.status).toBe(201)
    const createdText = await created.text()
    expect(createdText).not.toContain(token)
    const connection = JSON.parse(createdText) as { id: string }
    expect(connection).toMatchObject({
      platform: 'facebook',
      external_account_id: page,
      status: 'active',
      display_name: `Página ${page.slice(-4)}`,
      backfill: { done_days: 0, total_days: 90 },
    })

    const backfill = capture.messages as JobMessage[]
    expect(backfill).toEqual([
      expect.objectContaining({ kind: 'backfill', from: daysAgo(90), to: daysAgo(1) }),
    ])
    const scheduled = collectJob(tenant.tenantId, connection.id)
    const { result, lines } = await captureLogs(() => runJobs(env, [backfill[0], scheduled]))
    expect(result.explicitAcks).toHaveLength(2)
    expect(JSON.stringify(lines)).not.toContain(token)

    const stored = await db.owner<{
      metric: string
      granularity: string
      period_start: string
      value: number
    }>('select metric, granularity, period_start::text, value from metric_points where connection_id = $1', [
      connection.id,
    ])
    const daily = stored.filter((p) => p.granularity === 'day')
    expect(new Set(daily.map((p) => p.metric))).toEqual(new Set(DAILY))
    // The backfill window, then the scheduled run's re-collected days up to today.
    expect(new Set(daily.map((p) => p.period_start))).toEqual(new Set(eachDay(daysAgo(90), daysAgo(0))))
    const sample = daily.find((p) => p.metric === 'page_media_view' && p.period_start === daysAgo(45))
    expect(sample?.value).toBe(fakeFacebookValue(page, 'page_media_view', daysAgo(45)))
    expect(stored.filter((p) => p.granularity === 'lifetime')).toEqual([
      {
        metric: 'followers',
        granularity: 'lifetime',
        period_start: daysAgo(0),
        value: followersOn(page, daysAgo(0)),
      },
    ])
    const runs = await db.owner<{ kind: string; status: string; api_calls: number }>(
      'select kind, status, api_calls from collection_runs where connection_id = $1 order by kind',
      [connection.id],
    )
    expect(runs).toEqual([
      { kind: 'backfill', status: 'succeeded', api_calls: 1 },
      { kind: 'scheduled', status: 'succeeded', api_calls: 2 },
    ])

    const detail = await call(`/api/v1/connections/${connection.id}`)
    const detailText = await detail.text()
    expect(JSON.parse(detailText)).toMatchObject({
      status: 'active',
      backfill: { done_days: 90, total_days: 90 },
    })
    const list = await (await call('/api/v1/connections')).text()
    for (const text of [detailText, list]) expect(text).not.toContain(token)
  })
})
