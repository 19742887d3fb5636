import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { spawnDeno } from './deno-dev.ts'
import {
  connectDemoAccounts,
  seedDemoData,
  setUpDemoCalendar,
  setUpDemoMetaWebhook,
  setUpDemoScheduling,
} from './seed.ts'
import { setUpDemoAttendance } from './seed-attendance.ts'
import { setUpDemoReports } from './seed-reports.ts'
import { spawnReady, stopChild, stopProcessGroup } from './spawn.ts'
import { READY_PREFIX, type StackInfo } from './stack-info.ts'
import { localVars, WRANGLER_ENV, writeAppConfig, writeEnvFile } from './wrangler-dev.ts'

/**
 * `npm run dev`: the whole product locally and offline, in its production shape. Starts the
 * database stack (embedded Postgres + bridge, or the server in DATABASE_URL), seeds demo data,
 * then one `wrangler dev` session running both Workers (KV and Queues simulated, shared):
 * the edge ingress (wrangler.ingress.toml) on the port, answering Meta's webhooks itself, and the
 * app Worker (wrangler.toml) behind it through the service binding `APP`, serving everything else
 * (`DEV_WORKERS=app`: the app Worker alone). Ctrl-C or SIGTERM stops everything in order; both
 * children run in their own process groups so a terminal's Ctrl-C reaches only this script, which
 * is the one place that stops them. Its output: the stack starting, one summary (URLs, logins), then one line
 * per request; wrangler's start-up noise is filtered out (wranglerLineFilter, `DEV_LOG=raw` to see
 * all of it).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const port = Number(process.env.PORT ?? 8787)
/**
 * The side services' ports move with PORT (100 apart per step), so two checkouts of the project can
 * each run `npm run dev` on one machine: 8787 keeps 54320 (Postgres), 54321 (its bridge), 54330 (fakes).
 */
const sidePort = (base: number) => String(base + (port - 8787) * 100)
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name)
const say = (line: string) => process.stdout.write(`[dev] ${line}\n`)
/** `DEV_LOG=raw npm run dev` shows wrangler's output unfiltered (see wranglerLineFilter). */
const raw = process.env.DEV_LOG === 'raw'
/**
 * `DEV_WORKERS=app npm run dev` runs the app Worker alone on the port (it serves the webhooks
 * too). Its cron can then be fired by URL: in the two-Worker session wrangler's
 * `/cdn-cgi/local/scheduled` reaches only the first Worker, the edge, which has no cron.
 */
const appAlone = process.env.DEV_WORKERS === 'app'
/**
 * `npm run dev:deno` (`--deno`): the same stack, seed and demo set-up, with the app served by its
 * Deno entry (worker/runtime/deno/main.ts, one process: HTTP, queue and cron) instead of wrangler.
 */
const onDeno = process.argv.includes('--deno')
/** Until the summary is printed, the requests of the start-up (health polls, demo set-up) are not shown. */
let starting = true

say(`starting Postgres, the fake platforms, then ${onDeno ? 'Deno' : 'wrangler dev'}…`)

const stack = spawn(
  process.execPath,
  [
    path.join(root, 'db/local/stack.ts'),
    '--data',
    path.join(root, '.data/postgres'),
    '--pg-port',
    sidePort(54320),
    '--bridge-port',
    sidePort(54321),
  ],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
    cwd: root,
  },
)
// The fake platforms the connectors talk to locally (stateless; stopped with the rest).
const fakes = await spawnReady<{ url: string }>(path.join(root, 'db/local/fake-platforms.ts'), [
  '--port',
  sidePort(54330),
])
let server: ChildProcess | undefined
let stopping = false

async function stop(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {})
  stopping = true
  say('stopping…')
  if (server) await stopProcessGroup(server)
  await stopChild(fakes.child)
  if (stack.exitCode === null) {
    const exited = new Promise((resolve) => stack.once('exit', resolve))
    stack.stdin?.end()
    await exited
  }
  say('stopped')
  process.exit(code)
}

process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
// `npm run dev` runs this script under npm and `sh -c`; a SIGTERM sent to npm ends both without
// reaching us (sh does not forward it), which would leave Postgres and workerd running. Losing
// our parent is the same request to stop.
const parentPid = process.ppid
setInterval(() => {
  if (process.ppid !== parentPid) void stop(0)
}, 500).unref()
stack.once('exit', (code) => {
  if (!stopping) {
    say(`database stack exited (${code})`)
    void stop(1)
  }
})

