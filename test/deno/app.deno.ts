import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { signedMetaRequest, whatsappStatusBody } from '../../db/local/fakes/meta-webhook.ts'
import { workerLogs } from '../../db/local/wrangler-dev.ts'
import { portalSignIn } from '../bench/load.ts'
import { type LocalStack, startLocalStack } from '../browser/stack.ts'

/**
 * Issue 21: the real application on its Deno entry (Deno.serve, Deno KV behind the vault, the
 * queue, the archives and the rate limiter; kv.enqueue → listenQueue into the same consumers;
 * the cron fan-out) against the embedded Postgres and the fake platforms.
 */
const OWNER = { email: 'owner@acme.example', password: 'integra-owner-demo' }
const UMBRELLA = { email: 'owner@umbrella.example', password: 'integra-umbrella-demo' }
/** Low enough that the limiter test stays short; the other tests stay far under it per key. */
const RATE_LIMIT = 20
const APP_SECRET = 'deno-suite-meta-app-secret'
/** acme's demo WhatsApp number (connectDemoAccounts connects it). */
const PHONE_NUMBER_ID = '106540352242922'

let stack: LocalStack

/**
 * The database as its owner, one connection per call: the redelivery test stops Postgres, which
 * would end a long-lived client.
 */
const db = {
  async query(text: string, values?: unknown[]) {
    const client = new pg.Client({ connectionString: stack.ownerUrl })
    await client.connect()
    try {
      return await client.query(text, values)
    } finally {
      await client.end()
    }
  },
}

/** The consumer's log lines for each Meta delivery it recorded. */
const recorded = () => workerLogs(stack.output, 'meta webhook recorded')

