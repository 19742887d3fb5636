import { beforeAll, describe, expect, it } from 'vitest'
import { tiktokUserStats, tiktokVideosOn } from '../../db/local/fakes/tiktok.ts'
import { eachDay, platformHttp } from '../../worker/connectors/http.ts'
import { USER_METRICS, VIDEO_METRICS } from '../../worker/connectors/tiktok/catalog.ts'
import { MAX_VIDEO_PAGES, tiktok } from '../../worker/connectors/tiktok/connector.ts'
import { ConnectorError, type Point } from '../../worker/connectors/types.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { readSecret, runJobs } from '../helpers/connections.ts'
import {
  captureQueue,
  createTestDatabase,
  fakeControl,
  sharedEnv,
  type TestDatabase,
} from '../helpers/env.ts'
import { as, createMember, createTenant, login } from '../helpers/fixtures.ts'
import { captureLogs } from '../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A fresh open_id, so scripted scenarios touch this test only. */
const newOpenId = () => `-000${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`
/** A fixed open_id where the test needs the fake's data for past dates to be the same on every run. */
const STEADY = '-000SteadyOpenId0001'
const accessFor = (openId: string) => `fake-tt.${openId}.${crypto.randomUUID()}`
const refreshFor = (openId: string) => `fake-ttr.${openId}.${crypto.randomUUID()}`
const client = (options: { timeoutMs?: number } = {}) =>
  platformHttp({ baseUrl: `${sharedEnv.TEST_FAKE_PLATFORMS_URL}/tiktok`, ...options })
const APP = { clientId: 'integra-tiktok-key', clientSecret: 'integra-tiktok-secret' }
const today = () => new Date().toISOString().slice(0, 10)
/** TikTok's refresh (the Connector type makes it optional). */
const refresh = (refreshToken: string, app = APP) => {
  if (!tiktok.refresh) throw new Error('the TikTok connector must refresh tokens')
  return tiktok.refresh(client(), { accessToken: '', refreshToken }, app)
}

const byKey = (points: Point[]) =>
  [...points].sort((a, b) => `${a.metric}|${a.periodStart}`.localeCompare(`${b.metric}|${b.periodStart}`))

/** Daily points as the fake's own formula gives them. */
function expectedPoints(openId: string, days: string[]): Point[] {
  const points: Point[] = []
  for (const day of days) {
    const videos = tiktokVideosOn(openId, day)
    points.push({ metric: 'videos', granularity: 'day', periodStart: day, value: videos.length })
    for (const [metric, field] of Object.entries(VIDEO_METRICS)) {
      const value = videos.reduce((sum, video) => sum + video[field], 0)
      points.push({ metric, granularity: 'day', periodStart: day, value })
    }
  }
  return byKey(points)
}

const videosIn = (openId: string, from: string, to: string) =>
  eachDay(from, to).flatMap((day) => tiktokVideosOn(openId, day))
/** Pages of 20 until one reaches a video older than the window (the fake's history goes back years). */
const pagesFor = (videos: number) => Math.floor(videos / 20) + 1

async function failure(work: Promise<unknown>): Promise<ConnectorError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConnectorError)
  return error as ConnectorError
}

