import { beforeAll, describe, expect, it } from 'vitest'
import { fakeWhatsappDay } from '../../db/local/fakes/whatsapp.ts'
import { eachDay, platformHttp } from '../../worker/connectors/http.ts'
import type { Point } from '../../worker/connectors/types.ts'
import { whatsapp } from '../../worker/connectors/whatsapp/connector.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { byMetricAndDay, daysAgo, rejection, runJobs, setup, uniqueAccount } from '../helpers/connections.ts'
import { createTestDatabase, fakeControl, sharedEnv, type TestDatabase } from '../helpers/env.ts'
import { errorCode } from '../helpers/fixtures.ts'
import { captureLogs } from '../helpers/worker.ts'

const http = (options: { timeoutMs?: number } = {}) =>
  platformHttp({ baseUrl: `${sharedEnv.TEST_FAKE_PLATFORMS_URL}/whatsapp`, ...options })

const newWaba = () => uniqueAccount('1022')
const newToken = () => `fake-wa-${crypto.randomUUID()}`

const KEYS = {
  messages_sent: 'sent',
  messages_delivered: 'delivered',
  conversations: 'conversation',
} as const

/** What the fake serves for these days, as the connector should normalize it (quiet days: no point). */
function expectedPoints(waba: string, metrics: (keyof typeof KEYS)[], from: string, to: string): Point[] {
  return eachDay(from, to)
    .flatMap((periodStart) => {
      const traffic = fakeWhatsappDay(waba, periodStart)
      if (!traffic) return []
      return metrics.map((metric) => ({
        metric,
        granularity: 'day' as const,
        periodStart,
        value: traffic[KEYS[metric]],
      }))
    })
    .sort(byMetricAndDay)
}

const recent = (waba: string) => ({ externalAccountId: waba, from: daysAgo(3), to: daysAgo(1) })

describe('whatsapp connector', () => {
  it('validates a system-user token on the WABA and reads its name', async () => {
    const waba = newWaba()
    expect(await whatsapp.validate(http(), { accessToken: newToken() }, waba)).toEqual({
      externalAccountId: waba,
      displayName: `WhatsApp ${waba.slice(-4)}`,
    })
    const error = await rejection(whatsapp.validate(http(), { accessToken: 'not-issued-by-meta' }, waba))
    expect(error).toMatchObject({ kind: 'token_invalid', platformCode: '190' })
  })

  it('collects messages sent, delivered and conversations per day in one call, skipping quiet days', async () => {
    // A fixed WABA and range, so the quiet days below are known to exist.
    const waba = '102290129340398'
    const client = http()
    const result = await whatsapp.collect(
      client,
      { accessToken: newToken() },
      {
        externalAccountId: waba,
        from: '2026-05-01',
        to: '2026-06-29',
      },
    )
    expect(result.failedMetrics).toEqual([])
    expect(client.calls).toBe(1)
    const expected = expectedPoints(
      waba,
      ['messages_sent', 'messages_delivered', 'conversations'],
      '2026-05-01',
      '2026-06-29',
    )
    expect([...result.points].sort(byMetricAndDay)).toEqual(expected)
    const quiet = eachDay('2026-05-01', '2026-06-29').filter((day) => !fakeWhatsappDay(waba, day))
    expect(quiet.length).toBeGreaterThan(0)
    expect(result.points.some((p) => quiet.includes(p.periodStart))).toBe(false)
  })

  it('classifies a revoked token as token_invalid', async () => {
    const waba = newWaba()
    const token = newToken()
    await fakeControl('revoke', { token })
    const error = await rejection(whatsapp.collect(http(), { accessToken: token }, recent(waba)))
    expect(error).toMatchObject({ kind: 'token_invalid', platformCode: '190', retryAfterSeconds: undefined })
  })

  it('classifies throttling with the wait from X-Business-Use-Case-Usage', async () => {
    const waba = newWaba()
    await fakeControl('scenario', { account: waba, scenario: 'throttle' })
    const error = await rejection(whatsapp.collect(http(), { accessToken: newToken() }, recent(waba)))
    // estimated_time_to_regain_access: 4 minutes.
    expect(error).toMatchObject({ kind: 'throttled', platformCode: '80008', retryAfterSeconds: 240 })
  })

  it('classifies a 500 as transient', async () => {
    const waba = newWaba()
    await fakeControl('scenario', { account: waba, scenario: 'server_error' })
    const error = await rejection(whatsapp.collect(http(), { accessToken: newToken() }, recent(waba)))
    expect(error.kind).toBe('transient')
  })

  it('classifies a platform that does not answer in time as transient', async () => {
    const waba = newWaba()
    await fakeControl('scenario', { account: waba, scenario: 'slow' })
    const error = await rejection(
      whatsapp.collect(http({ timeoutMs: 300 }), { accessToken: newToken() }, recent(waba)),
    )
    expect(error).toMatchObject({ kind: 'transient', message: expect.stringMatching(/300 ms/) })
  })

  it('keeps the message counts when conversation_analytics is refused, recording conversations as failed', async () => {
    const waba = newWaba()
    await fakeControl('scenario', { account: waba, scenario: 'retired_metric' })
    const client = http()
    const result = await whatsapp.collect(
      client,
      { accessToken: newToken() },
      {
        externalAccountId: waba,
        from: '2026-04-01',
        to: '2026-04-20',
      },
    )
    expect(result.failedMetrics).toEqual([
      {
        metric: 'conversations',
        reason: expect.stringMatching(/nonexisting field \(conversation_analytics\)/),
      },
    ])
    expect([...result.points].sort(byMetricAndDay)).toEqual(
      expectedPoints(waba, ['messages_sent', 'messages_delivered'], '2026-04-01', '2026-04-20'),
    )
    // The combined call, then one call per field.
    expect(client.calls).toBe(3)
  })
})

