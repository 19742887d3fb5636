import { createHmac, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PgDialect } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { unstable_readConfig } from 'wrangler'
import type { StackInfo } from '../../db/local/stack-info.ts'
import { startWranglerDev, type WranglerDev } from '../../db/local/wrangler-dev.ts'
import { hashPassword } from '../../worker/auth/password.ts'
import type { ServiceContext } from '../../worker/services/context.ts'
import { readSeries } from '../../worker/services/metrics/series.ts'
import type { Figure } from './collection.ts'
import { type SentStatement, startCountingBridge } from './counting-bridge.ts'
import { countWaits, type DistanceTarget, distanceFigures, measureLatency } from './distance.ts'
import {
  benchLoad,
  cannon,
  type LoadRequest,
  type LoadTarget,
  portalSignIn,
  type Run,
  settle,
} from './load.ts'

/**
 * The API benchmarks of issue 5, against `wrangler dev` (workerd, the real Neon driver through a
 * local bridge) on a generated dataset:
 * - 20 million points × BENCH_SCALE across 200 tenants; the big tenant has 50 connections × 2
 *   years × 15 metrics (connections scale too), written by Postgres itself (generate_series);
 * - the one-year monthly series of the big tenant: its plan, and endpoint time ÷ the time of the
 *   same statement sent straight to Postgres, measured alternately in the same run;
 * - SQL statements of one authenticated metrics read, counted on the wire;
 * - Meta webhook acknowledgements per second ÷ a bare Worker's, same wrangler, same load;
 * - issue 9's load runs (autocannon, loopback): login, an authenticated metrics read, a webhook
 *   acknowledgement and the portal dashboard, with SQL statements per request.
 */
const root = path.resolve(import.meta.dirname, '../..')
/** `BENCH_QUICK=1`: fewer rounds and samples, BENCH_SCALE 0.02 unless set: a few minutes in all. */
export const QUICK = process.env.BENCH_QUICK === '1'
export const SCALE = Number(process.env.BENCH_SCALE ?? (QUICK ? 0.02 : 1))
if (!(SCALE > 0 && SCALE <= 1)) throw new Error('BENCH_SCALE must be a number in (0, 1]')

const DAYS = 730
const FIRST_DAY = '2024-01-01'
/** Instagram's 10 catalog metrics and 5 it retired, kept as history (as a tenant's table would). */
const METRICS: [string, 'day' | 'lifetime'][] = [
  ['reach', 'day'],
  ['follower_count', 'day'],
  ['views', 'day'],
  ['likes', 'day'],
  ['comments', 'day'],
  ['shares', 'day'],
  ['saves', 'day'],
  ['total_interactions', 'day'],
  ['accounts_engaged', 'day'],
  ['followers', 'lifetime'],
  ['impressions', 'day'],
  ['profile_views', 'day'],
  ['website_clicks', 'day'],
  ['email_contacts', 'day'],
  ['get_directions_clicks', 'day'],
]
const PER_CONNECTION = DAYS * METRICS.length
const TENANTS = 200
const BIG_TENANT = `ten_${'1'.padStart(20, '0')}`
/**
 * The big tenant's connections: 50 at every scale (its dashboard and its one-year read are what
 * the targets are about); BENCH_SCALE scales the other tenants.
 */
const BIG_CONNECTIONS = 50
const OWNER = { email: 'owner@bench-api.example', password: 'bench api owner password' }
/** Signs in for the distance runs: sessions are capped per user, so not the owner's. */
const SIGNER = { email: 'signer@bench-api.example', password: 'bench api signer password' }
/** The one-year monthly read: the second year of the data. */
const SERIES_QUERY = { from: '2025-01-01', to: '2025-12-31', granularity: 'month' as const }
const TIMED_READS = QUICK ? 5 : 15
/** Webhook throughput rounds; each runs every target once, bounded in requests and time. */
const ROUNDS = QUICK ? 2 : 5
/** Simulated round trips (ms) and requests per target and RTT for the distance tables. */
const RTTS = [0, 50, 150]
const DISTANCE_SAMPLES = QUICK ? 5 : 9
/** The deployment shape docs/architecture.md chooses: goal 3's bounds are checked on it. */
const PRODUCTION_SHAPE = 'placed'

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}
const round = (value: number, decimals = 0) => Math.round(value * 10 ** decimals) / 10 ** decimals
const say = (line: string) => process.stdout.write(`[bench:api] ${line}\n`)

