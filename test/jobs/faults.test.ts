import { createExecutionContext, createMessageBatch, createScheduledController } from 'cloudflare:test'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { newId } from '../../db/ids.ts'
import worker from '../../worker/index.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { collectJob, consume, jobBatch, runJobs, setup, uniqueAccount } from '../helpers/connections.ts'
import {
  captureQueue,
  createTestDatabase,
  fakeControl,
  type TestBindings,
  type TestDatabase,
} from '../helpers/env.ts'
import { createTenant } from '../helpers/fixtures.ts'
import { captureLogs } from '../helpers/worker.ts'

/**
 * The fault suite of issue 9, inside workerd: each fault is injected where it happens in
 * production (a database that cannot be reached, a message failing in the middle of a batch, a
 * cron slot fired twice, KV serving a value older than Postgres expects, a platform throttling,
 * failing or hanging) and the test proves what is retried, how long it waits, and that a retry
 * neither loses nor duplicates work. Postgres stopped under a running `wrangler dev` is proved in
 * Node: test/node/faults.node.ts.
 */

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** A connected Instagram account of a fresh tenant, with its own queue capture. */
async function connected(options: { expiresAt?: Date } = {}) {
  const context = await setup(db)
  const externalAccountId = uniqueAccount('178414')
  const token = `fake-ig-${crypto.randomUUID()}`
  const response = await context.call('/api/v1/connections', {
    method: 'POST',
    json: {
      platform: 'instagram',
      external_account_id: externalAccountId,
      access_token: token,
      ...(options.expiresAt ? { expires_at: options.expiresAt.toISOString() } : {}),
    },
  })
  expect(response.status).toBe(201)
  const { id } = (await response.json()) as { id: string }
  const job = collectJob(context.tenant.tenantId, id)
  return { ...context, connectionId: id, externalAccountId, token, job }
}

const pointCount = async (connectionId: string) =>
  (
    await db.owner<{ n: number }>('select count(*)::int as n from metric_points where connection_id = $1', [
      connectionId,
    ])
  )[0]?.n

const runsOf = (connectionId: string) =>
  db.owner<{ status: string; attempt: number; api_calls: number; error: string | null }>(
    'select status, attempt, api_calls, error from collection_runs where connection_id = $1 order by started_at',
    [connectionId],
  )

/** Requests the shared fake platform saw for one account (keyed by account: other files run alongside). */
async function platformCalls(externalAccountId: string): Promise<number> {
  const { requests } = (await fakeControl('requests?platform=instagram')) as { requests: { path: string }[] }
  return requests.filter((r) => r.path.includes(externalAccountId)).length
}

/** Delivers `job` as delivery number `attempts` and returns the delay the consumer asked for (null: acked). */
async function deliver(env: TestBindings, job: unknown, attempts: number): Promise<number | null> {
  const batch = jobBatch([job], { attempts })
  const retry = vi.spyOn(batch.messages[0] as Message<unknown>, 'retry')
  const result = await consume(env, batch)
  if (result.explicitAcks.length === 1) return null
  expect(result.retryMessages).toHaveLength(1)
  return retry.mock.calls[0]?.[0]?.delaySeconds ?? 0
}

describe('Postgres unreachable while a job runs', () => {
  it('retries with outage-sized delays (5+10+20+40+80 s at least over 5 retries) and writes nothing', async () => {
    const scheduledTime = Date.UTC(2031, 0, 1) + Math.floor(Math.random() * 1e9) * 1000
    const env = {
      ...db.env,
      DATABASE_URL: 'postgres://integra_app:x@127.0.0.1:1/none',
      DB_CONNECT_TIMEOUT_MS: '1000',
    }
    const tick: JobMessage = { type: 'cron.tick', v: 1, cron: 'outage', scheduledTime }
    const delays: number[] = []
    for (const attempts of [1, 2, 3, 4, 5]) delays.push((await deliver(env, tick, attempts)) as number)
    delays.forEach((delay, i) => {
      const base = 5 * 2 ** i
      expect(delay).toBeGreaterThanOrEqual(base)
      expect(delay).toBeLessThanOrEqual(2 * base)
    })
    // Full jitter could have spent the whole retry budget in 5 s and dead-lettered the message.
    expect(delays.reduce((sum, d) => sum + d, 0)).toBeGreaterThanOrEqual(155)
    const ticks = await db.owner('select 1 from cron_ticks where scheduled_at = $1', [
      new Date(scheduledTime).toISOString(),
    ])
    expect(ticks).toEqual([])
  })
})