const info = await new Promise<StackInfo>((resolve) => {
  createInterface({ input: stack.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith(READY_PREFIX)) resolve(JSON.parse(line.slice(READY_PREFIX.length)) as StackInfo)
    else process.stdout.write(`${line}\n`)
  })
})
say(`postgres ready on 127.0.0.1:${info.postgresPort}${info.wsProxy ? `, bridge on ${info.wsProxy}` : ''}`)

const demo = await seedDemoData(info.ownerUrl)

// Local-only values (git-ignored, like .dev.vars): an env file for the ingress, which the session
// starts first, and the app Worker's generated configuration, which carries them itself.
const vars = { ...localVars(info, fakes.info.url), ...demo.vars }
const envFile = path.join(root, '.wrangler', 'dev.env')
await writeEnvFile(envFile, vars)
const appConfig = path.join(root, '.wrangler', 'dev', 'app.json')
await writeAppConfig(appConfig, vars)

server = onDeno
  ? await spawnDeno({
      port,
      vars,
      kvPath: path.join(root, '.data/deno/kv.sqlite3'),
      stdio: raw ? 'inherit' : 'pipe',
    })
  : spawn(
      bin('wrangler'),
      [
        'dev',
        '--local',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-ip',
        '127.0.0.1',
        '--inspector-port',
        sidePort(9229),
        '--env-file',
        envFile,
        '--show-interactive-dev-session=false',
        '--persist-to',
        path.join(root, '.wrangler/state'),
        // The first configuration gets the port; the others run beside it, reached by service binding.
        ...(appAlone
          ? ['--config', appConfig]
          : ['--config', path.join(root, 'wrangler.ingress.toml'), '--config', appConfig]),
      ],
      {
        cwd: root,
        stdio: ['ignore', raw ? 'inherit' : 'pipe', raw ? 'inherit' : 'pipe'],
        detached: true,
        // Piped, wrangler would drop its colours: keep them when we print to a terminal.
        env: { ...process.env, ...WRANGLER_ENV, FORCE_COLOR: process.stdout.isTTY ? '1' : undefined },
      },
    )
if (!raw) {
  for (const [from, to] of [
    [server.stdout, process.stdout],
    [server.stderr, process.stderr],
  ] as const) {
    const keep = onDeno ? denoLineFilter() : wranglerLineFilter()
    createInterface({ input: from as NodeJS.ReadableStream }).on('line', (line) => {
      if (keep(line)) to.write(`${line}\n`)
    })
  }
}
say(`${onDeno ? 'deno' : 'wrangler dev'} starting on http://127.0.0.1:${port}…`)
server.once('exit', (code) => {
  if (!stopping) {
    say(`${onDeno ? 'deno' : 'wrangler'} exited (${code})`)
    void stop(code ?? 1)
  }
})

const base = `http://127.0.0.1:${port}`
for (let i = 0; i < 600 && !stopping; i++) {
  const ok = await fetch(`${base}/health`).then(
    (r) => r.ok,
    () => false,
  )
  if (ok) break
  await new Promise((resolve) => setTimeout(resolve, 100))
}
say('')
if (onDeno) {
  say(`Integra is running at ${base} on Deno: one process serves HTTP, the job queue and the cron`)
  say(`  portals     ${base}/admin (operators)   ${base}/app (tenant members)`)
  say(`  health      ${base}/health   readiness ${base}/health/ready`)
  say(`  fire cron   ${base}/cdn-cgi/local/scheduled`)
  say(
    `  deno kv     ${path.relative(root, path.join(root, '.data/deno/kv.sqlite3'))} (vault, queue, rate limits, archives)`,
  )
  say('  live        no push on Deno: portal pages poll every 10 s (docs/deno.md)')
} else if (appAlone) {
  say(`Integra is running at ${base}: the app Worker alone (DEV_WORKERS=app), webhooks included`)
  say(`  portals     ${base}/admin (operators)   ${base}/app (tenant members)`)
  say(`  health      ${base}/health   readiness ${base}/health/ready`)
  say(`  fire cron   ${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent('*/15 * * * *')}`)
} else {
  say(`Integra is running at ${base}: the edge ingress, the app Worker behind it (production's shape)`)
  say(`  edge        ${base} (wrangler.ingress.toml): answers ${base}/webhooks/meta/<tenant slug> itself`)
  say(`  app         the Worker "integra" (wrangler.toml) behind the edge's service binding: everything else`)
  say(`  portals     ${base}/admin (operators)   ${base}/app (tenant members)`)
  say(`  health      ${base}/health   readiness ${base}/health/ready`)
  say(
    `  cron        not fired by hand in this shape (wrangler fires only the edge's): DEV_WORKERS=app npm run dev`,
  )
}
say(`  platforms   fake APIs at ${fakes.info.url} (revoke a token: POST ${fakes.info.url}/__control/revoke)`)
say(`  mailbox     ${fakes.info.url}/resend/__mailbox (e-mail the Worker sent, captured by the fake Resend)`)
for (const line of demo.lines) say(`  ${line}`)
await connectDemoAccounts(base)
for (const line of await setUpDemoCalendar(base, fakes.info.url)) say(`  ${line}`)
for (const line of await setUpDemoAttendance(base, fakes.info.url)) say(`  ${line}`)
say(`  ${await setUpDemoMetaWebhook(base, fakes.info.url)}`)
for (const line of await setUpDemoScheduling(base)) say(`  ${line}`)
// Scheduled reports (issue 18): two schedules and a test report rendered by the queue consumer.
for (const line of await setUpDemoReports(base)) say(`  ${line}`)
// wrangler prints a request's line once the response has ended, a moment after our fetch has it:
// let the set-up's last lines arrive (and be dropped) before showing requests.
await new Promise((resolve) => setTimeout(resolve, 1_000))
starting = false
say('Ctrl-C stops everything. One line per request from here on:')