function withDatabase(url: string, database: string): string {
  const next = new URL(url)
  next.pathname = `/${database}`
  return next.href
}

async function query<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text, params)).rows as T[]
  } finally {
    await client.end()
  }
}

/** The dataset, in its own database cloned from the migrated template. */
async function generateDataset(
  stack: StackInfo,
): Promise<{ ownerUrl: string; appUrl: string; figures: Figure[] }> {
  if (!stack.templateDatabase) throw new Error('the bench stack must be started with --template')
  const database = `integra_bench_api_${Date.now().toString(36)}`
  await query(stack.ownerUrl, `create database ${database} template ${stack.templateDatabase}`)
  const ownerUrl = withDatabase(stack.ownerUrl, database)
  const appUrl = withDatabase(stack.appUrl, database)
  const bigConnections = BIG_CONNECTIONS
  const otherConnections = Math.max(
    TENANTS - 1,
    Math.round((20_000_000 * SCALE - bigConnections * PER_CONNECTION) / PER_CONNECTION),
  )
  const connections = bigConnections + otherConnections
  const expected = connections * PER_CONNECTION
  say(
    `BENCH_SCALE=${SCALE}: ${TENANTS} tenants, ${connections} connections (${bigConnections} in the big tenant), ${expected.toLocaleString('en-US')} points`,
  )
  const started = performance.now()
  const passwordHash = await hashPassword(OWNER.password)
  const signerHash = await hashPassword(SIGNER.password)
  await query(
    ownerUrl,
    `insert into plans (id, code, name, modules, users_limit, connections_limit, retention_days, collection_interval_minutes)
       values ('pln_benchapi00000000000', 'bench-api', 'Bench', '{metrics}', 5, 100000, 3650, 60);
     insert into tenants (id, slug, name)
       select 'ten_' || lpad(i::text, 20, '0'), 'bench-api-' || i, 'Bench ' || i from generate_series(1, ${TENANTS}) i;
     insert into licenses (id, tenant_id, plan_id, status, valid_from, valid_until)
       select 'lic_' || substr(id, 5), id, 'pln_benchapi00000000000', 'active', now() - interval '1 day', now() + interval '30 days'
       from tenants where id like 'ten_0%';
     insert into connections (id, tenant_id, platform, external_account_id, label)
       select 'con_' || lpad(n::text, 20, '0'),
         case when n <= ${bigConnections} then '${BIG_TENANT}'
           else 'ten_' || lpad((2 + (n - ${bigConnections} - 1) % ${TENANTS - 1})::text, 20, '0') end,
         'instagram', 'bench-' || n, 'Account ' || n
       from generate_series(1, ${connections}) n;
     insert into users (id, tenant_id, email, name, role, password_hash)
       values ('usr_benchapi00000000000', '${BIG_TENANT}', '${OWNER.email}', 'Bench owner', 'owner', '${passwordHash}'),
         ('usr_benchapi00000000001', '${BIG_TENANT}', '${SIGNER.email}', 'Bench signer', 'viewer', '${signerHash}')`,
  )

  // Bulk load without the table's indexes and foreign key (rebuilt below from their own
  // definitions): the load then costs one sort per index instead of 20 million index inserts.
  const constraints = await query<{ name: string; def: string; type: string }>(
    ownerUrl,
    `select conname as name, pg_get_constraintdef(oid) as def, contype as type
     from pg_constraint where conrelid = 'metric_points'::regclass and contype in ('p', 'f')`,
  )
  const indexes = await query<{ name: string; def: string }>(
    ownerUrl,
    `select indexname as name, indexdef as def from pg_indexes
     where tablename = 'metric_points' and indexname not in
       (select conname from pg_constraint where conrelid = 'metric_points'::regclass)`,
  )
  const primary = constraints.find((c) => c.type === 'p')
  if (!primary) throw new Error('metric_points has no primary key')
  await query(
    ownerUrl,
    [
      ...constraints.map((c) => `alter table metric_points drop constraint ${c.name}`),
      ...indexes.map((i) => `drop index ${i.name}`),
    ].join(';'),
  )
  // Day by day, every connection's points of that day, as daily collection writes them: the heap
  // is in time order, like production's, not clustered by tenant. Two sessions, two cores.
  const metrics = METRICS.map(([metric, granularity]) => `('${metric}', '${granularity}')`).join(', ')
  await Promise.all(
    [0, 1].map((part) =>
      query(
        ownerUrl,
        `do $$ declare d date; begin
           for d in select generate_series(date '${FIRST_DAY}', date '${FIRST_DAY}' + ${DAYS - 1}, interval '1 day')::date loop
             insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value, collected_at)
             select c.tenant_id, c.id, m.metric, m.granularity, d, (hashtext(c.id || m.metric || d::text) & 1023)::float8,
               d + interval '1 day 3 hours'
             from connections c cross join (values ${metrics}) m(metric, granularity)
             where right(c.id, 1)::int % 2 = ${part}
             order by c.id, m.metric;
           end loop;
         end $$`,
      ),
    ),
  )
  const loaded = performance.now()
  const primaryColumns = primary.def.replace(/^PRIMARY KEY /, '')
  await Promise.all([
    query(
      ownerUrl,
      `set maintenance_work_mem = '1GB'; create unique index ${primary.name} on metric_points ${primaryColumns}`,
    ),
    ...indexes.map((i) => query(ownerUrl, `set maintenance_work_mem = '1GB'; ${i.def}`)),
  ])
  await query(
    ownerUrl,
    [
      `alter table metric_points add constraint ${primary.name} primary key using index ${primary.name}`,
      ...constraints
        .filter((c) => c.type === 'f')
        .map((c) => `alter table metric_points add constraint ${c.name} ${c.def}`),
    ].join(';'),
  )
  await query(ownerUrl, 'vacuum (analyze) metric_points')
  await query(ownerUrl, 'analyze connections; analyze tenants; analyze licenses; analyze users')
  const [counts] = await query<{ total: string; big: string }>(
    ownerUrl,
    `select count(*) as total, count(*) filter (where tenant_id = $1) as big from metric_points`,
    [BIG_TENANT],
  )
  const seconds = (performance.now() - started) / 1000
  say(
    `dataset ready in ${round(seconds)} s (load ${round((loaded - started) / 1000)} s, then indexes and vacuum)`,
  )
  const total = Number(counts?.total)
  const big = Number(counts?.big)
  return {
    ownerUrl,
    appUrl,
    figures: [
      {
        figure: `dataset (BENCH_SCALE=${SCALE}): points in metric_points, ${TENANTS} tenants`,
        value: total,
        unit: 'rows',
        target: `= ${expected}`,
        pass: total === expected,
      },
      {
        figure: `dataset: big tenant's points (${bigConnections} connections × ${DAYS} days × ${METRICS.length} metrics)`,
        value: big,
        unit: 'rows',
        target: `= ${bigConnections * PER_CONNECTION}`,
        pass: big === bigConnections * PER_CONNECTION,
      },
      {
        figure: 'dataset: generation wall time',
        value: round(seconds),
        unit: 's',
        target: 'info',
        pass: true,
      },
    ],
  }
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

/** The statement the endpoint runs for SERIES_QUERY, rendered by drizzle's dialect. */
async function seriesStatement(): Promise<{ sql: string; params: unknown[] }> {
  let captured: unknown
  const tx = {
    execute: async (statement: unknown) => {
      captured = statement
      return { rows: [] }
    },
  }
  const ctx = {
    tx,
    principal: {
      kind: 'member',
      id: 'usr_benchapi00000000000',
      sessionId: 'ses',
      role: 'owner',
      tenantId: BIG_TENANT,
    },
  } as unknown as ServiceContext
  await readSeries(ctx, {
    ...SERIES_QUERY,
    connectionIds: null,
    platforms: null,
    metrics: null,
    compare: false,
  })
  return new PgDialect().sqlToQuery(captured as Parameters<PgDialect['sqlToQuery']>[0])
}

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] }
const planNodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(planNodes)]

