import type { ChildProcess } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import { spawnReady, stopChild } from '../../db/local/spawn.ts'
import type { StackInfo } from '../../db/local/stack-info.ts'
import { startWranglerDev, type WranglerDev, workerLogs } from '../../db/local/wrangler-dev.ts'
import { hashPassword } from '../../worker/auth/password.ts'

/**
 * Issue 9's "Postgres stopped mid-run", for real: an ephemeral database stack of this file's own
 * (the shared test Postgres serves the other suites) under `wrangler dev` of the app with its
 * queue consumer. Postgres is stopped and restarted on the same port and data while the bridge
 * and the Worker stay up.
 */

const root = path.resolve(import.meta.dirname, '../..')
const OWNER = { email: 'owner@faults.example', password: 'fault suite owner password' }
const APP_SECRET = randomBytes(16).toString('hex')

let stack: { child: ChildProcess; info: StackInfo }
let dev: WranglerDev
let scratch: string
let tenant: { id: string; slug: string }
/** Lines the stack prints after READY: `POSTGRES stopped` / `POSTGRES started`. */
const stackLines: string[] = []

async function query<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack.info.ownerUrl })
  await client.connect()
  try {
    return (await client.query(text, params)).rows as T[]
  } finally {
    await client.end()
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Sends a command to the stack and waits for its answer line. */
async function postgres(command: 'stop' | 'start'): Promise<void> {
  const answer = `POSTGRES ${command === 'stop' ? 'stopped' : 'started'}`
  const seen = stackLines.filter((line) => line === answer).length
  stack.child.stdin?.write(`${command}-postgres\n`)
  await until(
    answer,
    async () => (stackLines.filter((l) => l === answer).length > seen ? true : undefined),
    20_000,
  )
}

/** The Worker's JSON log lines with this message. */
const logged = (message: string) => workerLogs(dev.output, message)

beforeAll(async () => {
  stack = await spawnReady<StackInfo>(path.join(root, 'db/local/stack.ts'), [
    '--ephemeral',
    '--pg-port',
    '0',
    '--bridge-port',
    '0',
  ])
  createInterface({ input: stack.child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
    stackLines.push(line),
  )
  const planId = newId('pln')
  tenant = { id: newId('ten'), slug: `faults-${randomBytes(4).toString('hex')}` }
  await query(
    `insert into plans (id, code, name, modules, users_limit, connections_limit, retention_days, collection_interval_minutes)
       values ($1, 'faults', 'Faults', '{metrics}', 5, 10, 365, 60)`,
    [planId],
  )
  await query('insert into tenants (id, slug, name) values ($1, $2, $3)', [tenant.id, tenant.slug, 'Faults'])
  await query(
    `insert into licenses (id, tenant_id, plan_id, status, valid_from, valid_until)
       values ($1, $2, $3, 'active', now() - interval '1 day', now() + interval '30 days')`,
    [newId('lic'), tenant.id, planId],
  )
  await query(
    `insert into users (id, tenant_id, email, name, role, password_hash) values ($1, $2, $3, 'Owner', 'owner', $4)`,
    [newId('usr'), tenant.id, OWNER.email, await hashPassword(OWNER.password)],
  )
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'integra-faults-'))
  dev = await startWranglerDev({
    scratch,
    vars: {
      APP_ENV: 'development',
      DATABASE_URL: stack.info.appUrl,
      NEON_WS_PROXY: stack.info.wsProxy ?? '',
      // Readiness and API calls give up on an unreachable database within a second.
      DB_CONNECT_TIMEOUT_MS: '1000',
      JWT_SIGNING_KEYS: `f1:${randomBytes(32).toString('base64url')}`,
      VAULT_MASTER_KEYS: `m1:${randomBytes(32).toString('base64url')}`,
    },
  })
}, 120_000)

afterAll(async () => {
  await dev?.stop()
  if (stack) await stopChild(stack.child)
  if (scratch) await fs.rm(scratch, { recursive: true, force: true })
}, 30_000)

