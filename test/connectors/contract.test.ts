import { beforeAll, describe, expect, it } from 'vitest'
import type { Point, Tokens } from '../../worker/connectors/types.ts'
import type { JobOf } from '../../worker/jobs/messages.ts'
import {
  byMetricAndDay,
  collectJob,
  daysAgo,
  readSecret,
  rejection,
  runJobs,
  setup,
} from '../helpers/connections.ts'
import { createTestDatabase, fakeControl, type TestDatabase } from '../helpers/env.ts'
import { errorCode } from '../helpers/fixtures.ts'
import { captureLogs } from '../helpers/worker.ts'
import { facebookFixture } from './fixtures/facebook.ts'
import {
  applicable,
  type ConnectorFixture,
  fakeHttp,
  type Maybe,
  type RefreshFixture,
} from './fixtures/fixture.ts'
import { instagramFixture } from './fixtures/instagram.ts'
import { tiktokFixture } from './fixtures/tiktok.ts'
import { whatsappFixture } from './fixtures/whatsapp.ts'
import { xFixture } from './fixtures/x.ts'

/**
 * The scenarios every connector shares (a revoked token, throttling, a failing or silent
 * platform, a retired metric, reading a long range, the page cap, token refresh), run over every
 * platform against its fake. Each platform's fixture (test/connectors/fixtures/) says how to
 * trigger a scenario in its fake and what that platform must answer; a scenario a platform does
 * not have is declared there with the reason and listed here as skipped. What only one platform
 * does stays in test/connectors/<platform>.test.ts.
 */

const FIXTURES: ConnectorFixture[] = [
  instagramFixture,
  facebookFixture,
  xFixture,
  tiktokFixture,
  whatsappFixture,
]

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A test for a scenario the fixture may declare not applicable: then skipped, the reason in its name. */
function scenario<T extends object>(name: string, declared: Maybe<T>, body: (fixture: T) => Promise<void>) {
  if (applicable(declared)) it(name, () => body(declared))
  else it.skip(`${name} — not applicable: ${declared.notApplicable}`, () => {})
}

const sorted = (points: Point[]) => [...points].sort(byMetricAndDay)

/** Today and the 3 days before: the first request fails, whichever call a run starts with. */
const recent = (account: string) => ({ externalAccountId: account, from: daysAgo(3), to: daysAgo(0) })

