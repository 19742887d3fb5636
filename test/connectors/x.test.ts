import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { xPostsOn, xUserMetrics } from '../../db/local/fakes/x.ts'
import { eachDay, platformHttp } from '../../worker/connectors/http.ts'
import { ConnectorError, type Point } from '../../worker/connectors/types.ts'
import { POST_METRICS, USER_METRICS } from '../../worker/connectors/x/catalog.ts'
import { MAX_POST_PAGES, x } from '../../worker/connectors/x/connector.ts'
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
beforeEach(async () => {
  await fakeControl('reset', {})
})

let seq = 0
/** A fresh X user id, so scripted scenarios touch this test only. */
const newUser = () => `15${Date.now().toString().slice(-9)}${String(++seq).padStart(4, '0')}`
/** Fixed ids where the test needs the fake's data for past dates to be the same on every run. */
const STEADY_USER = '1500000000000000001'
const accessFor = (user: string) => `fake-x.${user}.${crypto.randomUUID()}`
const refreshFor = (user: string) => `fake-xr.${user}.${crypto.randomUUID()}`
const client = (options: { timeoutMs?: number } = {}) =>
  platformHttp({ baseUrl: `${sharedEnv.TEST_FAKE_PLATFORMS_URL}/x`, ...options })
const APP = { clientId: 'integra-x-client', clientSecret: 'integra-x-secret' }
const today = () => new Date().toISOString().slice(0, 10)
/** X's refresh (the Connector type makes it optional). */
const refresh = (refreshToken: string, app = APP) => {
  if (!x.refresh) throw new Error('the X connector must refresh tokens')
  return x.refresh(client(), { accessToken: '', refreshToken }, app)
}

const byKey = (points: Point[]) =>
  [...points].sort((a, b) => `${a.metric}|${a.periodStart}`.localeCompare(`${b.metric}|${b.periodStart}`))

/** Daily points as the fake's own formula gives them: the user's own posts, reposts left out. */
function expectedPoints(user: string, days: string[]): Point[] {
  const points: Point[] = []
  for (const day of days) {
    const own = xPostsOn(user, day).filter((post) => !post.repost)
    points.push({ metric: 'posts', granularity: 'day', periodStart: day, value: own.length })
    for (const [metric, key] of Object.entries(POST_METRICS)) {
      const value = own.reduce((sum, post) => sum + post.metrics[key], 0)
      points.push({ metric, granularity: 'day', periodStart: day, value })
    }
  }
  return byKey(points)
}

const ownPosts = (user: string, from: string, to: string) =>
  eachDay(from, to).flatMap((day) => xPostsOn(user, day).filter((post) => !post.repost))

async function failure(work: Promise<unknown>): Promise<ConnectorError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConnectorError)
  return error as ConnectorError
}