describe('a batch with a failure in the middle', () => {
  it('acks the good messages, retries only the failing one, and loses nothing on redelivery', async () => {
    const first = await connected()
    const broken = await connected()
    const last = await connected()
    const env = first.env
    // KV lost the broken connection's ciphertext (or has not caught up yet): its run must retry.
    const kvKey = `vault/${broken.tenant.tenantId}/${broken.connectionId}/access_token`
    const saved = (await env.TOKENS.get(kvKey)) as string
    await env.TOKENS.delete(kvKey)

    const run = async (attempts: number) => {
      const batch = createMessageBatch(
        'integra-jobs',
        [first, broken, last].map((c, i) => ({
          id: `msg-${i}`,
          timestamp: new Date(),
          attempts,
          body: c.job,
        })),
      )
      const { result, lines } = await captureLogs(() => consume(env, batch))
      return { result, lines }
    }
    const { result, lines } = await run(1)
    expect(result.explicitAcks.sort()).toEqual(['msg-0', 'msg-2'])
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['msg-1'])
    for (const c of [first, broken, last]) expect(JSON.stringify(lines)).not.toContain(c.token)

    const firstPoints = await pointCount(first.connectionId)
    expect(firstPoints).toBeGreaterThan(0)
    expect(await pointCount(broken.connectionId)).toBe(0)

    // Redelivery once KV has the value: the failed one lands, the others are unchanged (upserts).
    await env.TOKENS.put(kvKey, saved)
    const again = await run(2)
    expect(again.result.explicitAcks.sort()).toEqual(['msg-0', 'msg-1', 'msg-2'])
    expect(await pointCount(first.connectionId)).toBe(firstPoints)
    expect(await pointCount(broken.connectionId)).toBe(firstPoints)
    expect(await pointCount(last.connectionId)).toBe(firstPoints)
  })
})