async function login(who: { email: string; password: string }): Promise<Record<string, string>> {
  const answer = await fetch(`${stack.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(who),
  })
  expect(answer.status).toBe(200)
  const { access_token } = (await answer.json()) as { access_token: string }
  return { authorization: `Bearer ${access_token}` }
}

/** Polls `read` until it returns something other than undefined (or fails after `ms`). */
async function until<T>(what: string, read: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function counted(wamid: string): Promise<{ seen: number; delivered: number }> {
  const seen = await db.query('select count(*)::int as n from meta_webhook_seen where object_id = $1', [
    wamid,
  ])
  const delivered = await db.query(
    `select coalesce(sum(value), 0)::int as n from meta_webhook_counters
      where phone_number_id = $1 and metric = 'delivered' and pricing_category = 'all'`,
    [PHONE_NUMBER_ID],
  )
  return { seen: seen.rows[0].n, delivered: delivered.rows[0].n }
}

beforeAll(async () => {
  stack = await startLocalStack({ runtime: 'deno', vars: { API_RATE_LIMIT: String(RATE_LIMIT) } })
})

afterAll(async () => {
  // DENO_SUITE_LOG=1: Deno's last lines, for a failure the HTTP answers do not explain.
  if (process.env.DENO_SUITE_LOG) console.log(stack?.output.slice(-40).join('\n'))
  await stack?.stop()
})

describe('Integra on Deno', () => {
  it('answers health and readiness (Postgres reached through the Neon driver and the bridge)', async () => {
    const health = await fetch(`${stack.baseUrl}/health`)
    expect(health.status).toBe(200)
    const ready = await fetch(`${stack.baseUrl}/health/ready`)
    expect(ready.status).toBe(200)
    // The static files are served before the app, with _headers' headers.
    const css = await fetch(`${stack.baseUrl}/css/portal.css`)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toContain('text/css')
    expect(css.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('logs in and reads metrics collected through the Deno queue', async () => {
    const auth = await login(OWNER)
    // connectDemoAccounts queued each connection's backfill: listenQueue ran them against the fakes.
    const points = await until('backfilled points', async () => {
      const { rows } = await db.query(
        `select count(*)::int as n from metric_points p join tenants t on t.id = p.tenant_id where t.slug = 'acme'`,
      )
      return rows[0].n > 0 ? (rows[0].n as number) : undefined
    })
    expect(points).toBeGreaterThan(0)
    const today = new Date().toISOString().slice(0, 10)
    const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10)
    const read = await fetch(
      `${stack.baseUrl}/api/v1/metrics?${new URLSearchParams({ from: monthAgo, to: today, granularity: 'day' })}`,
      { headers: auth },
    )
    expect(read.status).toBe(200)
    const body = (await read.json()) as { series: unknown[] }
    expect(body.series.length).toBeGreaterThan(0)
    // Without a credential: the same 401 envelope as on Workers.
    const anonymous = await fetch(`${stack.baseUrl}/api/v1/metrics`)
    expect(anonymous.status).toBe(401)
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
  })

  it('renders a portal page for a signed-in member', async () => {
    const cookie = await portalSignIn(stack.baseUrl, OWNER.email, OWNER.password)
    const page = await fetch(`${stack.baseUrl}/app`, { headers: { cookie } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    const html = await page.text()
    expect(html).toContain('<!DOCTYPE html>')
    expect(html).toContain('/vendor/htmx.min.js')
    // No Durable Objects on Deno: the live-update socket is refused and the page polls instead.
    const refused = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const socket = new WebSocket(`${stack.baseUrl.replace('http', 'ws')}/app/events?topics=messages`, {
        headers: { cookie, origin: stack.baseUrl },
      })
      socket.on('unexpected-response', (_request, response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString()
        })
        response.on('end', () => resolve({ status: response.statusCode, body }))
      })
      socket.on('open', () => reject(new Error('the socket opened')))
      socket.on('error', () => {})
    })
    expect(refused.status).toBe(503)
  })

  it('keeps a vault secret in Deno KV and verifies Meta signatures with it', async () => {
    const auth = await login(OWNER)
    const saved = await fetch(`${stack.baseUrl}/api/v1/webhooks/meta/settings`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ app_secret: APP_SECRET, verify_token: 'deno-suite-verify' }),
    })
    expect(saved.status).toBe(200)
    // The app secret is sealed into Deno KV (the vault's edge copy); a delivery signed with it is
    // accepted (the secret read back and opened), one signed with another is not.
    const body = whatsappStatusBody(PHONE_NUMBER_ID, [{ wamid: `wamid.vault${Date.now()}`, status: 'sent' }])
    const good = await fetch(`${stack.baseUrl}/webhooks/meta/acme`, await signedMetaRequest(APP_SECRET, body))
    expect(good.status).toBe(200)
    const bad = await fetch(
      `${stack.baseUrl}/webhooks/meta/acme`,
      await signedMetaRequest('not-the-secret', body),
    )
    expect(bad.status).toBe(401)
  })

  it('processes a signed Meta webhook through kv.enqueue → listenQueue exactly once under redelivery', async () => {
    const wamid = `wamid.deno${Date.now()}`
    const body = whatsappStatusBody(PHONE_NUMBER_ID, [{ wamid, status: 'delivered' }])
    const before = await counted(wamid)
    const recordedBefore = recorded().length
    // Postgres down: the webhook is still acknowledged (the edge path needs only the queue); the
    // consumer fails to connect and the message is enqueued again with the outage backoff.
    await stack.postgres('stop')
    try {
      const first = await fetch(
        `${stack.baseUrl}/webhooks/meta/acme`,
        await signedMetaRequest(APP_SECRET, body),
      )
      expect(first.status).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 1_500))
    } finally {
      await stack.postgres('start')
    }
    // Meta redelivers the same delivery too: a second queue message with the same events.
    const again = await fetch(
      `${stack.baseUrl}/webhooks/meta/acme`,
      await signedMetaRequest(APP_SECRET, body),
    )
    expect(again.status).toBe(200)
    const after = await until(
      'the delivery recorded',
      async () => {
        const now = await counted(wamid)
        return now.seen > 0 ? now : undefined
      },
      40_000,
    )
    // Both messages consumed (the first after its outage delay of 5–10 s), then counted once more.
    await until('both messages consumed', async () =>
      recorded().length >= recordedBefore + 2 ? true : undefined,
    )
    const settled = await counted(wamid)
    expect(after.seen).toBe(1)
    expect(settled.seen).toBe(1)
    expect(settled.delivered - before.delivered).toBe(1)
  })

  it('fires the cron fan-out, which collects from the fake platform through the queue', async () => {
    // A slot a day ahead: every connection is due for its scheduled collection then.
    const slot = Math.floor((Date.now() + 86_400_000) / 900_000) * 900_000
    const fired = await fetch(`${stack.baseUrl}/cdn-cgi/local/scheduled?time=${slot}`)
    expect(fired.status).toBe(200)
    const tick = await until('the cron slot claimed', async () => {
      const { rows } = await db.query('select count(*)::int as n from cron_ticks where scheduled_at = $1', [
        new Date(slot),
      ])
      return rows[0].n > 0 ? (rows[0].n as number) : undefined
    })
    expect(tick).toBe(1)
    const runs = await until('scheduled collections', async () => {
      const { rows } = await db.query(
        `select count(*)::int as n, coalesce(sum(points), 0)::int as points from collection_runs
          where kind = 'scheduled' and status in ('succeeded', 'partial')`,
      )
      return rows[0].n > 0 ? (rows[0] as { n: number; points: number }) : undefined
    })
    expect(runs.n).toBeGreaterThan(0)
    expect(runs.points).toBeGreaterThan(0)
    // The same slot fired again claims nothing: still one tick.
    await fetch(`${stack.baseUrl}/cdn-cgi/local/scheduled?time=${slot}`)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const { rows } = await db.query('select count(*)::int as n from cron_ticks where scheduled_at = $1', [
      new Date(slot),
    ])
    expect(rows[0].n).toBe(1)
  })

  it('limits the API rate per tenant on Deno KV atomic sums', async () => {
    const auth = await login(UMBRELLA)
    // The limiter counts per fixed minute: start early in one, so every request lands in it.
    const intoMinute = Date.now() % 60_000
    if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100))
    const statuses: number[] = []
    for (let i = 0; i < RATE_LIMIT + 5; i++) {
      const answer = await fetch(`${stack.baseUrl}/api/v1/connections`, { headers: auth })
      await answer.arrayBuffer()
      statuses.push(answer.status)
      if (answer.status === 429) expect(answer.headers.get('retry-after')).toBe('60')
    }
    // Counted exactly: the first RATE_LIMIT pass, everything after is refused.
    expect(statuses).toEqual([...Array(RATE_LIMIT).fill(200), ...Array(5).fill(429)])
  })

  it('answers every documented operation without a credential as on Workers: 401 envelope or a public answer, never 5xx', async () => {
    // The security matrix's anonymous row, over the Deno entry's own OpenAPI document.
    const document = (await (await fetch(`${stack.baseUrl}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security: unknown[] }>>
    }
    const problems: string[] = []
    let operations = 0
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        operations++
        // A well-formed id of another kind: the answer must not depend on it.
        const url = `${stack.baseUrl}${path.replace(/\{[^}]+\}/g, 'xyz_00000000000000000000')}`
        // Every method but GET takes a JSON body (jsonBodies answers 415 otherwise, before any auth).
        const write = method !== 'get'
        const answer = await fetch(url, {
          method: method.toUpperCase(),
          headers: write ? { 'content-type': 'application/json' } : {},
          body: write ? '{}' : undefined,
        })
        const text = await answer.text()
        const where = `${method.toUpperCase()} ${path}`
        if (answer.headers.get('x-content-type-options') !== 'nosniff')
          problems.push(`${where}: no security headers`)
        if (answer.status >= 500) problems.push(`${where}: ${answer.status} ${text.slice(0, 200)}`)
        if (operation.security.length > 0) {
          const code =
            answer.status === 401 ? (JSON.parse(text) as { error: { code: string } }).error.code : ''
          if (code !== 'UNAUTHENTICATED')
            problems.push(`${where}: ${answer.status} ${code} without a credential`)
        } else if (answer.status >= 400 && !text.startsWith('{"error":')) {
          problems.push(`${where}: ${answer.status} without the error envelope`)
        }
      }
    }
    expect(operations).toBeGreaterThan(100)
    expect(problems).toEqual([])
  })
})