describe('Postgres stopped mid-run (wrangler dev, real queue consumer)', () => {
  it('answers 503 with Retry-After, still acknowledges webhooks, and processes them once after the restart', async () => {
    const login = await fetch(`${dev.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(OWNER),
    })
    expect(login.status).toBe(200)
    const { access_token: token } = (await login.json()) as { access_token: string }
    const api = (pathname: string, init: RequestInit = {}) =>
      fetch(`${dev.url}${pathname}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
      })
    const settings = await api('/api/v1/webhooks/meta/settings', {
      method: 'PUT',
      body: JSON.stringify({ app_secret: APP_SECRET, verify_token: 'faults-verify' }),
    })
    expect(settings.status).toBe(200)
    expect((await fetch(`${dev.url}/health/ready`)).status).toBe(200)

    await postgres('stop')
    const stoppedAt = Date.now()

    const ready = await fetch(`${dev.url}/health/ready`)
    expect(ready.status).toBe(503)
    expect(ready.headers.get('retry-after')).toBe('5')
    expect(await ready.json()).toMatchObject({ error: { code: 'NOT_READY' } })

    const read = await api('/api/v1/webhooks/meta/settings')
    expect(read.status).toBe(503)
    expect(read.headers.get('retry-after')).toBe('5')
    const text = await read.text()
    const envelope = JSON.parse(text) as { error: Record<string, unknown> }
    expect(Object.keys(envelope)).toEqual(['error'])
    expect(Object.keys(envelope.error).sort()).toEqual(['code', 'message', 'requestId'])
    expect(envelope.error.code).toBe('DATABASE_UNAVAILABLE')
    // No stack trace, driver message or address reaches the client.
    expect(text).not.toMatch(/\bat |Error:|ECONNREFUSED|127\.0\.0\.1|postgres/i)

    const wamid = `wamid.${randomBytes(12).toString('hex')}`
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1029384756',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550001111', phone_number_id: '2233' },
                statuses: [
                  {
                    id: wamid,
                    status: 'delivered',
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    recipient_id: '5511999990000',
                  },
                ],
              },
            },
          ],
        },
      ],
    })
    const signature = `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`
    const webhook = await fetch(`${dev.url}/webhooks/meta/${tenant.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body,
    })
    expect(webhook.status).toBe(200)
    expect(await webhook.json()).toEqual({ status: 'queued' })

    // The consumer meets the outage and schedules a retry with outage backoff (5–10 s).
    const [failed] = await until(
      'the first delivery to fail',
      async () => {
        const lines = logged('job failed, retrying').filter((l) => l.type === 'meta.webhook')
        return lines.length > 0 ? lines : undefined
      },
      20_000,
    )
    expect(failed).toMatchObject({ attempts: 1, error_name: 'DatabaseConnectError' })
    expect(Number(failed?.delay_seconds)).toBeGreaterThanOrEqual(5)

    await postgres('start')
    const outageMs = Date.now() - stoppedAt
    await until(
      'readiness',
      async () => ((await fetch(`${dev.url}/health/ready`)).status === 200 ? true : undefined),
      15_000,
    )
    const recorded = await until(
      'the webhook to be recorded',
      async () => (logged('meta webhook recorded').some((l) => l.tenant_id === tenant.id) ? true : undefined),
      30_000,
    )
    expect(recorded).toBe(true)
    const counters = await query<{ metric: string; value: number }>(
      'select metric, value::int as value from meta_webhook_counters where tenant_id = $1',
      [tenant.id],
    )
    expect(counters).toEqual([{ metric: 'delivered', value: 1 }])
    // Acknowledged after that one success: no further attempt, nothing dead-lettered.
    const attempts = logged('job failed, retrying').filter((l) => l.type === 'meta.webhook')
    expect(attempts.length).toBeLessThanOrEqual(2)
    expect(await query('select 1 from job_dead_letters')).toEqual([])
    console.log(
      `[faults] outage ${outageMs} ms, ${attempts.length} failed deliveries, first retry after ${failed?.delay_seconds} s`,
    )
  }, 120_000)
})
