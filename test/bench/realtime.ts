import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { unstable_readConfig } from 'wrangler'
import WebSocket from 'ws'
import { signedMetaRequest, whatsappStatusBody } from '../../db/local/fakes/meta-webhook.ts'
import type { StackInfo } from '../../db/local/stack-info.ts'
import { localVars, startWranglerDev, type WranglerDev } from '../../db/local/wrangler-dev.ts'
import { hashPassword } from '../../worker/auth/password.ts'
import type { WireEvent } from '../../worker/realtime/events.ts'
import type { Figure } from './collection.ts'
import { portalSignIn } from './load.ts'

/**
 * Issue 14's "delay from webhook acknowledgement to the change on an open page", locally: the
 * project's own wrangler.toml under `wrangler dev` (its queue consumer and its Durable Object, as
 * deployed), a member's page connected to `/app/events` (a WebSocket from Node, with the portal
 * session cookie), and Meta status webhooks posted one at a time, each moving one sent message to
 * `delivered`. Each sample is the time from the webhook's 200 to the `message.status` event on the
 * socket: queue delivery (the consumer's batching included), the job's transaction, the publish.
 * Deliveries go to their own queue (`integra-webhooks`, `max_batch_timeout = 0`); on the shared
 * jobs queue (`max_batch_timeout = 2`) a lone message waited up to 2 s for company: 2,070 / 2,534
 * ms p50 / p99 then (docs/attendance.md, "Measured").
 */
const SAMPLES = Number(process.env.BENCH_REALTIME_SAMPLES ?? 50)
const TENANT = `ten_${'r'.padStart(20, '0')}`
const SLUG = 'bench-realtime'
const OWNER = { email: 'owner@bench-realtime.example', password: 'bench realtime owner password' }
const PHONE_NUMBER_ID = '106540352242922'
const say = (line: string) => process.stdout.write(`[bench:realtime] ${line}\n`)
const root = path.resolve(import.meta.dirname, '../..')

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number

async function query(url: string, text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text, params)).rows
  } finally {
    await client.end()
  }
}

/** Its own database (cloned from the migrated template): one tenant, its owner, sent messages. */
async function dataset(stack: StackInfo) {
  if (!stack.templateDatabase) throw new Error('the bench stack must be started with --template')
  const database = `integra_bench_rt_${Date.now().toString(36)}`
  await query(stack.ownerUrl, `create database ${database} template ${stack.templateDatabase}`)
  const at = (url: string) => Object.assign(new URL(url), { pathname: `/${database}` }).href
  const ids = Array.from({ length: SAMPLES }, (_, i) => `msg_${String(i).padStart(20, '0')}`)
  await query(
    at(stack.ownerUrl),
    `insert into plans (id, code, name, modules, users_limit, connections_limit, retention_days, collection_interval_minutes)
       values ('pln_benchrt00000000000', 'bench-rt', 'Bench', '{metrics}', 5, 10, 365, 60);
     insert into tenants (id, slug, name) values ('${TENANT}', '${SLUG}', 'Bench realtime');
     insert into licenses (id, tenant_id, plan_id, status, valid_from, valid_until)
       values ('lic_benchrt00000000000', '${TENANT}', 'pln_benchrt00000000000', 'active', now() - interval '1 day', now() + interval '30 days');
     insert into users (id, tenant_id, email, name, role, password_hash)
       values ('usr_benchrt00000000000', '${TENANT}', '${OWNER.email}', 'Bench owner', 'owner', '${await hashPassword(OWNER.password)}');
     insert into outbound_messages (id, tenant_id, channel, purpose, recipient, payload, idempotency_key, status, provider_message_id, sent_at)
       select 'msg_' || lpad(i::text, 20, '0'), '${TENANT}', 'whatsapp', 'bench.realtime', '5511999990000', '{}'::jsonb,
         'bench-' || i, 'sent', 'wamid.bench-' || i, now()
       from generate_series(0, ${SAMPLES - 1}) i`,
  )
  return { appUrl: at(stack.appUrl), ids }
}

