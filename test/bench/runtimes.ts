import pg from 'pg'
import { signedMetaRequest, whatsappStatusBody } from '../../db/local/fakes/meta-webhook.ts'
import { startLocalStack } from '../browser/stack.ts'
import type { Figure } from './collection.ts'
import { type Bounds, cannon, type LoadRequest, portalSignIn, type Run } from './load.ts'

/**
 * Issue 21: the same load on both runtimes, one after the other, each on its own fresh local
 * stack (embedded Postgres through the bridge, the demo seed, acme's accounts connected and
 * backfilled): `wrangler dev` (workerd) and the Deno entry. Four requests: a signed Meta webhook
 * acknowledged, an authenticated metrics read, the portal dashboard and a login; login last,
 * because each login opens a session and the 10-session cap would end the token and cookie used
 * by the others. One figure per request with both runtimes side by side; its value is Deno's
 * throughput ÷ wrangler dev's.
 */
const OWNER = { email: 'owner@acme.example', password: 'integra-owner-demo' }
const APP_SECRET = 'bench-runtimes-meta-secret'
/** Under wrangler.toml's 600 requests a minute per key, so the rate limiter never answers. */
const BOUNDS: Bounds = { amount: 300, seconds: 20, connections: 10 }
const LOGIN_BOUNDS: Bounds = { amount: 60, seconds: 20, connections: 5 }
const WARM = 20

type Target = { name: string; path: string; request: LoadRequest; bounds: Bounds }
type Runtime = 'workerd' | 'deno'
const say = (line: string) => process.stdout.write(`[bench] ${line}\n`)

async function targetsOf(base: string): Promise<Target[]> {
  const json = { 'content-type': 'application/json' }
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(OWNER),
  })
  const { access_token } = (await login.json()) as { access_token: string }
  const auth = { authorization: `Bearer ${access_token}` }
  const saved = await fetch(`${base}/api/v1/webhooks/meta/settings`, {
    method: 'PUT',
    headers: { ...auth, ...json },
    body: JSON.stringify({ app_secret: APP_SECRET, verify_token: 'bench-runtimes' }),
  })
  if (!saved.ok) throw new Error(`meta settings answered ${saved.status}`)
  const webhook = await signedMetaRequest(
    APP_SECRET,
    whatsappStatusBody('106540352242922', [{ wamid: 'wamid.bench-runtimes', status: 'delivered' }]),
  )
  const today = new Date().toISOString().slice(0, 10)
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10)
  const cookie = await portalSignIn(base, OWNER.email, OWNER.password)
  return [
    {
      name: 'POST /webhooks/meta/acme (signed, acknowledged, enqueued)',
      path: '/webhooks/meta/acme',
      request: { method: 'POST', headers: webhook.headers, body: webhook.body },
      bounds: BOUNDS,
    },
    {
      name: 'GET /api/v1/metrics (Bearer, acme, 30 days by day)',
      path: `/api/v1/metrics?${new URLSearchParams({ from: monthAgo, to: today, granularity: 'day' })}`,
      request: { headers: auth },
      bounds: BOUNDS,
    },
    { name: 'GET /app (dashboard)', path: '/app', request: { headers: { cookie } }, bounds: BOUNDS },
    {
      name: 'POST /api/v1/auth/login (PBKDF2)',
      path: '/api/v1/auth/login',
      request: { method: 'POST', headers: json, body: JSON.stringify(OWNER) },
      bounds: LOGIN_BOUNDS,
    },
  ]
}

/** Waits (at most a minute) until the demo accounts' backfills have run, so no load runs beside them. */
async function backfillsDone(ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl })
  await client.connect()
  try {
    for (let i = 0; i < 120; i++) {
      const { rows } = await client.query(
        `select count(*) filter (where status in ('running', 'retrying'))::int as busy, count(*)::int as runs
           from collection_runs`,
      )
      if (rows[0].runs > 0 && rows[0].busy === 0) return
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    say('  backfills still running after a minute: measuring beside them')
  } finally {
    await client.end()
  }
}

async function runOn(runtime: Runtime): Promise<Map<string, Run>> {
  say(`runtimes: starting the local stack on ${runtime === 'deno' ? 'Deno' : 'wrangler dev'}`)
  const stack = await startLocalStack({ runtime })
  const runs = new Map<string, Run>()
  try {
    await backfillsDone(stack.ownerUrl)
    for (const target of await targetsOf(stack.baseUrl)) {
      const url = `${stack.baseUrl}${target.path}`
      await cannon(url, target.request, { ...target.bounds, amount: WARM })
      const run = await cannon(url, target.request, target.bounds)
      say(
        `  ${runtime} ${target.name}: ${Math.round(run.perSecond)} req/s, p50 ${run.p50} ms, ${run.failed} failed`,
      )
      runs.set(target.name, run)
    }
  } finally {
    await stack.stop()
  }
  return runs
}

export async function benchRuntimes(): Promise<Figure[]> {
  const workerd = await runOn('workerd')
  const deno = await runOn('deno')
  const describe = (run: Run) =>
    `${Math.round(run.perSecond)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, ${run.failed} failed`
  return [...workerd].map(([name, onWorkerd]) => {
    const onDeno = deno.get(name) as Run
    return {
      figure: `runtimes ${name}: wrangler dev ${describe(onWorkerd)} · Deno ${describe(onDeno)} (Deno ÷ wrangler dev)`,
      value: Math.round((onDeno.perSecond / onWorkerd.perSecond) * 100) / 100,
      unit: '×',
      target: 'info',
      // Both runtimes must answer every request: a failure is a defect whatever the speed.
      pass: onWorkerd.failed === 0 && onDeno.failed === 0,
    }
  })
}