/**
 * A filter for one of wrangler's output streams: drops the lines that say nothing to someone
 * running the product (all of them known, printed at start or on reload) and keeps everything
 * else, every warning and error included. Dropped:
 * - the binding tables (one per Worker, printed twice: again when the dev registry connects),
 *   "Using secrets defined in …" and the note on how service bindings connect: the env file is
 *   ours, the summary says what runs;
 * - the "Scheduled Workers are not automatically triggered" block: the summary has the cron URL;
 * - "⎔ Starting local server…", "⎔ Connection status updated", "✨ Parsed 1 valid header rule",
 *   "Ready on …": the summary says when it is up;
 * - the Worker's own JSON `request` line at level info: wrangler prints a line for every request
 *   (static files included, which the Worker never sees), so each request gets one line; the JSON
 *   line is what production logs, and `DEV_LOG=raw` shows it. 5xx requests log at level error
 *   and are kept;
 * - while starting, wrangler's request lines of the health polls and the demo set-up.
 */
function wranglerLineFilter(): (line: string) => boolean {
  // Inside a dropped block, only lines of that block's shape are dropped: anything else ends it.
  let block: 'bindings' | 'indented' | undefined
  return (line) => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
    const text = line.replace(/\x1b\[[0-9;]*m/g, '')
    if (block === 'bindings') {
      if (text.trim() === '') block = undefined
      if (text.trim() === '' || /^(Binding\s|env\.)/.test(text)) return false
      block = undefined
    }
    if (block === 'indented') {
      if (text.trim() === '' || /^\s/.test(text)) return false
      block = undefined
    }
    // One table per Worker in a session of several, headed by its name.
    if (/^(Your Worker|[\w-]+) has access to the following bindings:/.test(text)) {
      block = 'bindings'
      return false
    }
    if (text.includes('Scheduled Workers are not automatically triggered during local development')) {
      block = 'indented'
      return false
    }
    if (
      /^Using secrets defined in /.test(text) ||
      // Printed once by a session with a service binding: the summary says how the two connect.
      /^Service bindings, Durable Object bindings, and Tail consumers connect to other/.test(text) ||
      /^⎔ (Starting local server|Connection status updated)/.test(text) ||
      /^\[wrangler:info\] (✨ Parsed \d+ valid (header|redirect) rules?\.|Ready on )/.test(text)
    )
      return false
    if (starting && /^\[wrangler:info\] [A-Z]+ \/\S* \d{3} /.test(text)) return false
    return !isInfoRequestLog(text)
  }
}

/** The Deno entry's output: its JSON lines, shown as wrangler's are (info request lines dropped). */
function denoLineFilter(): (line: string) => boolean {
  return (line) => !starting && !isInfoRequestLog(line) && !line.includes('"message":"deno listening"')
}

function isInfoRequestLog(text: string): boolean {
  // In a session of several Workers, each line is prefixed with its Worker's name.
  const json = text.replace(/^\[[\w-]+\] /, '')
  if (!json.startsWith('{')) return false
  try {
    const entry = JSON.parse(json) as { level?: unknown; message?: unknown }
    return entry.level === 'info' && entry.message === 'request'
  } catch {
    return false
  }
}
