import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { DbHandle } from '../../db/client.ts'
import { loadConfig } from '../../worker/config.ts'
import { ConnectorError, type Point } from '../../worker/connectors/types.ts'
import worker from '../../worker/index.ts'
import type { JobOf } from '../../worker/jobs/messages.ts'
import { workersKv } from '../../worker/runtime/cloudflare.ts'
import { type SecretPurpose, Vault } from '../../worker/vault/vault.ts'
import { captureQueue, type TestBindings, type TestDatabase } from './env.ts'
import { as, createMember, createTenant, login } from './fixtures.ts'

/**
 * A tenant whose owner is signed in, calling the Worker with a queue of its own that records what
 * is sent; `bindings` adds to the Worker's (a platform app's client id and secret, say).
 */
export async function setup(
  db: TestDatabase,
  options: Parameters<typeof createTenant>[1] = {},
  bindings: Record<string, string> = {},
) {
  const capture = captureQueue()
  // Meta's deliveries (WEBHOOKS) and every other job land in the one capture, in the order sent.
  const env: TestBindings = { ...db.env, ...bindings, JOBS: capture.queue, WEBHOOKS: capture.queue }
  const tenant = await createTenant(db, options)
  const owner = await createMember(db, tenant.tenantId, 'owner')
  const { access_token } = await login(db, owner.email)
  const scoped: TestDatabase = { ...db, env }
  return { tenant, env, capture, call: as(scoped, access_token), scoped }
}

type CollectJob = JobOf<'collect.connection'>

/** A `collect.connection` message as the cron fan-out (scheduled), "collect now" or a backfill sends it. */
export const collectJob = (
  tenantId: string,
  connectionId: string,
  kind: CollectJob['kind'] = 'scheduled',
  range: { from?: string; to?: string } = {},
): CollectJob => ({ type: 'collect.connection', v: 1, tenantId, connectionId, kind, ...range })

/** Queue messages as the runtime delivers them: on the jobs queue, first delivery, unless told otherwise. */
export function jobBatch(bodies: unknown[], options: { queue?: string; attempts?: number } = {}) {
  return createMessageBatch(
    options.queue ?? 'integra-jobs',
    bodies.map((body, i) => ({
      id: `m-${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: options.attempts ?? 1,
      body,
    })),
  )
}

/** Runs a batch through the Worker's real queue consumer; the result says what it acked and retried. */
export async function consume(env: TestBindings, batch: MessageBatch) {
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  return getQueueResult(batch, ctx)
}

/** The items in a random order (Fisher–Yates): deliveries arrive in any order. */
export function shuffle<T>(items: T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** Runs queue messages (first deliveries on the jobs queue) through the Worker's real consumer. */
export const runJobs = (env: TestBindings, bodies: unknown[]) => consume(env, jobBatch(bodies))

/**
 * A platform account id (`prefix` then random digits) that no other test uses, in this file or
 * any running alongside: the fake platforms are shared, and their scenarios and revocations are
 * keyed by account and token, so unique ones keep tests apart without ever resetting the fake.
 */
export const uniqueAccount = (prefix: string, length = 15) =>
  `${prefix}${Array.from(crypto.getRandomValues(new Uint8Array(length - prefix.length)), (b) => b % 10).join('')}`

/** The UTC date `n` days before today, `YYYY-MM-DD`. */
export const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10)

/** Orders points by metric, then day, so collected and expected points compare as lists. */
export const byMetricAndDay = (a: Point, b: Point) =>
  a.metric.localeCompare(b.metric) || a.periodStart.localeCompare(b.periodStart)

/** The ConnectorError a connector call fails with; success or any other error fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  )
  if (!(error instanceof ConnectorError)) throw new Error(`expected a ConnectorError, got ${String(error)}`)
  return error
}

/** Opens one vault secret as the application role inside the tenant's context. */
export async function readSecret(
  env: TestBindings,
  ref: { tenantId: string; ownerId: string; purpose: SecretPurpose },
  version: number,
): Promise<string> {
  const handle = new DbHandle({
    connectionString: env.DATABASE_URL as string,
    wsProxy: env.NEON_WS_PROXY,
    connectTimeoutMs: 5000,
  })
  try {
    return await handle.transaction(
      (tx) => new Vault(tx, workersKv(env.TOKENS), loadConfig(env).VAULT_MASTER_KEYS).get(ref, version),
      { tenantId: ref.tenantId },
    )
  } finally {
    await handle.close()
  }
}
