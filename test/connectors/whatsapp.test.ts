import { beforeAll, describe, expect, it } from 'vitest'
import { fakeWhatsappDay } from '../../db/local/fakes/whatsapp.ts'
import { eachDay } from '../../worker/connectors/http.ts'
import { whatsapp } from '../../worker/connectors/whatsapp/connector.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { byMetricAndDay, daysAgo, rejection, runJobs, setup } from '../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { captureLogs } from '../helpers/worker.ts'
import { fakeHttp } from './fixtures/fixture.ts'
import { expectedWhatsappPoints, newWabaToken as newToken, newWaba } from './fixtures/whatsapp.ts'

/**
 * What only the WhatsApp connector does. The scenarios every connector shares (revoked token,
 * throttling, failures, a refused field, a 90-day range in one call) are in contract.test.ts.
 */

const http = () => fakeHttp('whatsapp')

describe('whatsapp connector', () => {
  it('refuses a token Meta never issued as token_invalid', async () => {
    const error = await rejection(whatsapp.validate(http(), { accessToken: 'not-issued-by-meta' }, newWaba()))
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
    const expected = expectedWhatsappPoints(waba, ['messages_sent', 'messages_delivered', 'conversations'], {
      from: '2026-05-01',
      to: '2026-06-29',
    })
    expect([...result.points].sort(byMetricAndDay)).toEqual(expected)
    const quiet = eachDay('2026-05-01', '2026-06-29').filter((day) => !fakeWhatsappDay(waba, day))
    expect(quiet.length).toBeGreaterThan(0)
    expect(result.points.some((p) => quiet.includes(p.periodStart))).toBe(false)
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
      expectedWhatsappPoints(waba, ['messages_sent', 'messages_delivered', 'conversations'], {
        from: daysAgo(90),
        to: daysAgo(1),
      }),
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
})