describe('whatsapp through the API and the collection consumer', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase()
  })

  it('registers a WABA and backfills 90 days of message analytics, never echoing the token', async () => {
    const { call, capture, env } = await setup(db)
    const waba = newWaba()
    const token = newToken()
    const created = await call('/api/v1/connections', {
      method: 'POST',
      json: { platform: 'whatsapp', external_account_id: waba, access_token: token, label: 'Atendimento' },
    })
    expect(created.status).toBe(201)
    const createdText = await created.text()
    expect(createdText).not.toContain(token)
    const connection = JSON.parse(createdText) as { id: string }
    expect(connection).toMatchObject({
      platform: 'whatsapp',
      external_account_id: waba,
      status: 'active',
      display_name: `WhatsApp ${waba.slice(-4)}`,
      backfill: { done_days: 0, total_days: 90 },
    })

    const backfill = capture.messages as JobMessage[]
    expect(backfill).toEqual([
      expect.objectContaining({ kind: 'backfill', from: daysAgo(90), to: daysAgo(1) }),
    ])
    const { result, lines } = await captureLogs(() => runJobs(env, backfill))
    expect(result.explicitAcks).toHaveLength(1)
    expect(JSON.stringify(lines)).not.toContain(token)

    const stored = await db.owner<{
      metric: string
      granularity: 'day'
      period_start: string
      value: number
    }>('select metric, granularity, period_start::text, value from metric_points where connection_id = $1', [
      connection.id,
    ])
    expect(
      stored
        .map((p) => ({
          metric: p.metric,
          granularity: p.granularity,
          periodStart: p.period_start,
          value: p.value,
        }))
        .sort(byMetricAndDay),
    ).toEqual(
      expectedPoints(waba, ['messages_sent', 'messages_delivered', 'conversations'], daysAgo(90), daysAgo(1)),
    )
    const runs = await db.owner('select status, api_calls from collection_runs where connection_id = $1', [
      connection.id,
    ])
    expect(runs).toEqual([{ status: 'succeeded', api_calls: 1 }])

    const detail = await call(`/api/v1/connections/${connection.id}`)
    const detailText = await detail.text()
    expect(JSON.parse(detailText)).toMatchObject({
      status: 'active',
      backfill: { done_days: 90, total_days: 90 },
    })
    const list = await (await call('/api/v1/connections')).text()
    for (const text of [detailText, list]) expect(text).not.toContain(token)
  })

  it('refuses a revoked token with 422, storing nothing and not echoing it', async () => {
    const { call, tenant } = await setup(db)
    const token = newToken()
    await fakeControl('revoke', { token })
    const response = await call('/api/v1/connections', {
      method: 'POST',
      json: { platform: 'whatsapp', external_account_id: newWaba(), access_token: token },
    })
    expect(response.status).toBe(422)
    expect(await response.clone().text()).not.toContain(token)
    expect(await errorCode(response)).toBe('TOKEN_REJECTED')
    expect(await db.owner('select id from connections where tenant_id = $1', [tenant.tenantId])).toEqual([])
  })
})