describe('the same cron scheduled time fired twice', () => {
  it('claims the slot once: one fan-out, each due connection queued once', async () => {
    const tenant = await createTenant(db)
    const due = newId('con')
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id, next_collect_at)
       values ($1, $2, 'instagram', $1, now() - interval '1 minute')`,
      [due, tenant.tenantId],
    )
    await db.owner(
      `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted)
       values ($1, $2, 'connection', $3, 'metrics_collection', 'test', true)`,
      [newId('cns'), tenant.tenantId, due],
    )
    // Cron fires the same slot twice (at-least-once scheduling): two identical tick messages.
    const ticks = captureQueue()
    const scheduledTime = Date.now()
    for (let i = 0; i < 2; i++) {
      const controller = createScheduledController({ scheduledTime, cron: '*/15 * * * *' })
      await worker.scheduled(controller, { ...db.env, JOBS: ticks.queue }, createExecutionContext())
    }
    expect(ticks.messages).toHaveLength(2)
    expect(ticks.messages[0]).toEqual(ticks.messages[1])

    // Both delivered at once, by two consumer invocations racing for the slot.
    const fanOut = captureQueue()
    const env = { ...db.env, JOBS: fanOut.queue }
    const results = await Promise.all(ticks.messages.map((tick) => runJobs(env, [tick])))
    expect(results.every((r) => r.explicitAcks.length === 1)).toBe(true)
    const collects = (fanOut.messages as JobMessage[]).flatMap((m) =>
      m.type === 'collect.connection' ? [m.connectionId] : [],
    )
    expect(collects.filter((id) => id === due)).toHaveLength(1)
    expect(new Set(collects).size).toBe(collects.length)
    const claimed = await db.owner('select 1 from cron_ticks where scheduled_at = $1', [
      new Date(scheduledTime).toISOString(),
    ])
    expect(claimed).toHaveLength(1)
  })
})

describe('a stale KV read after a token rotation', () => {
  it('retries after 30 s without calling the platform, then succeeds once KV has caught up', async () => {
    // Expiring within Instagram's 7-day lead: the first run refreshes the token (version 2).
    const { env, job, tenant, connectionId, externalAccountId } = await connected({
      expiresAt: new Date(Date.now() + 86_400_000),
    })
    const kvKey = `vault/${tenant.tenantId}/${connectionId}/access_token`
    const beforeRotation = (await env.TOKENS.get(kvKey)) as string
    expect(await deliver(env, job, 1)).toBeNull()
    const [row] = await db.owner<{ token_version: number }>(
      'select token_version from connections where id = $1',
      [connectionId],
    )
    expect(row?.token_version).toBe(2)
    const rotated = (await env.TOKENS.get(kvKey)) as string
    expect(rotated).not.toBe(beforeRotation)

    // Another location's KV still serves the value written before the rotation.
    await env.TOKENS.put(kvKey, beforeRotation)
    const calls = await platformCalls(externalAccountId)
    const points = await pointCount(connectionId)
    expect(await deliver(env, job, 1)).toBe(30)
    expect(await platformCalls(externalAccountId)).toBe(calls)

    // KV catches up: the redelivery collects with the rotated token.
    await env.TOKENS.put(kvKey, rotated)
    expect(await deliver(env, job, 2)).toBeNull()
    expect(await platformCalls(externalAccountId)).toBeGreaterThan(calls)
    expect(await pointCount(connectionId)).toBe(points)
    expect((await runsOf(connectionId)).map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
  })
})

describe('platform storms', () => {
  it('a 429 storm: every retry waits the platform’s own 2 minutes, one call per attempt, each recorded', async () => {
    const { env, job, connectionId, externalAccountId } = await connected()
    await fakeControl('scenario', { account: externalAccountId, scenario: 'throttle' })
    const before = await platformCalls(externalAccountId)
    const delays: (number | null)[] = []
    for (const attempts of [1, 2, 3, 4, 5]) delays.push(await deliver(env, job, attempts))
    // X-Business-Use-Case-Usage said 2 minutes to regain access; our backoff is shorter until then.
    expect(delays).toEqual([120, 120, 120, 120, 120])
    expect((await platformCalls(externalAccountId)) - before).toBe(5)
    const runs = await runsOf(connectionId)
    expect(runs.map((r) => [r.status, r.attempt, r.api_calls])).toEqual(
      [1, 2, 3, 4, 5].map((attempt) => ['retrying', attempt, 1]),
    )
    expect(runs[0]?.error).toMatch(/rate limited/)
  })

  it('a 5xx storm: exponential backoff with full jitter, never zero, one call per attempt', async () => {
    const { env, job, connectionId, externalAccountId } = await connected()
    await fakeControl('scenario', { account: externalAccountId, scenario: 'server_error' })
    const before = await platformCalls(externalAccountId)
    const jittered: (number | null)[] = []
    for (const attempts of [1, 2, 3, 4, 5]) jittered.push(await deliver(env, job, attempts))
    jittered.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(1)
      expect(delay).toBeLessThanOrEqual(2 ** (i + 1))
    })
    // The jitter's top draw shows the ceilings: doubling each attempt.
    vi.spyOn(Math, 'random').mockReturnValue(0.999)
    const ceilings: (number | null)[] = []
    for (const attempts of [1, 2, 3, 4, 5, 6]) ceilings.push(await deliver(env, job, attempts))
    expect(ceilings).toEqual([2, 4, 8, 16, 32, 64])
    expect((await platformCalls(externalAccountId)) - before).toBe(11)
    const runs = await runsOf(connectionId)
    expect(runs).toHaveLength(11)
    expect(runs.every((r) => r.status === 'retrying' && r.api_calls === 1)).toBe(true)
    expect(runs[0]?.error).toBe('platform error 500')
  })

  it('a slow platform: the call times out, the run is recorded with the timeout, the message retried', async () => {
    const { env, job, connectionId, externalAccountId } = await connected()
    await fakeControl('scenario', { account: externalAccountId, scenario: 'slow' })
    const started = Date.now()
    const delay = await deliver({ ...env, PLATFORM_TIMEOUT_MS: '300' }, job, 1)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(delay).toBeGreaterThanOrEqual(1)
    const runs = await runsOf(connectionId)
    expect(runs).toMatchObject([
      { status: 'retrying', attempt: 1, api_calls: 1, error: 'platform did not answer within 300 ms' },
    ])
    expect(await pointCount(connectionId)).toBe(0)
  })
})
