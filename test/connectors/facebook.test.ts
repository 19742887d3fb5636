import { beforeAll, describe, expect, it } from 'vitest'
import { fakeFacebookValue } from '../../db/local/fakes/facebook.ts'
import { followersOn } from '../../db/local/fakes/state.ts'
import { DAILY } from '../../worker/connectors/facebook/catalog.ts'
import { facebook } from '../../worker/connectors/facebook/connector.ts'
import { eachDay, platformHttp } from '../../worker/connectors/http.ts'
import type { Point } from '../../worker/connectors/types.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import {
  byMetricAndDay,
  collectJob,
  daysAgo,
  rejection,
  runJobs,
  setup,
  uniqueAccount,
} from '../helpers/connections.ts'
import { createTestDatabase, fakeControl, sharedEnv, type TestDatabase } from '../helpers/env.ts'
import { errorCode } from '../helpers/fixtures.ts'
import { captureLogs } from '../helpers/worker.ts'

const http = (options: { timeoutMs?: number } = {}) =>
  platformHttp({ baseUrl: `${sharedEnv.TEST_FAKE_PLATFORMS_URL}/facebook`, ...options })

const newPage = () => uniqueAccount('1093')
const newToken = () => `fake-fb-${crypto.randomUUID()}`

/** What the fake serves for these metrics and days, as the connector should normalize it. */
const expectedDaily = (page: string, metrics: readonly string[], from: string, to: string): Point[] =>
  metrics
    .flatMap((metric) =>
      eachDay(from, to).map((periodStart) => ({
        metric,
        granularity: 'day' as const,
        periodStart,
        value: fakeFacebookValue(page, metric, periodStart),
      })),
    )
    .sort(byMetricAndDay)

describe('facebook connector', () => {
  it('validates a Page token and reads the Page name', async () => {
    const page = newPage()
    expect(await facebook.validate(http(), { accessToken: newToken() }, page)).toEqual({
      externalAccountId: page,
      displayName: `Página ${page.slice(-4)}`,
    })
    const revoked = newToken()
    await fakeControl('revoke', { token: revoked })
    const error = await rejection(facebook.validate(http(), { accessToken: revoked }, page))
    expect(error).toMatchObject({ kind: 'token_invalid', platformCode: '190' })
  })

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
      expectedDaily(page, DAILY, '2026-03-01', '2026-03-14'),
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

  it('keeps every request within 90 days, splitting a longer range', async () => {
    const page = newPage()
    const token = newToken()
    // The fake refuses more than 90 days, as the real API does.
    const since = Date.parse('2026-01-01T00:00:00Z') / 1000
    const tooLong = await fetch(
      `${sharedEnv.TEST_FAKE_PLATFORMS_URL}/facebook/v23.0/${page}/insights?${new URLSearchParams({
        metric: 'page_media_view',
        period: 'day',
        since: String(since),
        until: String(since + 91 * 86_400),
        access_token: token,
      })}`,
    )
    expect(tooLong.status).toBe(400)
    expect(await tooLong.json()).toMatchObject({
      error: { code: 100, message: expect.stringMatching(/90 days/) },
    })

    expect(facebook.maxWindowDays).toBe(90)
    const client = http()
    const result = await facebook.collect(
      client,
      { accessToken: token },
      {
        externalAccountId: page,
        from: '2026-01-01',
        to: '2026-04-30',
      },
    )
    expect(result.failedMetrics).toEqual([])
    expect(client.calls).toBe(2)
    expect([...result.points].sort(byMetricAndDay)).toEqual(
      expectedDaily(page, DAILY, '2026-01-01', '2026-04-30'),
    )
  })

  it('classifies a revoked token as token_invalid', async () => {
    const page = newPage()
    const token = newToken()
    await fakeControl('revoke', { token })
    const error = await rejection(
      facebook.collect(
        http(),
        { accessToken: token },
        { externalAccountId: page, from: daysAgo(3), to: daysAgo(1) },
      ),
    )
    expect(error).toMatchObject({ kind: 'token_invalid', platformCode: '190', retryAfterSeconds: undefined })
  })

  it('classifies throttling with the wait from X-Business-Use-Case-Usage', async () => {
    const page = newPage()
    await fakeControl('scenario', { account: page, scenario: 'throttle' })
    const error = await rejection(
      facebook.collect(
        http(),
        { accessToken: newToken() },
        { externalAccountId: page, from: daysAgo(3), to: daysAgo(1) },
      ),
    )
    // estimated_time_to_regain_access: 3 minutes.
    expect(error).toMatchObject({ kind: 'throttled', platformCode: '80001', retryAfterSeconds: 180 })
  })

  it('classifies a 500 as transient', async () => {
    const page = newPage()
    await fakeControl('scenario', { account: page, scenario: 'server_error' })
    const error = await rejection(
      facebook.collect(
        http(),
        { accessToken: newToken() },
        { externalAccountId: page, from: daysAgo(3), to: daysAgo(1) },
      ),
    )
    expect(error.kind).toBe('transient')
  })

  it('classifies a platform that does not answer in time as transient', async () => {
    const page = newPage()
    await fakeControl('scenario', { account: page, scenario: 'slow' })
    const error = await rejection(
      facebook.collect(
        http({ timeoutMs: 300 }),
        { accessToken: newToken() },
        {
          externalAccountId: page,
          from: daysAgo(3),
          to: daysAgo(1),
        },
      ),
    )
    expect(error).toMatchObject({ kind: 'transient', message: expect.stringMatching(/300 ms/) })
  })

  it('keeps the other metrics when one is retired, recording which failed', async () => {
    const page = newPage()
    await fakeControl('scenario', { account: page, scenario: 'retired_metric' })
    const result = await facebook.collect(
      http(),
      { accessToken: newToken() },
      {
        externalAccountId: page,
        from: '2026-02-01',
        to: '2026-02-07',
      },
    )
    expect(result.failedMetrics).toEqual([
      { metric: 'page_total_media_view_unique', reason: expect.stringMatching(/#100/) },
    ])
    expect([...result.points].sort(byMetricAndDay)).toEqual(
      expectedDaily(
        page,
        DAILY.filter((m) => m !== 'page_total_media_view_unique'),
        '2026-02-01',
        '2026-02-07',
      ),
    )
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

  it('refuses a revoked Page token with 422, storing nothing and not echoing it', async () => {
    const { call, tenant } = await setup(db)
    const token = newToken()
    await fakeControl('revoke', { token })
    const response = await call('/api/v1/connections', {
      method: 'POST',
      json: { platform: 'facebook', external_account_id: newPage(), access_token: token },
    })
    expect(response.status).toBe(422)
    expect(await response.clone().text()).not.toContain(token)
    expect(await errorCode(response)).toBe('TOKEN_REJECTED')
    expect(await db.owner('select id from connections where tenant_id = $1', [tenant.tenantId])).toEqual([])
  })
})
