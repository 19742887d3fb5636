import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

/**
 * GET /api/v1/metrics/webhooks reads the daily counters the Meta webhooks feed. Counting itself
 * (each event once, however often delivered) and an end-to-end read after real deliveries are in
 * meta-webhooks.test.ts; here the counters are written directly so periods and filters are exact.
 */
let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const URL_ = '/api/v1/metrics/webhooks'
const WABA = '102290129340398'
const PHONE = '106540352242922'
const IG = '17841400000000001'

type Row = [
  platform: string,
  account: string,
  phone: string,
  day: string,
  metric: string,
  category: string,
  value: number,
]

async function tenantWithCounters(rows: Row[], modules = ['metrics']) {
  const tenant = await createTenant(db, { modules })
  const connectionId = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'whatsapp', $3)`,
    [connectionId, tenant.tenantId, WABA],
  )
  for (const [platform, account, phone, day, metric, category, value] of rows)
    await db.owner(
      `insert into meta_webhook_counters (tenant_id, platform, account_id, phone_number_id, day, metric, pricing_category, value)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [tenant.tenantId, platform, account, phone, day, metric, category, value],
    )
  const owner = await createMember(db, tenant.tenantId, 'owner')
  return { ...tenant, connectionId, call: as(db, (await login(db, owner.email)).access_token) }
}

const ROWS: Row[] = [
  ['whatsapp', WABA, PHONE, '2026-09-30', 'sent', 'all', 7],
  ['whatsapp', WABA, PHONE, '2026-10-01', 'sent', 'all', 3],
  ['whatsapp', WABA, PHONE, '2026-10-01', 'sent', 'marketing', 2],
  ['whatsapp', WABA, PHONE, '2026-10-01', 'delivered', 'all', 3],
  ['instagram', IG, '', '2026-10-02', 'comments', 'all', 4],
  ['whatsapp', WABA, PHONE, '2026-10-31', 'read', 'all', 1],
  ['whatsapp', WABA, PHONE, '2026-11-01', 'read', 'all', 9],
]

async function read(call: ReturnType<typeof as>, query: string) {
  const response = await call(`${URL_}?${query}`)
  const body = await response.json()
  expect(response.status, JSON.stringify(body)).toBe(200)
  return body as { from: string; to: string; data: Record<string, unknown>[] }
}

describe('GET /api/v1/metrics/webhooks', () => {
  it("lists the period's counters by day, with the connection of each account; another tenant's never", async () => {
    const a = await tenantWithCounters(ROWS)
    // Tenant B counts on the same WhatsApp account id: none of its numbers may show in A's read.
    await tenantWithCounters([['whatsapp', WABA, PHONE, '2026-10-01', 'sent', 'all', 999]])
    const body = await read(a.call, 'from=2026-10-01&to=2026-10-31')
    const whatsapp = {
      platform: 'whatsapp',
      account_id: WABA,
      connection_id: a.connectionId,
      phone_number_id: PHONE,
    }
    expect(body).toEqual({
      from: '2026-10-01',
      to: '2026-10-31',
      data: [
        { day: '2026-10-01', ...whatsapp, metric: 'delivered', pricing_category: 'all', value: 3 },
        { day: '2026-10-01', ...whatsapp, metric: 'sent', pricing_category: 'all', value: 3 },
        { day: '2026-10-01', ...whatsapp, metric: 'sent', pricing_category: 'marketing', value: 2 },
        {
          day: '2026-10-02',
          platform: 'instagram',
          account_id: IG,
          connection_id: null,
          phone_number_id: null,
          metric: 'comments',
          pricing_category: 'all',
          value: 4,
        },
        { day: '2026-10-31', ...whatsapp, metric: 'read', pricing_category: 'all', value: 1 },
      ],
    })
  })

  it('filters by platform and connection; a platform without webhooks or another tenant’s connection finds nothing', async () => {
    const a = await tenantWithCounters(ROWS)
    const b = await tenantWithCounters([['whatsapp', WABA, PHONE, '2026-10-01', 'sent', 'all', 999]])
    const period = 'from=2026-09-01&to=2026-11-30'
    const metricsOf = (body: { data: Record<string, unknown>[] }) =>
      body.data.map((row) => `${row.day} ${row.metric}`)
    expect(metricsOf(await read(a.call, `${period}&platform=instagram`))).toEqual(['2026-10-02 comments'])
    expect(metricsOf(await read(a.call, `${period}&connection_id=${a.connectionId}`))).toHaveLength(6)
    expect((await read(a.call, `${period}&platform=x`)).data).toEqual([])
    expect((await read(a.call, `${period}&connection_id=${b.connectionId}`)).data).toEqual([])
    expect((await read(a.call, `${period}&platform=instagram&connection_id=${a.connectionId}`)).data).toEqual(
      [],
    )
  })

  it('is readable by every role and by API keys; refuses without auth, without the module and with bad periods', async () => {
    const a = await tenantWithCounters(ROWS)
    const viewer = await createMember(db, a.tenantId, 'viewer')
    const viewerCall = as(db, (await login(db, viewer.email)).access_token)
    expect((await read(viewerCall, 'from=2026-10-01&to=2026-10-01')).data).toHaveLength(3)
    const key = (await (
      await a.call('/api/v1/api-keys', { method: 'POST', json: { name: 'bi', role: 'viewer' } })
    ).json()) as {
      key: string
    }
    expect((await read(as(db, key.key), 'from=2026-10-01&to=2026-10-01')).data).toHaveLength(3)

    const anonymous = await callWorker(db.env, `${URL_}?from=2026-10-01`)
    expect([anonymous.status, await errorCode(anonymous)]).toEqual([401, 'UNAUTHENTICATED'])
    const calendarOnly = await tenantWithCounters(ROWS, ['calendar'])
    const refused = await calendarOnly.call(URL_)
    expect(refused.status).toBe(403)

    for (const [query, field] of [
      ['from=2026-10-02&to=2026-10-01', 'query.from'],
      ['from=2024-01-01&to=2026-10-01', 'query.from'],
      ['from=2026-13-01', 'query.from'],
      ['platform=myspace', 'query.platform'],
      ['connection_id=1;drop table connections', 'query.connection_id'],
    ]) {
      const response = await a.call(`${URL_}?${query}`)
      const body = (await response.json()) as { error: { code: string; fields: { path: string }[] } }
      expect([response.status, body.error.code], query).toEqual([400, 'VALIDATION_FAILED'])
      expect(body.error.fields.map((f) => f.path)).toContain(field)
    }
  })
})
