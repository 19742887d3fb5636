import { base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { DbHandle } from '../../../db/client.ts'
import type { JobOf } from '../../../worker/jobs/messages.ts'
import { workersKv } from '../../../worker/runtime/cloudflare.ts'
import { createServices } from '../../../worker/runtime/services.ts'
import { forgetMetaEndpoint, metaEdgeKvKey } from '../../../worker/services/meta-webhooks/meta-endpoint.ts'
import { refreshMetaEdgeCopy } from '../../../worker/services/meta-webhooks/meta-settings.ts'
import { type MasterKey, parseMasterKeys } from '../../../worker/vault/master-keys.ts'
import { kvKeyOf, Vault } from '../../../worker/vault/vault.ts'
import { consume, jobBatch, runJobs, setup, shuffle, uniqueAccount } from '../../helpers/connections.ts'
import { captureQueue, createTestDatabase, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker, captureLogs } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type MetaMessage = JobOf<'meta.webhook'>
const SETTINGS = '/api/v1/webhooks/meta/settings'
const encoder = new TextEncoder()

const randomSecret = (bytes = 16) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('')

/** `sha256=<hex HMAC-SHA256>` of exactly these bytes, as Meta signs them. */
async function sign(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body)))
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('')}`
}

/** A tenant whose owner saved Meta webhook settings; its queue records what is sent. */
async function configured() {
  const context = await setup(db)
  const appSecret = randomSecret()
  const verifyToken = `verify-${randomSecret(8)}`
  const response = await context.call(SETTINGS, {
    method: 'PUT',
    json: { app_secret: appSecret, verify_token: verifyToken },
  })
  expect(response.status).toBe(200)
  return { ...context, appSecret, verifyToken, slug: context.tenant.slug }
}

type Deliver = { env: TestBindings; slug: string; secret: string; signature?: string | null; body: string }

/** POSTs a delivery the way Meta does: the raw body and its signature header. */
async function deliver({ env, slug, secret, signature, body }: Deliver): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const header = signature === undefined ? await sign(secret, body) : signature
  if (header !== null) headers['x-hub-signature-256'] = header
  return callWorker(env, `/webhooks/meta/${slug}`, { method: 'POST', headers, body })
}

const handshake = (env: TestBindings, slug: string, params: Record<string, string>) =>
  callWorker(env, `/webhooks/meta/${slug}?${new URLSearchParams(params)}`)

/** An ISO instant as Meta's unix-seconds string; digits pass through as they are. */
const unix = (at: string) => (/^\d+$/.test(at) ? at : String(Date.parse(at) / 1000))

type Status = {
  wamid: string
  status: string
  at: string
  phone: string
  pricing?: { category: string; pricing_model: string }
}

/** One status notification in Meta's documented shape (WhatsApp Cloud API, `messages` field). */
function statusPayload(waba: string, statuses: Status[]) {
  const [first] = statuses
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: waba,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: first?.phone },
              statuses: statuses.map((s) => ({
                id: s.wamid,
                status: s.status,
                timestamp: unix(s.at),
                recipient_id: '5511999990000',
                ...(s.status === 'sent'
                  ? { conversation: { id: 'conv-1', origin: { type: s.pricing?.category ?? 'service' } } }
                  : {}),
                ...(s.pricing ? { pricing: { billable: true, type: 'regular', ...s.pricing } } : {}),
                ...(s.status === 'failed'
                  ? {
                      errors: [
                        { code: 131026, title: 'Message undeliverable', message: 'Message undeliverable' },
                      ],
                    }
                  : {}),
              })),
            },
            field: 'messages',
          },
        ],
      },
    ],
  })
}

type CounterRow = {
  account_id: string
  phone: string
  day: string
  metric: string
  category: string
  value: number
}

async function counters(tenantId: string): Promise<CounterRow[]> {
  return db.owner<CounterRow>(
    `select account_id, phone_number_id as phone, day::text as day, metric, pricing_category as category, value::int as value
     from meta_webhook_counters where tenant_id = $1
     order by account_id, phone_number_id, day, metric, pricing_category`,
    [tenantId],
  )
}

describe('Meta webhook settings', () => {
  it('stores the secrets for an owner, audited, and never shows them again', async () => {
    const context = await setup(db)
    const appSecret = randomSecret()
    const verifyToken = `verify-${randomSecret(8)}`
    const { result: saved, lines } = await captureLogs(() =>
      context.call(SETTINGS, { method: 'PUT', json: { app_secret: appSecret, verify_token: verifyToken } }),
    )
    expect(saved.status).toBe(200)
    const text = await saved.text()
    expect(JSON.parse(text)).toEqual({
      app_secret_set: true,
      verify_token_set: true,
      callback_url: `https://integra.test/webhooks/meta/${context.tenant.slug}`,
      updated_at: expect.any(String),
    })
    const read = await (await context.call(SETTINGS)).text()
    for (const output of [text, read, JSON.stringify(lines)]) {
      expect(output).not.toContain(appSecret)
      expect(output).not.toContain(verifyToken)
    }
    const audit = await db.owner<{ action: string; data: unknown }>(
      'select action, data from audit_log where tenant_id = $1 and action like $2',
      [context.tenant.tenantId, 'webhooks.meta%'],
    )
    expect(audit).toEqual([
      { action: 'webhooks.meta_settings_created', data: { version: 1, slug: context.tenant.slug } },
    ])
    // KV holds ciphertext only: the vault copies under the data key and the edge copy.
    const tenantId = context.tenant.tenantId
    const stored = await Promise.all(
      [
        kvKeyOf({ tenantId, ownerId: 'meta-webhook', purpose: 'app_secret' }),
        kvKeyOf({ tenantId, ownerId: 'meta-webhook', purpose: 'verify_token' }),
        metaEdgeKvKey(context.tenant.slug),
      ].map((key) => context.env.TOKENS.get(key)),
    )
    for (const value of stored) {
      expect(value).toBeTruthy()
      expect(value).not.toContain(appSecret)
      expect(value).not.toContain(verifyToken)
    }
  })

  it('answers 401 without auth, 403 to a viewer, 400 naming a bad field without echoing it', async () => {
    const context = await setup(db)
    const anonymous = await callWorker(context.env, SETTINGS, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_secret: randomSecret(), verify_token: 'verify-token' }),
    })
    expect(anonymous.status).toBe(401)
    expect((await callWorker(context.env, SETTINGS)).status).toBe(401)

    const viewer = await createMember(db, context.tenant.tenantId, 'viewer')
    const viewerCall = as(context.scoped, (await login(db, viewer.email)).access_token)
    const refused = await viewerCall(SETTINGS, {
      method: 'PUT',
      json: { app_secret: randomSecret(), verify_token: 'verify-token' },
    })
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('FORBIDDEN')
    expect(await (await viewerCall(SETTINGS)).json()).toMatchObject({ app_secret_set: false })

    const short = await context.call(SETTINGS, {
      method: 'PUT',
      json: { app_secret: 'tiny-secret', verify_token: 'x' },
    })
    expect(short.status).toBe(400)
    const body = await short.text()
    expect(body).not.toContain('tiny-secret')
    expect(
      JSON.parse(body)
        .error.fields.map((f: { path: string }) => f.path)
        .sort(),
    ).toEqual(['json.app_secret', 'json.verify_token'])
  })

  it('keeps tenants apart: another tenant sees nothing and cannot sign for this one', async () => {
    const a = await configured()
    const b = await setup(db)
    const bView = await (await b.call(SETTINGS)).json()
    expect(bView).toEqual({
      app_secret_set: false,
      verify_token_set: false,
      callback_url: `https://integra.test/webhooks/meta/${b.tenant.slug}`,
      updated_at: null,
    })
    const bSecret = randomSecret()
    await b.call(SETTINGS, { method: 'PUT', json: { app_secret: bSecret, verify_token: 'b-verify-token' } })
    const body = JSON.stringify({ object: 'instagram', entry: [] })
    expect((await deliver({ env: a.env, slug: a.slug, secret: bSecret, body })).status).toBe(401)
    expect((await deliver({ env: a.env, slug: a.slug, secret: a.appSecret, body })).status).toBe(200)
    expect((a.capture.messages as MetaMessage[]).map((m) => m.tenantId)).toEqual([a.tenant.tenantId])
  })
})

