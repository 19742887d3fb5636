import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import ingress, { type IngressBindings } from '../worker/ingress.ts'
import { setup } from './helpers/connections.ts'
import { createTestDatabase, type TestBindings, type TestDatabase } from './helpers/env.ts'
import { TEST_ORIGIN } from './helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const encoder = new TextEncoder()

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

/** The app Worker behind the service binding, recording what reaches it. */
function appWorker() {
  const forwarded: Request[] = []
  const APP = {
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      forwarded.push(new Request(input, init))
      return new Response('from the app Worker', { status: 200 })
    },
  } as unknown as Fetcher
  return { APP, forwarded }
}

async function callIngress(env: IngressBindings, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext()
  const response = await ingress.fetch(new Request(new URL(path, TEST_ORIGIN), init), env, ctx)
  await waitOnExecutionContext(ctx)
  return response
}

/** A tenant with Meta webhook settings saved through the API (the app Worker writes their edge copy to KV). */
async function configured() {
  const context = await setup(db)
  const appSecret = crypto.randomUUID()
  const verifyToken = `verify-${crypto.randomUUID()}`
  const saved = await context.call('/api/v1/webhooks/meta/settings', {
    method: 'PUT',
    json: { app_secret: appSecret, verify_token: verifyToken },
  })
  expect(saved.status).toBe(200)
  return { ...context, appSecret, verifyToken }
}

describe('the edge ingress (worker/ingress.ts)', () => {
  it('verifies and queues a Meta delivery itself: nothing reaches the app Worker', async () => {
    const { env, capture, tenant, appSecret } = await configured()
    const { APP, forwarded } = appWorker()
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] })
    const response = await callIngress({ ...(env as TestBindings), APP }, `/webhooks/meta/${tenant.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': await sign(appSecret, body) },
      body,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'queued' })
    expect(capture.messages).toHaveLength(1)
    expect(capture.messages[0]).toMatchObject({ type: 'meta.webhook', tenantId: tenant.tenantId })
    expect(forwarded).toHaveLength(0)
  })

  it('answers the subscription handshake and refuses a bad signature, as the app Worker does', async () => {
    const { env, capture, tenant, verifyToken } = await configured()
    const { APP, forwarded } = appWorker()
    const bindings = { ...(env as TestBindings), APP }
    const challenge = await callIngress(
      bindings,
      `/webhooks/meta/${tenant.slug}?${new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': '1158201444' })}`,
    )
    expect(challenge.status).toBe(200)
    expect(await challenge.text()).toBe('1158201444')
    const forged = await callIngress(bindings, `/webhooks/meta/${tenant.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      body: '{}',
    })
    expect(forged.status).toBe(401)
    expect(capture.messages).toHaveLength(0)
    expect(forwarded).toHaveLength(0)
  })

  it('passes every other request to the app Worker unchanged', async () => {
    const { APP, forwarded } = appWorker()
    const bindings = { ...db.env, APP }
    for (const path of ['/api/v1/metrics?from=2026-01-01', '/app', '/webhooks/billing', '/health']) {
      const response = await callIngress(bindings, path, { headers: { authorization: 'Bearer x' } })
      expect(await response.text()).toBe('from the app Worker')
    }
    expect(forwarded.map((request) => new URL(request.url).pathname + new URL(request.url).search)).toEqual([
      '/api/v1/metrics?from=2026-01-01',
      '/app',
      '/webhooks/billing',
      '/health',
    ])
    expect(forwarded[0]?.headers.get('authorization')).toBe('Bearer x')
  })
})