export async function benchApi(stack: StackInfo): Promise<Figure[]> {
  const dataset = await generateDataset(stack)
  const bridge = await startCountingBridge()
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'integra-bench-api-'))
  const base = unstable_readConfig({ config: path.join(root, 'wrangler.toml') })
  const devs: WranglerDev[] = []
  try {
    // The app's own configuration, minus the queue consumers and the cron: in production they run
    // in other invocations, here they would take the same 2 cores as the requests being measured.
    // wrangler prints nothing (--log-level none) for any of them: the figures are the Workers'.
    const quiet = ['--log-level', 'none']
    const bareConfig = (name: string, vars: { LOG_LINE: 'on' | 'off'; ENQUEUE: 'on' | 'off' }) => ({
      name: `bench-${name}`,
      main: path.join(root, 'test/bench/bare-worker.ts'),
      compatibility_date: base.compatibility_date,
      vars,
      // The producer Integra's webhook sends with: same binding, same queue name.
      queues: { producers: base.queues.producers },
    })
    // Each one is tracked as soon as it is up, so a failure of another still stops it.
    const wranglerDev = (name: string, config: object, vars: Record<string, string> = {}) =>
      startWranglerDev({ scratch: path.join(scratch, name), config, vars, args: quiet })
    const tracked = (dev: Promise<WranglerDev>) =>
      dev.then((started) => {
        devs.push(started)
        return started
      })
    const [integra, bare, bareLogging, bareEnqueuing] = await Promise.all([
      tracked(
        wranglerDev(
          'integra',
          {
            name: 'integra-bench',
            main: path.resolve(root, base.main as string),
            compatibility_date: base.compatibility_date,
            compatibility_flags: base.compatibility_flags,
            kv_namespaces: base.kv_namespaces,
            queues: { producers: base.queues.producers },
            r2_buckets: base.r2_buckets,
            ratelimits: base.ratelimits,
            vars: { ...base.vars, APP_ENV: 'development' },
          },
          {
            DATABASE_URL: dataset.appUrl,
            NEON_WS_PROXY: bridge.wsProxy,
            JWT_SIGNING_KEYS: `b1:${randomBytes(32).toString('base64url')}`,
            VAULT_MASTER_KEYS: `m1:${randomBytes(32).toString('base64url')}`,
          },
        ),
      ),
      tracked(wranglerDev('bare', bareConfig('bare', { LOG_LINE: 'off', ENQUEUE: 'off' }))),
      tracked(wranglerDev('bare-logging', bareConfig('bare-logging', { LOG_LINE: 'on', ENQUEUE: 'off' }))),
      tracked(wranglerDev('bare-enqueuing', bareConfig('bare-enqueuing', { LOG_LINE: 'on', ENQUEUE: 'on' }))),
    ])
    const { access_token: token } = await json<{ access_token: string }>(
      await fetch(`${integra.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(OWNER),
      }),
    )
    const auth = { authorization: `Bearer ${token}` }
    const webhook = await metaWebhook(integra, auth)
    return [
      ...dataset.figures,
      ...(await benchSeries(integra, auth, dataset.appUrl, bridge.sent)),
      ...(await benchDistance(integra, auth, webhook, bridge)),
      ...(await benchWebhooks(integra, webhook, { bare, bareLogging, bareEnqueuing }, bridge.sent)),
      ...(await benchDashboard(integra, bridge.sent)),
      ...(await benchLoadRuns(integra, auth, webhook, bridge.sent)),
    ]
  } finally {
    await Promise.all(devs.map((dev) => dev.stop()))
    await bridge.close()
    await fs.rm(scratch, { recursive: true, force: true })
  }
}

async function benchSeries(
  integra: WranglerDev,
  auth: Record<string, string>,
  appUrl: string,
  sent: SentStatement[],
): Promise<Figure[]> {
  const url = `${integra.url}/api/v1/metrics?${new URLSearchParams(SERIES_QUERY)}`
  const read = async () => {
    const started = performance.now()
    const body = await json<{ series: { points: unknown[] }[] }>(await fetch(url, { headers: auth }))
    return { ms: performance.now() - started, body }
  }
  const { sql, params } = await seriesStatement()
  const client = new pg.Client({ connectionString: appUrl })
  await client.connect()
  // The statement as the app role runs it: in a transaction, row-level security on the tenant.
  const raw = async () => {
    await client.query('begin')
    await client.query(`select set_config('app.tenant_id', $1, true)`, [BIG_TENANT])
    const started = performance.now()
    const result = await client.query(sql, params)
    const ms = performance.now() - started
    await client.query('rollback')
    return { ms, rows: result.rowCount ?? 0 }
  }
  try {
    // One read on its own, its statements recorded on the wire.
    await read()
    await settle(sent)
    sent.length = 0
    const first = await read()
    await settle(sent)
    const statements = [...sent]
    const reads = statements.filter((s) => s.text.includes('metric_points'))
    const oneTransaction =
      statements[0]?.text.trim().toLowerCase() === 'begin' &&
      statements.at(-1)?.text.trim().toLowerCase() === 'commit' &&
      statements.slice(1, -1).every((s) => !/^\s*(begin|commit)/i.test(s.text))
    const sameStatement = reads.length === 1 && reads[0]?.text === sql
    if (!sameStatement) say('the statement rendered here is not the one the Worker sent: the ratio fails')

    await client.query('begin')
    await client.query(`select set_config('app.tenant_id', $1, true)`, [BIG_TENANT])
    const [explained] = (await client.query(`explain (analyze, buffers, format json) ${sql}`, params))
      .rows as {
      'QUERY PLAN': [{ Plan: PlanNode }]
    }[]
    await client.query('rollback')
    const onPoints = planNodes(explained?.['QUERY PLAN'][0].Plan as PlanNode).filter(
      (node) => node['Relation Name'] === 'metric_points' || node['Index Name']?.startsWith('metric_points'),
    )
    const seqScans = onPoints.filter((node) => node['Node Type'] === 'Seq Scan').length
    const indexScans = onPoints.filter((node) => /Index/.test(node['Node Type']))
    const planText = [
      ...new Set(onPoints.map((n) => `${n['Node Type']}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`)),
    ].join(', ')
    say(`plan on metric_points: ${planText}`)

    // Warm both paths, then alternate them so drift (caches, other load) hits both alike.
    for (let i = 0; i < 3; i++) {
      await raw()
      await read()
    }
    const endpointMs: number[] = []
    const rawMs: number[] = []
    for (let i = 0; i < TIMED_READS; i++) {
      rawMs.push((await raw()).ms)
      endpointMs.push((await read()).ms)
    }
    const endpoint = median(endpointMs)
    const direct = median(rawMs)
    // Each endpoint read is paired with the raw run just before it: the median of those ratios.
    const ratio = median(endpointMs.map((ms, i) => ms / (rawMs[i] as number)))
    return [
      {
        figure: `one-year monthly series, big tenant: plan on metric_points (${planText})`,
        value: seqScans,
        unit: 'seq scans',
        target: '= 0, with an index scan',
        pass: seqScans === 0 && indexScans.length > 0,
      },
      {
        figure: 'one-year monthly series: series returned',
        value: first.body.series.length,
        unit: 'series',
        target: 'info',
        pass: true,
      },
      {
        figure: `one-year monthly series: endpoint median of ${TIMED_READS} (wrangler dev, HTTP)`,
        value: round(endpoint, 1),
        unit: 'ms',
        target: 'info',
        pass: true,
      },
      {
        figure: `one-year monthly series: same statement straight to Postgres, median`,
        value: round(direct, 1),
        unit: 'ms',
        target: 'info',
        pass: true,
      },
      {
        figure: 'one-year monthly series: endpoint ÷ raw SQL (same statement, paired, median)',
        value: round(ratio, 2),
        unit: '×',
        target: '≤ 1.5',
        pass: ratio <= 1.5 && sameStatement,
      },
      {
        figure: 'authenticated metrics read: SQL statements, one transaction (BEGIN … COMMIT)',
        value: statements.length,
        unit: 'statements',
        target: '≤ 4',
        pass: statements.length <= 4 && oneTransaction && reads.length === 1,
      },
    ]
  } finally {
    await client.end()
  }
}

type Webhook = { url: string; request: LoadRequest }

/** Configures the big tenant's Meta webhook; returns its address and a delivery signed as Meta would. */
async function metaWebhook(integra: WranglerDev, auth: Record<string, string>): Promise<Webhook> {
  const appSecret = randomBytes(24).toString('hex')
  await json(
    await fetch(`${integra.url}/api/v1/webhooks/meta/settings`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ app_secret: appSecret, verify_token: 'bench-verify-token' }),
    }),
  )
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              statuses: [
                {
                  id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA',
                  status: 'delivered',
                  timestamp: '1764000000',
                  recipient_id: '16505551234',
                  pricing: { billable: true, pricing_model: 'PMP', category: 'marketing' },
                },
              ],
            },
          },
        ],
      },
    ],
  })
  const signature = `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`
  return {
    url: `${integra.url}/webhooks/meta/bench-api-1`,
    request: {
      method: 'POST',
      headers: { 'x-hub-signature-256': signature, 'content-type': 'application/json' },
      body,
    },
  }
}

async function benchWebhooks(
  integra: WranglerDev,
  webhook: Webhook,
  {
    bare,
    bareLogging,
    bareEnqueuing,
  }: { bare: WranglerDev; bareLogging: WranglerDev; bareEnqueuing: WranglerDev },
  sent: SentStatement[],
): Promise<Figure[]> {
  const path = new URL(webhook.url).pathname
  const targets = {
    webhook: webhook.url,
    bare: `${bare.url}${path}`,
    bareLogging: `${bareLogging.url}${path}`,
    bareEnqueuing: `${bareEnqueuing.url}${path}`,
    // Integra's middleware chain and nothing else: where the webhook's own work would show.
    health: `${integra.url}/health`,
  }
  const requestOf = (name: keyof typeof targets) => (name === 'health' ? {} : webhook.request)
  const bounds = { amount: 1_500, seconds: 10, connections: 16 }
  // Warm them all, then alternate rounds; each round is bounded in requests and in time.
  for (const [name, url] of Object.entries(targets) as [keyof typeof targets, string][])
    await cannon(url, requestOf(name), { ...bounds, amount: 300 })
  await settle(sent)
  const before = sent.length
  const perSecond = Object.fromEntries(Object.keys(targets).map((name) => [name, [] as number[]])) as Record<
    keyof typeof targets,
    number[]
  >
  let failed = 0
  let acknowledged = 0
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of Object.entries(targets) as [keyof typeof targets, string][]) {
      const result = await cannon(url, requestOf(name), bounds)
      perSecond[name].push(result.perSecond)
      failed += result.failed
      if (name === 'webhook') acknowledged += result.completed - result.failed
    }
  }
  await settle(sent)
  const statements = sent.length - before
  const acks = median(perSecond.webhook)
  const baseline = median(perSecond.bare)
  const logging = median(perSecond.bareLogging)
  // Each round's targets run back to back, so a round's ratio sees one machine load (other work
  // on the same 2 cores moves all of them): the median of the rounds' ratios is the figure.
  const pairedRatio = (of: number[]) => median(perSecond.webhook.map((value, i) => value / (of[i] as number)))
  const ratio = pairedRatio(perSecond.bare)
  const likeForLike = pairedRatio(perSecond.bareEnqueuing)
  return [
    {
      figure: `Meta webhook acks (signature checked, enqueued), median of ${ROUNDS} rounds, ${bounds.connections} connections`,
      value: Math.round(acks),
      unit: 'req/s',
      target: 'info',
      pass: failed === 0,
    },
    {
      figure: 'bare Worker (reads the body, answers 200), same rounds',
      value: Math.round(baseline),
      unit: 'req/s',
      target: 'info',
      pass: true,
    },
    {
      // The old target (≥ 0.5) measured wrangler dev's log and queue plumbing as much as Integra:
      // kept as information; the target is the like-for-like ratio below.
      figure: 'Meta webhook acks ÷ bare Worker (median of the rounds’ ratios)',
      value: round(ratio, 2),
      unit: '×',
      target: 'info',
      pass: true,
    },
    {
      figure: 'bare Worker + one log line per request (as Integra writes), same rounds',
      value: Math.round(logging),
      unit: 'req/s',
      target: 'info',
      pass: true,
    },
    {
      figure: 'Meta webhook acks ÷ bare Worker with the log line (median of the rounds’ ratios)',
      value: round(pairedRatio(perSecond.bareLogging), 2),
      unit: '×',
      target: 'info',
      pass: true,
    },
    {
      figure: 'bare Worker + the same log line + a send to the same queue, same rounds',
      value: Math.round(median(perSecond.bareEnqueuing)),
      unit: 'req/s',
      target: 'info',
      pass: true,
    },
    {
      figure: 'Meta webhook acks ÷ bare Worker with the same log line and queue send (median of ratios)',
      value: round(likeForLike, 2),
      unit: '×',
      target: '≥ 0.9',
      pass: likeForLike >= 0.9,
    },
    {
      figure: 'Integra GET /health (its middleware chain alone), same rounds',
      value: Math.round(median(perSecond.health)),
      unit: 'req/s',
      target: 'info',
      pass: true,
    },
    {
      figure: `Meta webhook acks: SQL statements for ${acknowledged} acknowledgements`,
      value: statements,
      unit: 'statements',
      target: '= 0',
      pass: statements === 0,
    },
  ]
}

/**
 * Issue 19: waits per request on the wire and latency at simulated distances, for an API read,
 * an API write, a portal page, login and the webhook (test/bench/distance.ts).
 */
async function benchDistance(
  integra: WranglerDev,
  auth: Record<string, string>,
  webhook: Webhook,
  bridge: Awaited<ReturnType<typeof startCountingBridge>>,
): Promise<Figure[]> {
  const cookie = await portalSignIn(integra.url, OWNER.email, OWNER.password)
  const json = { 'content-type': 'application/json' }
  const targets: DistanceTarget[] = [
    {
      kind: 'API read',
      name: 'GET /api/v1/metrics (Bearer; one connection, 30 days)',
      url: `${integra.url}/api/v1/metrics?${new URLSearchParams({ connection_id: `con_${'1'.padStart(20, '0')}`, ...RECENT, granularity: 'day' })}`,
      request: { headers: auth },
      bound: { rtts: 1.3 },
    },
    {
      kind: 'API write',
      name: 'PATCH /api/v1/connections/:id (label, audited)',
      url: `${integra.url}/api/v1/connections/con_${'2'.padStart(20, '0')}`,
      request: {
        method: 'PATCH',
        headers: { ...auth, ...json },
        body: JSON.stringify({ label: 'Account 2' }),
      },
      bound: { rtts: 1.3 },
    },
    {
      kind: 'portal page',
      name: `GET /app (dashboard, ${BIG_CONNECTIONS} connections, 30 days)`,
      url: `${integra.url}/app?${new URLSearchParams({ period: 'custom', ...RECENT })}`,
      request: { headers: { cookie } },
      bound: { rtts: 1.3 },
    },
    {
      kind: 'login',
      name: 'POST /api/v1/auth/login (PBKDF2)',
      url: `${integra.url}/api/v1/auth/login`,
      request: { method: 'POST', headers: json, body: JSON.stringify(SIGNER) },
      bound: { rtts: 2 },
    },
    {
      kind: 'webhook',
      name: 'POST /webhooks/meta/:slug (signed, enqueued)',
      url: webhook.url,
      request: webhook.request,
      ingress: true,
    },
  ]
  say('distance: counting waits per request')
  const waits = await countWaits(targets, bridge)
  for (const count of waits)
    say(`  ${count.target.kind}: ${count.statements} statements, ${count.production} waits (production)`)
  say(`distance: latency at ${RTTS.join('/')} ms, ${DISTANCE_SAMPLES} samples each, edge and placed`)
  const latency = await measureLatency(targets, bridge.distance, {
    rtts: RTTS,
    samples: DISTANCE_SAMPLES,
    shapes: ['edge', 'placed'],
  })
  for (const row of latency)
    say(
      `  ${row.shape} ${row.target.kind}: p50 ${RTTS.map((rtt) => Math.round(row.p50.get(rtt) ?? 0)).join(' / ')} ms, k ${row.fit.k.toFixed(2)}`,
    )
  return distanceFigures(waits, latency, RTTS, PRODUCTION_SHAPE)
}

/**
 * Dashboard ÷ login requests per second in issue 9's load runs before issue 19 (2026-11-25 full
 * run, README: 6.5 and 24.1 req/s; the quick run of 2026-12-04 gave the same 0.27). Goal 4: ≥ 4×
 * that ratio in one run, so the machine's speed cancels.
 */
const DASHBOARD_PER_LOGIN_BEFORE = 6.5 / 24.1
/** Sequential dashboard requests timed at 0 RTT for its server time. */
const DASHBOARD_TIMED = QUICK ? 10 : 20

/** Issue 19 goal 4: the big tenant's dashboard, its weight, its time, and its throughput against login's. */
async function benchDashboard(integra: WranglerDev, sent: SentStatement[]): Promise<Figure[]> {
  const cookie = await portalSignIn(integra.url, OWNER.email, OWNER.password)
  const url = `${integra.url}/app?${new URLSearchParams({ period: 'custom', ...RECENT })}`
  const get = async () => {
    const started = performance.now()
    const response = await fetch(url, { headers: { cookie } })
    const bytes = (await response.arrayBuffer()).byteLength
    if (!response.ok) throw new Error(`GET /app: ${response.status}`)
    return { ms: performance.now() - started, bytes }
  }
  await get()
  const timed: number[] = []
  let bytes = 0
  for (let i = 0; i < DASHBOARD_TIMED; i++) {
    const one = await get()
    timed.push(one.ms)
    bytes = one.bytes
  }
  await settle(sent)
  const kb = bytes / 1024
  const ms = median(timed)
  return [
    {
      figure: `dashboard GET /app (${BIG_CONNECTIONS} connections, 30 days): HTML`,
      value: round(kb, 1),
      unit: 'KB',
      target: '≤ 150',
      pass: kb <= 150,
    },
    {
      figure: `dashboard: time at 0 RTT, median of ${DASHBOARD_TIMED} sequential requests (wrangler dev, loopback HTTP)`,
      value: round(ms, 1),
      unit: 'ms',
      target: '≤ 60',
      pass: ms <= 60,
    },
  ]
}

/** Issue 9's load runs, and the dashboard's throughput against login's in the same run (goal 4). */
async function benchLoadRuns(
  integra: WranglerDev,
  auth: Record<string, string>,
  webhook: Webhook,
  sent: SentStatement[],
): Promise<Figure[]> {
  const targets = await loadTargets(integra, auth, webhook)
  const runs = new Map<string, Run>()
  const figures = await benchLoad(targets, sent, runs)
  const dashboard = runs.get(targets.find((t) => t.name.startsWith('GET /app'))?.name ?? '')
  const login = runs.get(targets.find((t) => t.name.startsWith('POST /api/v1/auth/login'))?.name ?? '')
  if (!dashboard || !login) return figures
  const ratio = dashboard.perSecond / login.perSecond
  const gain = ratio / DASHBOARD_PER_LOGIN_BEFORE
  return [
    ...figures,
    {
      figure: `load: dashboard ÷ login requests per second, same run (${round(ratio, 2)}), against ${round(DASHBOARD_PER_LOGIN_BEFORE, 2)} before issue 19`,
      value: round(gain, 1),
      unit: '×',
      target: '≥ 4',
      pass: gain >= 4,
    },
  ]
}

/** The last days of the dataset: a month of daily points, so reads return data, not empty series. */
const RECENT = { from: '2025-12-02', to: '2025-12-31' }

/**
 * Issue 9's load runs. Each is bounded in requests and time; the login runs last, because every
 * login opens a session and the 10-session cap evicts the oldest: the token and the portal cookie
 * used by the others.
 */
async function loadTargets(
  integra: WranglerDev,
  auth: Record<string, string>,
  webhook: Webhook,
): Promise<LoadTarget[]> {
  const dashboardCookie = await portalSignIn(integra.url, OWNER.email, OWNER.password)
  const oneConnection = new URLSearchParams({
    connection_id: `con_${'1'.padStart(20, '0')}`,
    ...RECENT,
    granularity: 'day',
  })
  return [
    {
      name: 'POST /webhooks/meta/:slug (signed delivery, enqueued)',
      url: webhook.url,
      request: webhook.request,
      bounds: { amount: 2_000, seconds: 20, connections: 16 },
      warm: 50,
      statements: { target: '= 0', pass: (perRequest) => perRequest === 0 },
    },
    {
      // 200 (+ the warm-up and the reads above) stays under the API rate limit, 600 a minute per
      // tenant, which the local rate limiter enforces too.
      name: 'GET /api/v1/metrics (Bearer; one connection, 30 days, daily)',
      url: `${integra.url}/api/v1/metrics?${oneConnection}`,
      request: { headers: auth },
      bounds: { amount: 200, seconds: 60, connections: 10 },
      warm: 10,
      statements: { target: '≤ 4', pass: (perRequest) => perRequest <= 4 },
    },
    {
      name: `GET /app (portal dashboard, cookie session; ${BIG_CONNECTIONS} connections, 30 days)`,
      url: `${integra.url}/app?${new URLSearchParams({ period: 'custom', ...RECENT })}`,
      request: { headers: { cookie: dashboardCookie } },
      // About 4 a second at full scale on 2 shared cores: 100 requests end well within the bound.
      bounds: { amount: 100, seconds: 60, connections: 10 },
      warm: 10,
    },
    {
      name: 'POST /api/v1/auth/login (PBKDF2, 100,000 iterations)',
      url: `${integra.url}/api/v1/auth/login`,
      request: {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(OWNER),
      },
      bounds: { amount: 100, seconds: 30, connections: 4 },
      warm: 4,
    },
  ]
}