describe('GET /webhooks/meta/:tenantSlug (verification handshake)', () => {
  it('echoes the challenge as plain text when the verify token matches, else 403', async () => {
    const { env, slug, verifyToken } = await configured()
    const { result: ok, lines } = await captureLogs(() =>
      handshake(env, slug, {
        'hub.mode': 'subscribe',
        'hub.verify_token': verifyToken,
        'hub.challenge': '1158201444',
      }),
    )
    expect(JSON.stringify(lines)).not.toContain(verifyToken)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await ok.text()).toBe('1158201444')

    const refusals: Record<string, string>[] = [
      { 'hub.mode': 'subscribe', 'hub.verify_token': `${verifyToken}x`, 'hub.challenge': '1' },
      { 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken.slice(0, -1), 'hub.challenge': '1' },
      { 'hub.mode': 'unsubscribe', 'hub.verify_token': verifyToken, 'hub.challenge': '1' },
      { 'hub.mode': 'subscribe', 'hub.challenge': '1' },
    ]
    for (const params of refusals) {
      const refused = await handshake(env, slug, params)
      expect(refused.status).toBe(403)
      expect(await errorCode(refused)).toBe('VERIFICATION_FAILED')
    }
  })

  it('answers 404 for an unknown slug and for a tenant without settings', async () => {
    const { env, tenant } = await setup(db)
    for (const slug of ['no-such-tenant-anywhere', tenant.slug]) {
      const response = await handshake(env, slug, {
        'hub.mode': 'subscribe',
        'hub.verify_token': 'x',
        'hub.challenge': '1',
      })
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({
        error: { code: 'NOT_FOUND', requestId: expect.any(String) },
      })
    }
  })
})

