import { neonConfig } from '@neondatabase/serverless'
import pg from 'pg'
import { DbHandle } from '../../db/client.ts'
import { newId } from '../../db/ids.ts'
import type { StackInfo } from '../../db/local/stack-info.ts'
import { loadConfig } from '../../worker/config.ts'
import type { Point } from '../../worker/connectors/types.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import type { JobQueue, KeyValueStore, ObjectStore, Services } from '../../worker/runtime/ports.ts'
import { collectConnection } from '../../worker/services/collection/collect.ts'
import { fanOutDueConnections } from '../../worker/services/collection/fan-out.ts'
import { upsertPoints } from '../../worker/services/collection/points.ts'
import { Vault } from '../../worker/vault/vault.ts'

export type Figure = { figure: string; value: number; unit: string; target: string; pass: boolean }

// Node has WebSocket built in since 22; the Neon driver uses it through the local bridge.
neonConfig.webSocketConstructor = WebSocket

const memoryKv = (): KeyValueStore => {
  const map = new Map<string, string>()
  return {
    get: async (key) => map.get(key) ?? null,
    put: async (key, value) => void map.set(key, value),
    delete: async (key) => void map.delete(key),
    list: async (prefix) => [...map.keys()].filter((key) => key.startsWith(prefix)),
  }
}

/** Collection stores no files. */
const unused = async (): Promise<never> => {
  throw new Error('the collection bench stores no objects')
}
const noObjects: ObjectStore = { create: unused, get: unused, delete: unused, list: unused }

const countingQueue = () => {
  const sent: JobMessage[] = []
  let batches = 0
  const queue: JobQueue = {
    send: async (message) => void sent.push(message),
    async sendMany(messages) {
      for (let i = 0; i < messages.length; i += 100) {
        batches++
        sent.push(...messages.slice(i, i + 100))
      }
      return Math.ceil(messages.length / 100)
    },
  }
  return { queue, sent, batches: () => batches }
}

async function owner(stack: StackInfo, text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: stack.ownerUrl })
  await client.connect()
  try {
    return (await client.query(text, params)).rows
  } finally {
    await client.end()
  }
}

/** Tenants with an active metrics plan and `perTenant` due connections each, written in bulk. */
async function seedDue(stack: StackInfo, tenants: number, perTenant: number): Promise<string[]> {
  const plan = newId('pln')
  await owner(
    stack,
    `insert into plans (id, code, name, modules, users_limit, connections_limit, retention_days, collection_interval_minutes)
    values ($1, $1, 'bench', '{metrics}', 5, 100000, 365, 60)`,
    [plan],
  )
  const ids = Array.from({ length: tenants }, () => newId('ten'))
  await owner(
    stack,
    `insert into tenants (id, slug, name) select id, 'bench-' || substr(id, 5), 'Bench' from unnest($1::text[]) id;
     insert into licenses (id, tenant_id, plan_id, status, valid_from, valid_until)
       select 'lic_' || substr(id, 5), id, $2, 'active', now() - interval '1 day', now() + interval '30 days' from unnest($1::text[]) id;
     insert into connections (id, tenant_id, platform, external_account_id, next_collect_at)
       select 'con_' || substr(md5(t || ':' || n), 1, 20), t, 'instagram', t || '-' || n, now() - interval '1 minute'
       from unnest($1::text[]) t, generate_series(1, $3) n;
     insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted)
       select 'cns_' || substr(md5(c.id), 1, 20), c.tenant_id, 'connection', c.id, 'metrics_collection', 'bench', true
       from connections c where c.tenant_id = any($1::text[])`
      .replace(/\$1/g, `'{${ids.join(',')}}'`)
      .replace(/\$2/g, `'${plan}'`)
      .replace(/\$3/g, String(perTenant)),
  )
  return ids
}

export async function benchFanOut(stack: StackInfo, connections = 10_000): Promise<Figure[]> {
  await seedDue(stack, 100, connections / 100)
  const db = new DbHandle({
    connectionString: stack.appUrl,
    wsProxy: stack.wsProxy,
    connectTimeoutMs: 10_000,
  })
  const { queue, sent, batches } = countingQueue()
  const started = performance.now()
  const result = await db.transaction((tx) => fanOutDueConnections(tx as never, queue, new Date()), {
    operator: true,
  })
  const ms = performance.now() - started
  await db.close()
  return [
    {
      figure: `fan-out: messages for ${connections} due connections`,
      value: sent.length,
      unit: 'messages',
      target: `= ${connections}`,
      pass: sent.length === connections,
    },
    {
      figure: 'fan-out: sendBatch calls',
      value: batches(),
      unit: 'calls',
      target: '≤ 100',
      pass: batches() <= 100,
    },
    {
      figure: 'fan-out: SQL statements (incl. BEGIN/COMMIT)',
      value: db.statements,
      unit: 'statements',
      target: 'info',
      pass: true,
    },
    { figure: 'fan-out: pages', value: result.pages, unit: 'pages', target: 'info', pass: true },
    { figure: 'fan-out: wall time', value: Math.round(ms), unit: 'ms', target: 'info', pass: true },
  ]
}

const CONSUMERS = 4