describe('X connector against the fake', () => {
  it('validates with /2/users/me and refuses a token that belongs to another account', async () => {
    const user = newUser()
    const http = client()
    expect(await x.validate(http, { accessToken: accessFor(user) }, user)).toEqual({
      externalAccountId: user,
      displayName: `@conta_${user.slice(-4)}`,
    })
    expect(http.calls).toBe(1)
    const other = await failure(x.validate(client(), { accessToken: accessFor(newUser()) }, user))
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
    expect(byKey(result.points)).toEqual(expectedPoints(STEADY_USER, eachDay(from, to)))
    // No user read: the window does not reach today.
    expect(http.calls).toBe(1)
  })

  it('snapshots the user’s public metrics for today with exactly one user read and one posts page', async () => {
    const user = newUser()
    const http = client()
    const from = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10)
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

  it('follows next_token across pages of 100 posts', async () => {
    const from = '2026-01-01'
    const to = '2026-02-28'
    const count = ownPosts(STEADY_USER, from, to).length
    expect(count).toBeGreaterThan(100)
    const http = client()
    const result = await x.collect(
      http,
      { accessToken: accessFor(STEADY_USER) },
      { externalAccountId: STEADY_USER, from, to },
    )
    expect(http.calls).toBe(Math.ceil(count / 100))
    expect(byKey(result.points)).toEqual(expectedPoints(STEADY_USER, eachDay(from, to)))
  })

  it('stops after MAX_POST_PAGES pages, keeping only the days it read whole and recording the rest', async () => {
    const from = '2025-01-01'
    const to = '2025-12-31'
    const posts = ownPosts(STEADY_USER, from, to).sort((a, b) => b.createdAt - a.createdAt)
    expect(posts.length).toBeGreaterThan(MAX_POST_PAGES * 100)
    const oldestRead = new Date((posts[MAX_POST_PAGES * 100 - 1]?.createdAt ?? 0) * 1000)
      .toISOString()
      .slice(0, 10)
    const http = client()
    const result = await x.collect(
      http,
      { accessToken: accessFor(STEADY_USER) },
      { externalAccountId: STEADY_USER, from, to },
    )
    expect(http.calls).toBe(MAX_POST_PAGES)
    expect(byKey(result.points)).toEqual(
      expectedPoints(
        STEADY_USER,
        eachDay(from, to).filter((day) => day > oldestRead),
      ),
    )
    expect(result.failedMetrics.map((f) => f.metric).sort()).toEqual(
      ['posts', ...Object.keys(POST_METRICS)].sort(),
    )
    expect(result.failedMetrics[0]?.reason).toContain(`days up to ${oldestRead} not collected`)
  })

  it('keeps the other metrics when X stops returning one, recording which', async () => {
    const user = newUser()
    await fakeControl('scenario', { account: user, scenario: 'retired_metric' })
    const result = await x.collect(
      client(),
      { accessToken: accessFor(user) },
      { externalAccountId: user, from: '2026-03-02', to: '2026-03-04' },
    )
    expect(result.failedMetrics).toEqual([
      { metric: 'bookmarks', reason: 'X no longer returns public_metrics.bookmark_count' },
    ])
    const expected = expectedPoints(user, eachDay('2026-03-02', '2026-03-04')).filter(
      (p) => p.metric !== 'bookmarks',
    )
    expect(byKey(result.points)).toEqual(expected)
  })

  describe('classifies failures', () => {
    const window = (user: string) => ({ externalAccountId: user, from: '2026-03-02', to: today() })

    it('a revoked token → token_invalid', async () => {
      const user = newUser()
      const token = accessFor(user)
      await fakeControl('revoke', { token })
      expect((await failure(x.collect(client(), { accessToken: token }, window(user)))).kind).toBe(
        'token_invalid',
      )
      expect((await failure(x.validate(client(), { accessToken: token }, user))).kind).toBe('token_invalid')
    })

    it('429 → throttled until x-rate-limit-reset', async () => {
      const user = newUser()
      await fakeControl('scenario', { account: user, scenario: 'throttle' })
      const error = await failure(x.collect(client(), { accessToken: accessFor(user) }, window(user)))
      expect(error.kind).toBe('throttled')
      expect(error.platformCode).toBe('429')
      // The fake resets its window 90 s from now.
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(85)
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(91)
    })

    it('500 → transient', async () => {
      const user = newUser()
      await fakeControl('scenario', { account: user, scenario: 'server_error' })
      const error = await failure(x.collect(client(), { accessToken: accessFor(user) }, window(user)))
      expect(error.kind).toBe('transient')
      expect(error.message).toBe('X error 500')
    })

    it('no answer within the timeout → transient', async () => {
      const user = newUser()
      await fakeControl('scenario', { account: user, scenario: 'slow' })
      const error = await failure(
        x.collect(client({ timeoutMs: 300 }), { accessToken: accessFor(user) }, window(user)),
      )
      expect(error.kind).toBe('transient')
      expect(error.message).toMatch(/did not answer within 300 ms/)
    })
  })

  describe('refresh', () => {
    it('returns a new access token, a new refresh token and a 2-hour expiry; the old refresh token dies', async () => {
      const user = newUser()
      const refreshToken = refreshFor(user)
      const before = Date.now()
      const fresh = await refresh(refreshToken)
      expect(fresh.accessToken).toMatch(new RegExp(`^fake-x\\.${user}\\.`))
      expect(fresh.refreshToken).toMatch(new RegExp(`^fake-xr\\.${user}\\.`))
      expect(fresh.refreshToken).not.toBe(refreshToken)
      const expiresIn = (fresh.expiresAt?.getTime() ?? 0) - before
      expect(expiresIn).toBeGreaterThan(7_190_000)
      expect(expiresIn).toBeLessThan(7_210_000)
      // The new access token works.
      expect(await x.validate(client(), { accessToken: fresh.accessToken }, user)).toMatchObject({
        externalAccountId: user,
      })
      expect((await failure(refresh(refreshToken))).kind).toBe('token_invalid')
    })

    it('works for a public client (no secret) and refuses to run without a client id', async () => {
      const user = newUser()
      const fresh = await refresh(refreshFor(user), { clientId: APP.clientId, clientSecret: '' })
      expect(fresh.refreshToken).toMatch(/^fake-xr\./)
      const unconfigured = await failure(refresh(refreshFor(user), { clientId: '', clientSecret: '' }))
      expect(unconfigured.kind).toBe('permanent')
    })
  })
})

describe('X end to end', () => {
  it('registers with a refresh token, refreshes under the lock before collecting, keeps the new refresh token, never shows a token', async () => {
    const capture = captureQueue()
    const env = {
      ...db.env,
      JOBS: capture.queue,
      X_CLIENT_ID: APP.clientId,
      X_CLIENT_SECRET: APP.clientSecret,
    }
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const call = as({ ...db, env }, (await login(db, owner.email)).access_token)
    const user = newUser()
    const original = { access: accessFor(user), refresh: refreshFor(user) }

    const registered = await captureLogs(() =>
      call('/api/v1/connections', {
        method: 'POST',
        json: {
          platform: 'x',
          external_account_id: user,
          access_token: original.access,
          refresh_token: original.refresh,
          expires_at: new Date(Date.now() + 5 * 60_000).toISOString(),
          label: 'Perfil X',
        },
      }),
    )
    expect(registered.result.status).toBe(201)
    const text = await registered.result.text()
    const connection = JSON.parse(text) as { id: string; display_name: string }
    expect(connection.display_name).toBe(`@conta_${user.slice(-4)}`)

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
    expect(new Date(row?.token_expires_at ?? 0).getTime()).toBeGreaterThan(Date.now() + 110 * 60_000)

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
    expect(stored.access).toMatch(new RegExp(`^fake-x\\.${user}\\.`))
    expect(stored.access).not.toBe(original.access)
    expect(stored.refresh).toMatch(new RegExp(`^fake-xr\\.${user}\\.`))
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
    ).toEqual(expectedPoints(user, eachDay(first.from ?? '', first.to ?? '')))

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
    expect(followers).toEqual({ value: xUserMetrics(user, today()).followers_count, period_start: today() })

    // The refresh token the consumer stored is the live one: X already killed the original.
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
    expect((await refresh(stored.refresh)).refreshToken).toMatch(/^fake-xr\./)
  })
})