describe('POST /webhooks/meta/:tenantSlug', () => {
  it('queues a signed delivery byte for byte and answers 200', async () => {
    const { env, slug, appSecret, capture, tenant } = await configured()
    // Meta signs its escaped-unicode serialisation; the queued body must be those very bytes.
    const body =
      '{"object":"instagram","entry":[{"id":"1784","time":1764000000,"changes":[{"field":"comments","value":{"id":"1","text":"caf\\u00e9 \\ud83d\\ude00"}}]}]}'
    const response = await deliver({ env, slug, secret: appSecret, body })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'queued' })
    expect(capture.messages).toEqual([
      { type: 'meta.webhook', v: 1, tenantId: tenant.tenantId, receivedAt: expect.any(Number), body },
    ])
  })

  it('queues on the webhooks queue, never on the jobs queue', async () => {
    const { env, slug, appSecret, tenant } = await configured()
    const jobs = captureQueue()
    const webhooks = captureQueue()
    const body = '{"object":"whatsapp_business_account","entry":[]}'
    const response = await deliver({
      env: { ...env, JOBS: jobs.queue, WEBHOOKS: webhooks.queue },
      slug,
      secret: appSecret,
      body,
    })
    expect(response.status).toBe(200)
    expect(jobs.messages).toEqual([])
    expect(webhooks.messages).toEqual([
      { type: 'meta.webhook', v: 1, tenantId: tenant.tenantId, receivedAt: expect.any(Number), body },
    ])
    // The real binding exists (wrangler.toml); its consumer's configuration is checked in
    // test/node/queues.node.ts.
    expect(typeof db.env.WEBHOOKS?.send).toBe('function')
  })

  it('refuses a missing, malformed, wrong or re-serialised signature with 401 and queues nothing', async () => {
    const { env, slug, appSecret, capture } = await configured()
    const body =
      '{"object":"instagram","entry":[{"id":"1","changes":[{"field":"comments","value":{"id":"2","text":"ol\\u00e1"}}]}]}'
    const reserialised = JSON.stringify(JSON.parse(body))
    expect(reserialised).not.toBe(body)
    const valid = await sign(appSecret, body)
    for (const signature of [
      null,
      '',
      valid.replace('sha256=', 'sha1='),
      valid.slice(0, -2),
      `${valid.slice(0, -1)}${valid.endsWith('0') ? '1' : '0'}`,
      await sign(randomSecret(), body),
      await sign(appSecret, reserialised),
    ]) {
      const response = await deliver({ env, slug, secret: appSecret, body, signature })
      expect(response.status).toBe(401)
      expect(await errorCode(response)).toBe('INVALID_SIGNATURE')
    }
    // The tampered body with the original signature fails too.
    expect(
      (await deliver({ env, slug, secret: appSecret, body: reserialised, signature: valid })).status,
    ).toBe(401)
    expect(capture.messages).toEqual([])
  })

  it('answers 413 over 256 KiB, 404 for an unknown slug, 400 for a signed body that is not JSON', async () => {
    const { env, slug, appSecret, capture } = await configured()
    const huge = JSON.stringify({ object: 'instagram', pad: 'x'.repeat(256 * 1024) })
    const tooLarge = await deliver({ env, slug, secret: appSecret, body: huge })
    expect(tooLarge.status).toBe(413)
    expect(await errorCode(tooLarge)).toBe('PAYLOAD_TOO_LARGE')

    const unknown = await deliver({ env, slug: 'no-such-tenant-anywhere', secret: appSecret, body: '{}' })
    expect(unknown.status).toBe(404)
    expect(await errorCode(unknown)).toBe('NOT_FOUND')

    const notJson = await deliver({ env, slug, secret: appSecret, body: 'hello' })
    expect(notJson.status).toBe(400)
    expect(await errorCode(notJson)).toBe('MALFORMED_JSON')
    expect(capture.messages).toEqual([])
  })

  it('runs no Postgres statement: with the database unreachable it still verifies, queues and answers 200', async () => {
    const { env, slug, appSecret, verifyToken, capture, tenant } = await configured()
    // The save above forgot this slug in the isolate cache: the request below reads KV.
    const dead: TestBindings = {
      ...env,
      DATABASE_URL: 'postgres://integra_app:unreachable@127.0.0.1:1/integra',
      DB_CONNECT_TIMEOUT_MS: '1000',
    }
    // The control: anything that touches Postgres with these bindings fails.
    const admin = await createMember(db, tenant.tenantId, 'admin')
    const control = await as({ ...db, env: dead }, (await login(db, admin.email)).access_token)(SETTINGS)
    expect(control.status).toBe(503)
    expect(await errorCode(control)).toBe('DATABASE_UNAVAILABLE')

    forgetMetaEndpoint(slug)
    const body = statusPayload(uniqueAccount('1000'), [
      { wamid: `wamid.${randomSecret()}`, status: 'sent', at: '2026-11-20T10:00:00Z', phone: '1' },
    ])
    const response = await deliver({ env: dead, slug, secret: appSecret, body })
    expect(response.status).toBe(200)
    expect(capture.messages).toHaveLength(1)
    const ok = await handshake(dead, slug, {
      'hub.mode': 'subscribe',
      'hub.verify_token': verifyToken,
      'hub.challenge': '42',
    })
    expect(await ok.text()).toBe('42')
  })

  it('spills a body too large for a queue message into KV, sealed, and the consumer still counts it', async () => {
    const { env, slug, appSecret, capture, tenant } = await configured()
    const waba = uniqueAccount('1001')
    const statuses: Status[] = Array.from({ length: 700 }, (_, i) => ({
      wamid: `wamid.${randomSecret()}.${i}`,
      status: 'sent',
      at: '2026-11-20T10:00:00Z',
      phone: '5550001',
      pricing: { category: 'marketing', pricing_model: 'PMP' },
    }))
    const body = statusPayload(waba, statuses)
    expect(body.length).toBeGreaterThan(128 * 1024)
    expect((await deliver({ env, slug, secret: appSecret, body })).status).toBe(200)
    const [message] = capture.messages as MetaMessage[]
    expect(message?.body).toBeUndefined()
    const sealed = await env.TOKENS.get(message?.bodyKey ?? '')
    expect(sealed).toBeTruthy()
    expect(sealed).not.toContain('wamid')
    const result = await runJobs(env, [message])
    expect(result.retryMessages).toEqual([])
    expect(await counters(tenant.tenantId)).toEqual([
      { account_id: waba, phone: '5550001', day: '2026-11-20', metric: 'sent', category: 'all', value: 700 },
      {
        account_id: waba,
        phone: '5550001',
        day: '2026-11-20',
        metric: 'sent',
        category: 'marketing',
        value: 700,
      },
    ])
    expect(await env.TOKENS.get(message?.bodyKey ?? '')).toBeNull()
  })
})