describe.each(FIXTURES)('$platform connector contract', (fixture) => {
  const { connector } = fixture
  const http = (options: { timeoutMs?: number } = {}) => fakeHttp(fixture.platform, options)
  /** A fresh account, its token, and the scenario triggered for them. */
  async function triggered(trigger: (account: string, token: string) => Promise<unknown>) {
    const account = fixture.newAccount()
    const token = fixture.tokenFor(account)
    await trigger(account, token)
    return { account, token }
  }

  it('validates a working token in one call, reading the account’s name', async () => {
    const account = fixture.newAccount()
    const client = http()
    expect(await connector.validate(client, { accessToken: fixture.tokenFor(account) }, account)).toEqual(
      fixture.profile(account),
    )
    expect(client.calls).toBe(1)
  })

  describe('a revoked token', () => {
    it(`fails validate and collect as token_invalid (${fixture.revoked.platformCode}), with no wait to retry after`, async () => {
      const { account, token } = await triggered(fixture.revoked.trigger)
      const expected = {
        kind: 'token_invalid',
        platformCode: fixture.revoked.platformCode,
        retryAfterSeconds: undefined,
      }
      expect(await rejection(connector.validate(http(), { accessToken: token }, account))).toMatchObject(
        expected,
      )
      expect(
        await rejection(connector.collect(http(), { accessToken: token }, recent(account))),
      ).toMatchObject(expected)
    })

    it('is refused at registration with 422 TOKEN_REJECTED, storing nothing and not echoing it', async () => {
      const { call, tenant } = await setup(db)
      const { account, token } = await triggered(fixture.revoked.trigger)
      const response = await call('/api/v1/connections', {
        method: 'POST',
        json: { platform: fixture.platform, external_account_id: account, access_token: token },
      })
      expect(response.status).toBe(422)
      expect(await response.clone().text()).not.toContain(token)
      expect(await errorCode(response)).toBe('TOKEN_REJECTED')
      expect(await db.owner('select id from connections where tenant_id = $1', [tenant.tenantId])).toEqual([])
    })
  })

  it(`classifies throttling as throttled (${fixture.rateLimit.platformCode}), waiting ${fixture.rateLimit.hint}`, async () => {
    const { account, token } = await triggered(fixture.rateLimit.trigger)
    const error = await rejection(connector.collect(http(), { accessToken: token }, recent(account)))
    expect(error).toMatchObject({ kind: 'throttled', platformCode: fixture.rateLimit.platformCode })
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(fixture.rateLimit.retryAfterSeconds.min)
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(fixture.rateLimit.retryAfterSeconds.max)
  })

  it('classifies a 500 as transient', async () => {
    const { account, token } = await triggered(fixture.serverError.trigger)
    const error = await rejection(connector.collect(http(), { accessToken: token }, recent(account)))
    expect(error).toMatchObject({ kind: 'transient', message: fixture.serverError.message })
  })

  it('classifies a platform that does not answer in time as transient', async () => {
    const { account, token } = await triggered(fixture.timeout.trigger)
    const error = await rejection(
      connector.collect(http({ timeoutMs: 300 }), { accessToken: token }, recent(account)),
    )
    expect(error).toMatchObject({
      kind: 'transient',
      message: expect.stringMatching(/did not answer within 300 ms/),
    })
  })

  const retired = fixture.retiredMetric
  it(`keeps the other metrics when one is retired, recording which failed (${retired.failedMetrics
    .map((f) => f.metric)
    .join(', ')})`, async () => {
    const account = fixture.newAccount()
    retired.precondition?.(account, retired.range)
    const token = fixture.tokenFor(account)
    await retired.trigger(account, token)
    const client = http()
    const result = await connector.collect(
      client,
      { accessToken: token },
      { externalAccountId: account, ...retired.range },
    )
    expect(result.failedMetrics).toEqual(
      retired.failedMetrics.map(({ metric, reason }) => ({
        metric,
        reason: typeof reason === 'string' ? reason : expect.stringMatching(reason),
      })),
    )
    const gone = new Set(retired.failedMetrics.map((f) => f.metric))
    expect(sorted(result.points)).toEqual(
      fixture.expected(account, retired.range).filter((p) => !gone.has(p.metric)),
    )
    if (retired.calls !== undefined) expect(client.calls).toBe(retired.calls)
  })

  const pages = fixture.pagination
  it(`reads a long range whole, exactly as served: ${pages.shape}`, async () => {
    const account = pages.account ?? fixture.newAccount()
    await pages.precondition?.(account, pages.range)
    const client = http()
    const result = await connector.collect(
      client,
      { accessToken: fixture.tokenFor(account) },
      { externalAccountId: account, ...pages.range },
    )
    expect(result.failedMetrics).toEqual([])
    expect(client.calls).toBe(pages.calls(account, pages.range))
    expect(sorted(result.points)).toEqual(fixture.expected(account, pages.range))
  })

  scenario(
    'stops after its page cap, keeping only the days it read whole and recording the rest',
    fixture.pageCap,
    async (cap) => {
      const created = cap.items(cap.account, cap.range).sort((a, b) => b - a)
      expect(created.length).toBeGreaterThan(cap.maxPages * cap.pageSize)
      const oldestRead = new Date((created[cap.maxPages * cap.pageSize - 1] ?? 0) * 1000)
        .toISOString()
        .slice(0, 10)
      const client = http()
      const result = await connector.collect(
        client,
        { accessToken: fixture.tokenFor(cap.account) },
        { externalAccountId: cap.account, ...cap.range },
      )
      expect(client.calls).toBe(cap.maxPages)
      expect(sorted(result.points)).toEqual(
        fixture.expected(cap.account, cap.range).filter((p) => p.periodStart > oldestRead),
      )
      expect(result.failedMetrics.map((f) => f.metric).sort()).toEqual([...cap.dayMetrics].sort())
      expect(result.failedMetrics[0]?.reason).toContain(`days up to ${oldestRead} not collected`)
    },
  )

  describe('refresh', () => {
    const declared = fixture.refresh
    const refresh = (r: RefreshFixture, tokens: Tokens, app = r.app) => {
      if (!connector.refresh) throw new Error(`the ${fixture.platform} connector must refresh tokens`)
      return connector.refresh(http(), tokens, app)
    }

    it(
      applicable(declared)
        ? 'is declared exactly when the connector refreshes tokens'
        : `has none: ${declared.notApplicable}`,
      () => {
        expect(typeof connector.refresh).toBe(applicable(declared) ? 'function' : 'undefined')
        expect(typeof connector.refreshLeadSeconds).toBe(applicable(declared) ? 'number' : 'undefined')
      },
    )

    scenario('returns a working token with the platform’s lifetime', declared, async (r) => {
      const account = fixture.newAccount()
      const stored = r.stored(account)
      const before = Date.now()
      const fresh = await refresh(r, stored)
      expect(fresh.accessToken).toMatch(r.issued.accessToken(account))
      expect(fresh.accessToken).not.toBe(stored.accessToken)
      if (r.issued.refreshToken) {
        expect(fresh.refreshToken).toMatch(r.issued.refreshToken(account))
        expect(fresh.refreshToken).not.toBe(stored.refreshToken)
      } else expect(fresh.refreshToken).toBeNull()
      const expiresIn = (fresh.expiresAt?.getTime() ?? 0) - before
      expect(expiresIn).toBeGreaterThan(r.issued.lifetimeSeconds * 1000 - 10_000)
      expect(expiresIn).toBeLessThan(r.issued.lifetimeSeconds * 1000 + 10_000)
      expect(await connector.validate(http(), { accessToken: fresh.accessToken }, account)).toMatchObject({
        externalAccountId: account,
      })
    })

    const rotation = applicable(declared) && !applicable(declared.rotation) ? declared.rotation : declared
    scenario('rotates the refresh token: the one used is refused afterwards', rotation, async (r) => {
      const account = fixture.newAccount()
      const stored = r.stored(account)
      const fresh = await refresh(r, stored)
      expect(await rejection(refresh(r, stored))).toMatchObject({
        kind: 'token_invalid',
        platformCode: r.refusedCode,
      })
      expect((await refresh(r, fresh)).accessToken).toMatch(r.issued.accessToken(account))
    })

    scenario(
      'turns a refused refresh into token_invalid: the account must reconnect',
      declared,
      async (r) => {
        const account = fixture.newAccount()
        const stored = r.stored(account)
        await fakeControl('revoke', { token: r.refreshCredential(stored) })
        expect(await rejection(refresh(r, stored))).toMatchObject({
          kind: 'token_invalid',
          platformCode: r.refusedCode,
        })
      },
    )

    if (applicable(declared)) {
      for (const { app, outcome, why } of declared.appCredentials) {
        const missing = [!app.clientId && 'client id', !app.clientSecret && 'secret']
          .filter(Boolean)
          .join(' or ')
        it(`without the app’s ${missing}: ${outcome} (${why})`, async () => {
          const account = fixture.newAccount()
          const attempt = refresh(declared, declared.stored(account), app)
          if (outcome === 'permanent') expect((await rejection(attempt)).kind).toBe('permanent')
          else {
            const fresh = await attempt
            expect(fresh.accessToken).toMatch(declared.issued.accessToken(account))
            if (declared.issued.refreshToken)
              expect(fresh.refreshToken).toMatch(declared.issued.refreshToken(account))
          }
        })
      }
    } else it.skip(`with incomplete app credentials — not applicable: ${declared.notApplicable}`, () => {})

    scenario(
      'through the consumer: refreshes under the lock before collecting, keeps the tokens that came back, never shows a token',
      declared,
      async (r) => {
        const { call, capture, env, tenant } = await setup(db, {}, r.bindings)
        const account = fixture.newAccount()
        const original = r.stored(account)
        const registered = await captureLogs(() =>
          call('/api/v1/connections', {
            method: 'POST',
            json: {
              platform: fixture.platform,
              external_account_id: account,
              access_token: original.accessToken,
              ...(original.refreshToken ? { refresh_token: original.refreshToken } : {}),
              expires_at: new Date(Date.now() + 5 * 60_000).toISOString(),
            },
          }),
        )
        expect(registered.result.status).toBe(201)
        const text = await registered.result.text()
        const connection = JSON.parse(text) as { id: string; display_name: string }
        expect(connection.display_name).toBe(fixture.profile(account).displayName)

        // 90 days of backfill in windows; the first run finds the token 5 minutes from expiry.
        const windows = capture.messages as JobOf<'collect.connection'>[]
        expect(windows).toHaveLength(Math.ceil(90 / connector.maxWindowDays))
        const first = windows[0] as JobOf<'collect.connection'>
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
        expect(row?.has_refresh_token).toBe(r.issued.refreshToken !== null)
        expect(new Date(row?.token_expires_at ?? 0).getTime()).toBeGreaterThan(
          Date.now() + r.issued.lifetimeSeconds * 1000 - 10 * 60_000,
        )

        const secret = (purpose: 'access_token' | 'refresh_token') =>
          readSecret(db.env, { tenantId: tenant.tenantId, ownerId: connection.id, purpose }, 2)
        const stored = {
          access: await secret('access_token'),
          refresh: r.issued.refreshToken ? await secret('refresh_token') : null,
        }
        expect(stored.access).toMatch(r.issued.accessToken(account))
        expect(stored.access).not.toBe(original.accessToken)
        if (r.issued.refreshToken) {
          expect(stored.refresh).toMatch(r.issued.refreshToken(account))
          expect(stored.refresh).not.toBe(original.refreshToken)
        }

        const points = await db.owner<{
          metric: string
          granularity: 'day' | 'lifetime'
          period_start: string
          value: number
        }>(
          'select metric, granularity, period_start::text, value from metric_points where connection_id = $1',
          [connection.id],
        )
        expect(
          sorted(
            points.map((p) => ({
              metric: p.metric,
              granularity: p.granularity,
              periodStart: p.period_start,
              value: Number(p.value),
            })),
          ),
        ).toEqual(fixture.expected(account, { from: first.from ?? '', to: first.to ?? '' }))

        // A scheduled run afterwards: the token is fresh, so no refresh; followers for today.
        const scheduled = await captureLogs(() => runJobs(env, [collectJob(tenant.tenantId, connection.id)]))
        const runs = await db.owner<{ kind: string; status: string; api_calls: number }>(
          'select kind, status, api_calls from collection_runs where connection_id = $1 order by started_at',
          [connection.id],
        )
        expect(runs.map((run) => [run.kind, run.status])).toEqual([
          ['backfill', 'succeeded'],
          ['scheduled', 'succeeded'],
        ])
        expect(runs[1]?.api_calls).toBe(r.scheduled.calls)
        const today = daysAgo(0)
        const [followers] = await db.owner<{ value: number; period_start: string }>(
          "select value, period_start::text from metric_points where connection_id = $1 and metric = 'followers'",
          [connection.id],
        )
        expect(followers).toEqual({ value: r.scheduled.followers(account, today), period_start: today })

        // The refresh token the consumer stored is the live one: a rotating platform killed the original.
        if (applicable(r.rotation)) expect((await rejection(refresh(r, original))).kind).toBe('token_invalid')
        const detail = await (await call(`/api/v1/connections/${connection.id}`)).text()
        const everything = [
          text,
          detail,
          JSON.stringify(registered.lines),
          JSON.stringify(backfill.lines),
          JSON.stringify(scheduled.lines),
        ].join('\n')
        for (const token of [original.accessToken, original.refreshToken, stored.access, stored.refresh]) {
          if (token) expect(everything).not.toContain(token)
        }
        const again = await refresh(r, { accessToken: stored.access, refreshToken: stored.refresh })
        expect(again.accessToken).toMatch(r.issued.accessToken(account))
        if (r.issued.refreshToken) expect(again.refreshToken).toMatch(r.issued.refreshToken(account))
      },
    )
  })
})