/** A member's page: the WebSocket `live.js` opens, with the session cookie and the page's origin. */
async function openPage(dev: WranglerDev, cookie: string) {
  const socket = new WebSocket(`${dev.url.replace('http', 'ws')}/app/events?topics=messages`, {
    headers: { cookie, origin: dev.url },
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`/app/events answered ${response.statusCode}`)),
    )
    socket.once('error', reject)
  })
  const arrivals = new Map<string, number>()
  socket.on('message', (data) => {
    const event = JSON.parse(String(data)) as WireEvent
    if (event.type === 'message.status' && event.status === 'delivered')
      arrivals.set(event.messageId, performance.now())
  })
  return { socket, arrivals }
}

export async function benchRealtime(stack: StackInfo, fakesUrl: string): Promise<Figure[]> {
  const base = unstable_readConfig({ config: path.join(root, 'wrangler.toml') })
  const webhooks = base.queues.consumers?.find((consumer) => consumer.queue === 'integra-webhooks')
  return measure(
    stack,
    fakesUrl,
    `webhooks queue, max_batch_timeout ${webhooks?.max_batch_timeout ?? '?'} s as in wrangler.toml`,
  )
}

async function measure(
  stack: StackInfo,
  fakesUrl: string,
  label: string,
  config?: object,
): Promise<Figure[]> {
  const { appUrl, ids } = await dataset(stack)
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'integra-bench-rt-'))
  const dev = await startWranglerDev({
    scratch,
    config,
    vars: {
      ...localVars(stack, fakesUrl),
      DATABASE_URL: appUrl,
      JWT_SIGNING_KEYS: `r1:${randomBytes(32).toString('base64url')}`,
      VAULT_MASTER_KEYS: `m1:${randomBytes(32).toString('base64url')}`,
    },
    args: ['--log-level', 'none'],
  })
  try {
    const login = await fetch(`${dev.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(OWNER),
    })
    const { access_token: token } = (await login.json()) as { access_token: string }
    const appSecret = randomBytes(24).toString('hex')
    const settings = await fetch(`${dev.url}/api/v1/webhooks/meta/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app_secret: appSecret, verify_token: 'bench-verify-token' }),
    })
    if (!settings.ok) throw new Error(`webhook settings answered ${settings.status}`)
    const page = await openPage(dev, await portalSignIn(dev.url, OWNER.email, OWNER.password))

    const delays: number[] = []
    let lost = 0
    for (const [index, id] of ids.entries()) {
      const body = whatsappStatusBody(PHONE_NUMBER_ID, [
        { wamid: `wamid.bench-${index}`, status: 'delivered' },
      ])
      const request = await signedMetaRequest(appSecret, body)
      const response = await fetch(`${dev.url}/webhooks/meta/${SLUG}`, request)
      const acknowledged = performance.now()
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`webhook answered ${response.status}`)
      const deadline = acknowledged + 30_000
      while (!page.arrivals.has(id) && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 2))
      const arrived = page.arrivals.get(id)
      if (arrived === undefined) lost++
      else delays.push(arrived - acknowledged)
    }
    page.socket.close()
    const sorted = [...delays].sort((a, b) => a - b)
    const ms = (value: number) => Math.round(value)
    say(`${label}: delays (ms): ${sorted.map(ms).join(' ')}`)
    return [
      {
        figure: `Webhook ack → event on an open page, p50 (${SAMPLES} status webhooks one at a time, ${label})`,
        value: ms(percentile(sorted, 50)),
        unit: 'ms',
        target: 'info',
        pass: true,
      },
      {
        figure: `Webhook ack → event on an open page, p99 (${label})`,
        value: ms(percentile(sorted, 99)),
        unit: 'ms',
        target: 'info',
        pass: true,
      },
      {
        figure: `Webhook status events that never reached the open page (30 s each, ${label})`,
        value: lost,
        unit: 'events',
        target: '0',
        pass: lost === 0,
      },
    ]
  } finally {
    await dev.stop()
  }
}