describe('consumer: counting', () => {
  it('counts WhatsApp statuses exactly once per wamid and status, each delivered 10 times, out of order', async () => {
    const { env, slug, appSecret, capture, tenant } = await configured()
    const waba = uniqueAccount('1020')
    const [p1, p2] = ['106540352242922', '106540352242999']
    const marketing = { category: 'marketing', pricing_model: 'PMP' }
    const utility = { category: 'utility', pricing_model: 'PMP' }
    const id = () => `wamid.HBgN${randomSecret(12)}`
    const [a, b, c, d] = [id(), id(), id(), id()]
    const statuses: Status[] = [
      { wamid: a, status: 'sent', at: '2026-11-20T10:00:00Z', phone: p1, pricing: marketing },
      { wamid: a, status: 'delivered', at: '2026-11-20T10:00:05Z', phone: p1, pricing: marketing },
      { wamid: a, status: 'read', at: '2026-11-21T08:00:00Z', phone: p1 },
      // Read at once: "delivered" never comes.
      { wamid: b, status: 'sent', at: '2026-11-20T11:00:00Z', phone: p1, pricing: utility },
      { wamid: b, status: 'read', at: '2026-11-20T11:00:01Z', phone: p1, pricing: utility },
      { wamid: c, status: 'sent', at: '2026-11-20T12:00:00Z', phone: p1, pricing: marketing },
      { wamid: c, status: 'failed', at: '2026-11-20T12:00:09Z', phone: p1 },
      { wamid: d, status: 'sent', at: '2026-11-20T13:00:00Z', phone: p2, pricing: utility },
    ]
    // Every status notification arrives 10 times, signed, through the real endpoint.
    for (const status of statuses) {
      for (let i = 0; i < 10; i++) {
        const response = await deliver({ env, slug, secret: appSecret, body: statusPayload(waba, [status]) })
        expect(response.status).toBe(200)
      }
    }
    const messages = shuffle(capture.messages as MetaMessage[])
    expect(messages).toHaveLength(80)
    // Four consumers at once, then one redelivery of everything (a retried batch).
    const quarters = [0, 1, 2, 3].map((q) => messages.filter((_, i) => i % 4 === q))
    const results = await Promise.all(quarters.map((quarter) => consume(env, jobBatch(quarter))))
    for (const result of results) expect(result.retryMessages).toEqual([])
    await consume(env, jobBatch(shuffle(messages), { attempts: 2 }))

    const row = (phone: string, day: string, metric: string, category: string, value: number) => ({
      account_id: waba,
      phone,
      day,
      metric,
      category,
      value,
    })
    expect(await counters(tenant.tenantId)).toEqual([
      row(p1, '2026-11-20', 'delivered', 'all', 1),
      row(p1, '2026-11-20', 'delivered', 'marketing', 1),
      row(p1, '2026-11-20', 'failed', 'all', 1),
      row(p1, '2026-11-20', 'read', 'all', 1),
      row(p1, '2026-11-20', 'read', 'utility', 1),
      row(p1, '2026-11-20', 'sent', 'all', 3),
      row(p1, '2026-11-20', 'sent', 'marketing', 2),
      row(p1, '2026-11-20', 'sent', 'utility', 1),
      row(p1, '2026-11-21', 'read', 'all', 1),
      row(p2, '2026-11-20', 'sent', 'all', 1),
      row(p2, '2026-11-20', 'sent', 'utility', 1),
    ])
    const seen = await db.owner<{ n: number }>(
      'select count(*)::int as n from meta_webhook_seen where tenant_id = $1',
      [tenant.tenantId],
    )
    expect(seen).toEqual([{ n: 8 }])
  })

  it('counts Instagram comments and mentions once each, by account and day', async () => {
    const { env, slug, appSecret, capture, tenant, call } = await configured()
    const account = uniqueAccount('178414')
    const change = (field: string, value: unknown, time = 1763640000) =>
      JSON.stringify({ object: 'instagram', entry: [{ id: account, time, changes: [{ field, value }] }] })
    const bodies = [
      change('comments', {
        from: { id: '1', username: 'ana' },
        media: { id: '9', media_product_type: 'FEED' },
        id: '1801',
        text: 'Lindo!',
      }),
      change('comments', {
        from: { id: '2', username: 'bia' },
        media: { id: '9', media_product_type: 'FEED' },
        id: '1802',
        text: 'Quero',
      }),
      change('mentions', { comment_id: '1901', media_id: '9' }),
      change('mentions', { media_id: '1950' }),
    ]
    for (const body of [...bodies, ...bodies, bodies[0] as string]) {
      expect((await deliver({ env, slug, secret: appSecret, body })).status).toBe(200)
    }
    const result = await runJobs(env, shuffle(capture.messages))
    expect(result.retryMessages).toEqual([])
    expect(await counters(tenant.tenantId)).toEqual([
      { account_id: account, phone: '', day: '2025-11-20', metric: 'comments', category: 'all', value: 2 },
      { account_id: account, phone: '', day: '2025-11-20', metric: 'mentions', category: 'all', value: 2 },
    ])
    // The same counts through the metrics API, with the connection of that account.
    const connection = (await (
      await call('/api/v1/connections', {
        method: 'POST',
        json: {
          platform: 'instagram',
          external_account_id: account,
          access_token: `fake-ig-${randomSecret(8)}`,
        },
      })
    ).json()) as { id: string }
    const read = await call('/api/v1/metrics/webhooks?from=2025-11-20&to=2025-11-20')
    const counted = {
      day: '2025-11-20',
      platform: 'instagram',
      account_id: account,
      connection_id: connection.id,
    }
    expect(await read.json()).toEqual({
      from: '2025-11-20',
      to: '2025-11-20',
      data: [
        { ...counted, phone_number_id: null, metric: 'comments', pricing_category: 'all', value: 2 },
        { ...counted, phone_number_id: null, metric: 'mentions', pricing_category: 'all', value: 2 },
      ],
    })
  })

  it('keeps unknown event types raw, once, and still acknowledges the whole batch', async () => {
    const { env, tenant } = await configured()
    const waba = uniqueAccount('1030')
    const message = (body: string): MetaMessage => ({
      type: 'meta.webhook',
      v: 1,
      tenantId: tenant.tenantId,
      receivedAt: Date.parse('2026-11-22T00:00:00Z'),
      body,
    })
    const unknown = [
      JSON.stringify({
        object: 'page',
        entry: [{ id: '55', time: 1763640000, changes: [{ field: 'feed', value: { item: 'post\u0000' } }] }],
      }),
      JSON.stringify({
        object: 'instagram',
        entry: [
          {
            id: '178',
            time: 1763640000,
            changes: [{ field: 'story_insights', value: { media_id: '1', reach: 17 } }],
            messaging: [{ sender: { id: '1' }, message: { mid: 'm1', text: 'oi' } }],
          },
        ],
      }),
      JSON.stringify({ hello: 'world' }),
    ]
    // A new status name next to a known one: the known one counts, the change is kept raw. A NUL
    // character (which Postgres text refuses) in a raw unit does not fail the batch.
    const mixed = statusPayload(waba, [
      { wamid: 'wamid.known', status: 'sent', at: '2026-11-20T10:00:00Z', phone: '7' },
      { wamid: 'wamid.new', status: 'deleted', at: '2026-11-20T10:00:00Z', phone: '7' },
      // A timestamp no date column takes (year 5138) must not fail the delivery either.
      { wamid: 'wamid.odd', status: 'sent', at: '99999999999', phone: '7' },
    ])
    const bodies = [...unknown, mixed]
    const batch = jobBatch([...bodies, ...bodies].map(message))
    const result = await consume(env, batch)
    expect(result.retryMessages).toEqual([])
    expect(result.explicitAcks).toHaveLength(8)
    const rows = await db.owner<{ object: string | null; field: string | null; received_at: Date }>(
      'select object, field, received_at from webhook_events where tenant_id = $1 order by object, field',
      [tenant.tenantId],
    )
    expect(rows.map((r) => [r.object, r.field])).toEqual([
      ['instagram', 'messaging'],
      ['instagram', 'story_insights'],
      ['page', 'feed'],
      ['whatsapp_business_account', 'messages'],
      [null, null],
    ])
    expect(rows.every((r) => new Date(r.received_at).toISOString() === '2026-11-22T00:00:00.000Z')).toBe(true)
    expect(await counters(tenant.tenantId)).toEqual([
      { account_id: waba, phone: '7', day: '2026-11-20', metric: 'sent', category: 'all', value: 1 },
    ])
  })
})

