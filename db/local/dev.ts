import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { connectDemoAccounts, seedDemoData, setUpDemoCalendar } from './seed.ts'
import { spawnReady, stopChild, stopProcessGroup } from './spawn.ts'
import { READY_PREFIX, type StackInfo } from './stack-info.ts'
import { localVars, writeEnvFile } from './wrangler-dev.ts'

/**
 * `npm run dev`: the whole product locally and offline. Starts the database stack (embedded
 * Postgres + bridge, or the server in DATABASE_URL), seeds demo data, then `wrangler dev` with
 * KV, Queues and cron simulated. Ctrl-C or SIGTERM stops everything in order; both children run
 * in their own process groups so a terminal's Ctrl-C reaches only this script, which is the one
 * place that stops them.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const port = Number(process.env.PORT ?? 8787)
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name)
const say = (line: string) => process.stdout.write(`[dev] ${line}\n`)

const stack = spawn(
  process.execPath,
  [path.join(root, 'db/local/stack.ts'), '--data', path.join(root, '.data/postgres')],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
    cwd: root,
  },
)
// The fake platforms the connectors talk to locally (stateless; stopped with the rest).
const fakes = await spawnReady<{ url: string }>(path.join(root, 'db/local/fake-platforms.ts'), [
  '--port',
  '54330',
])
let wrangler: ChildProcess | undefined
let stopping = false

async function stop(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {})
  stopping = true
  say('stopping…')
  if (wrangler) await stopProcessGroup(wrangler)
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

// Local-only values handed to wrangler as an env file (git-ignored, like .dev.vars).
const envFile = path.join(root, '.wrangler', 'dev.env')
await writeEnvFile(envFile, { ...localVars(info, fakes.info.url), ...demo.vars })

wrangler = spawn(
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
    '--env-file',
    envFile,
    '--show-interactive-dev-session=false',
    '--persist-to',
    path.join(root, '.wrangler/state'),
  ],
  {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', DO_NOT_TRACK: '1' },
  },
)
wrangler.once('exit', (code) => {
  if (!stopping) {
    say(`wrangler exited (${code})`)
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
say(`Integra is running at ${base}`)
say(`  portals     ${base}/admin (operators)   ${base}/app (tenant members)`)
say(`  health      ${base}/health   readiness ${base}/health/ready`)
say(`  fire cron   ${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent('*/15 * * * *')}`)
say(`  platforms   fake APIs at ${fakes.info.url} (revoke a token: POST ${fakes.info.url}/__control/revoke)`)
for (const line of demo.lines) say(`  ${line}`)
await connectDemoAccounts(base)
for (const line of await setUpDemoCalendar(base, fakes.info.url)) say(`  ${line}`)
say('Ctrl-C stops everything.')