export async function benchUpsert(stack: StackInfo, total = 1_000_000, perRun = 1_000): Promise<Figure[]> {
  const [tenantId] = await seedDue(stack, 1, total / perRun)
  const rows = (await owner(stack, 'select id from connections where tenant_id = $1', [tenantId])) as {
    id: string
  }[]
  const db = new DbHandle({
    connectionString: stack.appUrl,
    wsProxy: stack.wsProxy,
    connectTimeoutMs: 10_000,
  })
  const metrics = [
    'reach',
    'views',
    'likes',
    'comments',
    'shares',
    'saves',
    'follower_count',
    'total_interactions',
    'accounts_engaged',
    'replies',
  ]
  const pointsFor = (salt: number): Point[] =>
    Array.from({ length: perRun }, (_, i) => ({
      metric: metrics[i % metrics.length] as string,
      granularity: 'day',
      periodStart: new Date(Date.UTC(2025, 0, 1) + Math.floor(i / metrics.length) * 86_400_000)
        .toISOString()
        .slice(0, 10),
      value: (i * 7 + salt) % 1000,
    }))
  // Batched: one statement per run of `perRun` points, as the consumer does, from CONSUMERS
  // concurrent consumers (each its own connection), as queue consumers run in production.
  let started = performance.now()
  await Promise.all(
    Array.from({ length: CONSUMERS }, async (_, worker) => {
      const handle = new DbHandle({
        connectionString: stack.appUrl,
        wsProxy: stack.wsProxy,
        connectTimeoutMs: 10_000,
      })
      for (let index = worker; index < rows.length; index += CONSUMERS) {
        const row = rows[index] as { id: string }
        await handle.transaction(
          (tx) => upsertPoints(tx as never, tenantId as string, row.id, pointsFor(index)),
          { tenantId },
        )
      }
      await handle.close()
    }),
  )
  const batchedPerSecond = total / ((performance.now() - started) / 1000)
  // Baseline in the same run: the same upsert one row per statement, on a sample.
  const sample = 5_000
  const baselineConnection = rows[0]?.id as string
  const baselinePoints = pointsFor(7)
    .concat(pointsFor(8))
    .concat(pointsFor(9))
    .concat(pointsFor(10))
    .concat(pointsFor(11))
    .slice(0, sample)
  started = performance.now()
  await db.transaction(
    async (tx) => {
      for (const point of baselinePoints)
        await upsertPoints(tx as never, tenantId as string, baselineConnection, [point])
    },
    { tenantId },
  )
  const rowPerSecond = sample / ((performance.now() - started) / 1000)
  await db.close()
  const [count] = (await owner(stack, 'select count(*)::int as n from metric_points where tenant_id = $1', [
    tenantId,
  ])) as { n: number }[]
  return [
    {
      figure: `upsert: points stored`,
      value: count?.n ?? 0,
      unit: 'rows',
      target: `= ${total}`,
      pass: count?.n === total,
    },
    {
      figure: `upsert: batched (${perRun} points per statement, ${CONSUMERS} consumers)`,
      value: Math.round(batchedPerSecond),
      unit: 'points/s',
      target: '≥ 50000',
      pass: batchedPerSecond >= 50_000,
    },
    {
      figure: 'upsert: row-by-row baseline (same run, 1 consumer)',
      value: Math.round(rowPerSecond),
      unit: 'points/s',
      target: 'info',
      pass: true,
    },
    {
      figure: 'upsert: batched ÷ row-by-row',
      value: Math.round((batchedPerSecond / rowPerSecond) * 10) / 10,
      unit: '×',
      target: '≥ 10',
      pass: batchedPerSecond >= 10 * rowPerSecond,
    },
  ]
}

/** One scheduled collection of one Instagram connection against the fake; statements counted by kind. */
export async function benchCollectionRun(stack: StackInfo, fakesUrl: string): Promise<Figure[]> {
  const [tenantId] = await seedDue(stack, 1, 1)
  const [connection] = (await owner(stack, 'select id from connections where tenant_id = $1', [
    tenantId,
  ])) as { id: string }[]
  const statements: string[] = []
  const config = loadConfig({
    DATABASE_URL: stack.appUrl,
    NEON_WS_PROXY: stack.wsProxy,
    JWT_SIGNING_KEYS: `b:${Buffer.alloc(32, 1).toString('base64url')}`,
    VAULT_MASTER_KEYS: `m:${Buffer.alloc(32, 2).toString('base64url')}`,
    INSTAGRAM_API_URL: `${fakesUrl}/instagram`,
  })
  const tokens = memoryKv()
  const db = new DbHandle({
    connectionString: stack.appUrl,
    wsProxy: stack.wsProxy,
    connectTimeoutMs: 10_000,
    onStatement: (q) => statements.push(q),
  })
  await db.transaction(
    (tx) =>
      new Vault(tx, tokens, config.VAULT_MASTER_KEYS).put(
        { tenantId: tenantId as string, ownerId: connection?.id as string, purpose: 'access_token' },
        'fake-bench-token',
        1,
      ),
    { tenantId },
  )
  statements.length = 0
  const before = db.statements
  const services: Services = {
    config,
    db,
    jobs: countingQueue().queue,
    webhooks: countingQueue().queue,
    tokens,
    exports: noObjects,
    files: noObjects,
    events: { publish: async () => {} },
  }
  await collectConnection(
    {
      type: 'collect.connection',
      v: 1,
      tenantId: tenantId as string,
      connectionId: connection?.id as string,
      kind: 'scheduled',
    },
    services,
    { messageId: 'bench', attempts: 1 },
  )
  const upserts = statements.filter((q) => q.includes('insert into metric_points')).length
  await db.close()
  return [
    {
      figure: 'collection run: upsert statements',
      value: upserts,
      unit: 'statements',
      target: '= 1',
      pass: upserts === 1,
    },
    {
      figure: 'collection run: all SQL statements (incl. BEGIN/COMMIT)',
      value: db.statements - before,
      unit: 'statements',
      target: 'info',
      pass: true,
    },
  ]
}