describe('crypto-shredding, key rotation and renames', () => {
  const kv = (env: TestBindings) => workersKv(env.TOKENS)

  /** Runs vault work in one transaction of the tenant, as the application role. */
  async function withVault<T>(
    env: TestBindings,
    tenantId: string,
    keys: MasterKey[],
    work: (vault: Vault) => Promise<T>,
  ) {
    const handle = new DbHandle({
      connectionString: env.DATABASE_URL as string,
      wsProxy: env.NEON_WS_PROXY,
      connectTimeoutMs: 5000,
    })
    try {
      return await handle.transaction((tx) => work(new Vault(tx, kv(env), keys)), { tenantId })
    } finally {
      await handle.close()
    }
  }

  it('destroying the tenant key deletes the edge copy: the webhook stops verifying', async () => {
    const { env, slug, appSecret, tenant } = await configured()
    const keys = parseMasterKeys(env.VAULT_MASTER_KEYS ?? '')
    await withVault(env, tenant.tenantId, keys, (vault) => vault.destroyTenantKey(tenant.tenantId))
    expect(await env.TOKENS.get(metaEdgeKvKey(slug))).toBeNull()
    expect(await db.owner('select 1 from vault_edge_copies where tenant_id = $1', [tenant.tenantId])).toEqual(
      [],
    )
    // Other isolates drop their cached copy within the cache TTL; this one is told to now.
    forgetMetaEndpoint(slug)
    expect((await deliver({ env, slug, secret: appSecret, body: '{}' })).status).toBe(404)
  })

  it('rewrap re-seals the edge copy, so the old master key can be dropped', async () => {
    const { env, slug, appSecret, tenant } = await configured()
    const old = parseMasterKeys(env.VAULT_MASTER_KEYS ?? '')
    const next: MasterKey = { kid: 'mk-next', key: crypto.getRandomValues(new Uint8Array(32)) }
    const rewrapped = await withVault(env, tenant.tenantId, [next, ...old], (vault) =>
      vault.rewrap(tenant.tenantId),
    )
    expect(rewrapped).toBe(true)
    forgetMetaEndpoint(slug)
    const rotated: TestBindings = { ...env, VAULT_MASTER_KEYS: `${next.kid}:${base64url.encode(next.key)}` }
    expect((await deliver({ env: rotated, slug, secret: appSecret, body: '{}' })).status).toBe(200)
  })

  it('a renamed tenant gets its edge copy under the new slug; the old URL stops answering', async () => {
    const { env, slug, appSecret, tenant } = await configured()
    const renamed = `${slug}-new`
    await db.owner('update tenants set slug = $1 where id = $2', [renamed, tenant.tenantId])
    const services = createServices(env)
    try {
      const done = await services.db.transaction((tx) => refreshMetaEdgeCopy(tx, services, tenant.tenantId), {
        tenantId: tenant.tenantId,
      })
      expect(done).toBe(true)
    } finally {
      await services.db.close()
    }
    forgetMetaEndpoint(slug)
    expect((await deliver({ env, slug, secret: appSecret, body: '{}' })).status).toBe(404)
    expect((await deliver({ env, slug: renamed, secret: appSecret, body: '{}' })).status).toBe(200)
  })
})

describe('tenant slug renamed by an operator', () => {
  it('moves the edge copy: the new slug answers, the old one is gone', async () => {
    const context = await configured()
    const operator = await createOperator(db)
    const admin = as(db, (await login(db, operator.email)).access_token)
    const newSlug = `${context.slug}-novo`
    const renamed = await admin(`/api/v1/admin/tenants/${context.tenant.tenantId}`, {
      method: 'PATCH',
      json: { slug: newSlug },
    })
    expect(renamed.status).toBe(200)
    forgetMetaEndpoint(context.slug)
    forgetMetaEndpoint(newSlug)
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] })
    expect((await deliver({ env: context.env, slug: newSlug, secret: context.appSecret, body })).status).toBe(
      200,
    )
    expect(
      (await deliver({ env: context.env, slug: context.slug, secret: context.appSecret, body })).status,
    ).toBe(404)
  })
})