describe('TikTok connector against the fake', () => {
  it('validates with /v2/user/info/ and refuses a token of another open_id', async () => {
    const openId = newOpenId()
    const http = client()
    expect(await tiktok.validate(http, { accessToken: accessFor(openId) }, openId)).toEqual({
      externalAccountId: openId,
      displayName: `Conta ${openId.slice(-4)}`,
    })
    expect(http.calls).toBe(1)
    const other = await failure(tiktok.validate(client(), { accessToken: accessFor(newOpenId()) }, openId))
    expect(other.kind).toBe('permanent')
    expect(other.message).toContain(`not ${openId}`)
  })

  it('sums each day’s videos into daily points for a past window', async () => {
    const from = '2026-03-02'
    const to = '2026-03-08'
    const http = client()
    const result = await tiktok.collect(
      http,
      { accessToken: accessFor(STEADY) },
      { externalAccountId: STEADY, from, to },
    )
    expect(result.failedMetrics).toEqual([])
    expect(byKey(result.points)).toEqual(expectedPoints(STEADY, eachDay(from, to)))
    // No user info call: the window does not reach today.
    expect(http.calls).toBe(pagesFor(videosIn(STEADY, from, to).length))
  })

  it('snapshots the user stats for today with one user info call', async () => {
    const openId = newOpenId()
    const http = client()
    const from = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10)
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

  it('follows cursor and has_more across pages of 20 videos', async () => {
    const from = '2026-03-01'
    const to = '2026-03-30'
    const count = videosIn(STEADY, from, to).length
    expect(count).toBeGreaterThan(40)
    const http = client()
    const result = await tiktok.collect(
      http,
      { accessToken: accessFor(STEADY) },
      { externalAccountId: STEADY, from, to },
    )
    expect(http.calls).toBe(pagesFor(count))
    expect(byKey(result.points)).toEqual(expectedPoints(STEADY, eachDay(from, to)))
  })

  it('stops after MAX_VIDEO_PAGES pages, keeping only the days it read whole and recording the rest', async () => {
    const from = '2025-01-01'
    const to = '2025-12-31'
    const videos = videosIn(STEADY, from, to).sort((a, b) => b.create_time - a.create_time)
    expect(videos.length).toBeGreaterThan(MAX_VIDEO_PAGES * 20)
    const oldestRead = new Date((videos[MAX_VIDEO_PAGES * 20 - 1]?.create_time ?? 0) * 1000)
      .toISOString()
      .slice(0, 10)
    const http = client()
    const result = await tiktok.collect(
      http,
      { accessToken: accessFor(STEADY) },
      { externalAccountId: STEADY, from, to },
    )
    expect(http.calls).toBe(MAX_VIDEO_PAGES)
    expect(byKey(result.points)).toEqual(
      expectedPoints(
        STEADY,
        eachDay(from, to).filter((day) => day > oldestRead),
      ),
    )
    expect(result.failedMetrics.map((f) => f.metric).sort()).toEqual(
      ['videos', ...Object.keys(VIDEO_METRICS)].sort(),
    )
    expect(result.failedMetrics[0]?.reason).toContain(`days up to ${oldestRead} not collected`)
  })

  it('keeps the other metrics when TikTok stops returning one, recording which', async () => {
    const openId = newOpenId()
    const from = '2026-03-01'
    const to = '2026-03-10'
    expect(videosIn(openId, from, to).length).toBeGreaterThan(0)
    await fakeControl('scenario', { account: openId, scenario: 'retired_metric' })
    const result = await tiktok.collect(
      client(),
      { accessToken: accessFor(openId) },
      { externalAccountId: openId, from, to },
    )
    expect(result.failedMetrics).toEqual([
      { metric: 'shares', reason: 'TikTok no longer returns share_count' },
    ])
    expect(byKey(result.points)).toEqual(
      expectedPoints(openId, eachDay(from, to)).filter((p) => p.metric !== 'shares'),
    )
  })

  describe('classifies failures', () => {
    const window = (openId: string) => ({ externalAccountId: openId, from: '2026-03-02', to: today() })

    it('access_token_invalid → token_invalid', async () => {
      const openId = newOpenId()
      const token = accessFor(openId)
      await fakeControl('revoke', { token })
      const error = await failure(tiktok.collect(client(), { accessToken: token }, window(openId)))
      expect(error).toMatchObject({ kind: 'token_invalid', platformCode: 'access_token_invalid' })
      expect((await failure(tiktok.validate(client(), { accessToken: token }, openId))).kind).toBe(
        'token_invalid',
      )
    })

    it('429 rate_limit_exceeded → throttled for the 1-minute window', async () => {
      const openId = newOpenId()
      await fakeControl('scenario', { account: openId, scenario: 'throttle' })
      const error = await failure(
        tiktok.collect(client(), { accessToken: accessFor(openId) }, window(openId)),
      )
      expect(error).toMatchObject({
        kind: 'throttled',
        platformCode: 'rate_limit_exceeded',
        retryAfterSeconds: 60,
      })
    })

    it('500 → transient', async () => {
      const openId = newOpenId()
      await fakeControl('scenario', { account: openId, scenario: 'server_error' })
      const error = await failure(
        tiktok.collect(client(), { accessToken: accessFor(openId) }, window(openId)),
      )
      expect(error).toMatchObject({ kind: 'transient', message: 'TikTok error 500' })
    })

    it('no answer within the timeout → transient', async () => {
      const openId = newOpenId()
      await fakeControl('scenario', { account: openId, scenario: 'slow' })
      const error = await failure(
        tiktok.collect(client({ timeoutMs: 300 }), { accessToken: accessFor(openId) }, window(openId)),
      )
      expect(error.kind).toBe('transient')
      expect(error.message).toMatch(/did not answer within 300 ms/)
    })
  })

  describe('refresh', () => {
    it('returns a new access token and the new refresh token with a 24-hour expiry; the old refresh token dies', async () => {
      const openId = newOpenId()
      const refreshToken = refreshFor(openId)
      const before = Date.now()
      const fresh = await refresh(refreshToken)
      expect(fresh.accessToken).toMatch(new RegExp(`^fake-tt\\.${openId}\\.`))
      expect(fresh.refreshToken).toMatch(new RegExp(`^fake-ttr\\.${openId}\\.`))
      expect(fresh.refreshToken).not.toBe(refreshToken)
      const expiresIn = (fresh.expiresAt?.getTime() ?? 0) - before
      expect(expiresIn).toBeGreaterThan(86_390_000)
      expect(expiresIn).toBeLessThan(86_410_000)
      expect(await tiktok.validate(client(), { accessToken: fresh.accessToken }, openId)).toMatchObject({
        externalAccountId: openId,
      })
      const reused = await failure(refresh(refreshToken))
      expect(reused).toMatchObject({ kind: 'token_invalid', platformCode: 'invalid_grant' })
    })

    it('refuses to run without the app’s client key and secret', async () => {
      const missing = await failure(
        refresh(refreshFor(newOpenId()), { clientId: APP.clientId, clientSecret: '' }),
      )
      expect(missing.kind).toBe('permanent')
    })
  })
})

describe('TikTok end to end', () => {
  it('registers with a refresh token, refreshes under the lock before collecting, keeps the refresh token that came back, never shows a token', async () => {
    const capture = captureQueue()
    const env = {
      ...db.env,
      JOBS: capture.queue,
      TIKTOK_CLIENT_ID: APP.clientId,
      TIKTOK_CLIENT_SECRET: APP.clientSecret,
    }
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const call = as({ ...db, env }, (await login(db, owner.email)).access_token)
    const openId = newOpenId()
    const original = { access: accessFor(openId), refresh: refreshFor(openId) }

    const registered = await captureLogs(() =>
      call('/api/v1/connections', {
        method: 'POST',
        json: {
          platform: 'tiktok',
          external_account_id: openId,
          access_token: original.access,
          refresh_token: original.refresh,
          expires_at: new Date(Date.now() + 5 * 60_000).toISOString(),
          label: 'TikTok da loja',
        },
      }),
    )
    expect(registered.result.status).toBe(201)
    const text = await registered.result.text()
    const connection = JSON.parse(text) as { id: string; display_name: string }
    expect(connection.display_name).toBe(`Conta ${openId.slice(-4)}`)

    // 90 days of backfill in 30-day windows; the first run finds the token 5 minutes from expiry.
    const windows = capture.messages as Extract<JobMessage, { type: 'collect.connection' }>[]
    expect(windows).toHaveLength(3)
    const first = windows[0] as (typeof windows)[number]
    const backfill = await captureLogs(() => runJobs(env, [first]))
    expect(backfill.result.explicitAcks).toHaveLength(1)

    const [row] = await db.owner<{
      token_version: number
      has_refresh_token: boolean
      token_expires_at: Date
    }>('select token_version, has_refresh_token, token_expires_at from connections where id = $1', [
      connection.id,
    ])
    expect(row?.token_version).toBe(2)
    expect(row?.has_refresh_token).toBe(true)
    expect(new Date(row?.token_expires_at ?? 0).getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000)

    const stored = {
      access: await readSecret(
        db.env,
        { tenantId: tenant.tenantId, ownerId: connection.id, purpose: 'access_token' },
        2,
      ),
      refresh: await readSecret(
        db.env,
        { tenantId: tenant.tenantId, ownerId: connection.id, purpose: 'refresh_token' },
        2,
      ),
    }
    expect(stored.access).toMatch(new RegExp(`^fake-tt\\.${openId}\\.`))
    expect(stored.access).not.toBe(original.access)
    expect(stored.refresh).toMatch(new RegExp(`^fake-ttr\\.${openId}\\.`))
    expect(stored.refresh).not.toBe(original.refresh)

    const points = await db.owner<{ metric: string; period_start: string; value: number }>(
      'select metric, period_start::text, value from metric_points where connection_id = $1',
      [connection.id],
    )
    expect(
      byKey(
        points.map((p) => ({
          metric: p.metric,
          granularity: 'day',
          periodStart: p.period_start,
          value: Number(p.value),
        })),
      ),
    ).toEqual(expectedPoints(openId, eachDay(first.from ?? '', first.to ?? '')))

    // A scheduled run afterwards: the token is fresh, so no refresh; 2 calls, followers for today.
    const scheduled = await captureLogs(() =>
      runJobs(env, [
        {
          type: 'collect.connection',
          v: 1,
          tenantId: tenant.tenantId,
          connectionId: connection.id,
          kind: 'scheduled',
        },
      ]),
    )
    const runs = await db.owner<{ kind: string; status: string; api_calls: number }>(
      'select kind, status, api_calls from collection_runs where connection_id = $1 order by started_at',
      [connection.id],
    )
    expect(runs.map((r) => [r.kind, r.status])).toEqual([
      ['backfill', 'succeeded'],
      ['scheduled', 'succeeded'],
    ])
    expect(runs[1]?.api_calls).toBe(2)
    const [followers] = await db.owner<{ value: number; period_start: string }>(
      "select value, period_start::text from metric_points where connection_id = $1 and metric = 'followers'",
      [connection.id],
    )
    expect(followers).toEqual({
      value: tiktokUserStats(openId, today()).follower_count,
      period_start: today(),
    })

    // The refresh token the consumer stored is the live one: TikTok already killed the original.
    expect((await failure(refresh(original.refresh))).kind).toBe('token_invalid')
    const detail = await (await call(`/api/v1/connections/${connection.id}`)).text()
    const everything = [
      text,
      detail,
      JSON.stringify(registered.lines),
      JSON.stringify(backfill.lines),
      JSON.stringify(scheduled.lines),
    ].join('\n')
    for (const token of [original.access, original.refresh, stored.access, stored.refresh])
      expect(everything).not.toContain(token)
    expect((await refresh(stored.refresh)).refreshToken).toMatch(/^fake-ttr\./)
  })
})
