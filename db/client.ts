import { neonConfig, Pool, type PoolClient } from '@neondatabase/serverless'
import { sql } from 'drizzle-orm'
import { drizzle, type NeonDatabase } from 'drizzle-orm/neon-serverless'
import * as schema from './schema/index.ts'

export type Database = NeonDatabase<typeof schema>
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0]

export type DbOptions = {
  connectionString: string
  /** `host:port/path` of a local Neon-protocol bridge; unset in production. */
  wsProxy?: string
  connectTimeoutMs: number
  /** Sees every SQL statement sent (benchmarks count them by kind). */
  onStatement?: (sql: string) => void
}

/** Thrown when no connection could be opened (network, auth, server down); callers answer 503. */
export class DatabaseConnectError extends Error {
  constructor(cause: unknown) {
    super('could not connect to the database', { cause })
    this.name = 'DatabaseConnectError'
  }
}

let configuredProxy: string | undefined

// neonConfig is module-global: only touch it when a local bridge is configured so production
// keeps the driver's defaults (TLS WebSockets straight to Neon). Locally the WebSocket is plain
// (loopback, no certificate workerd would trust), which saves the TLS round trip production pays;
// the connection is otherwise Neon's: `pipelineConnect` is the default, 'password' (startup,
// cleartext password and the first statement in one flight), which the local Postgres allows on
// loopback (db/local/postgres.ts), so a request waits as often here as it does on Neon.
export function configureDriver(wsProxy: string | undefined): void {
  if (!wsProxy || configuredProxy === wsProxy) return
  neonConfig.wsProxy = (host, port) => `${wsProxy}?address=${host}:${port}`
  neonConfig.useSecureWebSocket = false
  neonConfig.pipelineTLS = false
  neonConfig.pipelineConnect = 'password'
  configuredProxy = wsProxy
}

export type TransactionOptions = {
  /** Sets `app.tenant_id` for this transaction only; row-level security policies read it. */
  tenantId?: string
  /**
   * Sets `app.operator = on`: the explicit, audited path by which operator services reach rows
   * of every tenant. Only the operator service runner passes it.
   */
  operator?: boolean
}

/**
 * The database for one request or one job: a Neon `Pool` opened lazily on first use, one
 * connection reused by every transaction, closed by `close()` (pass it to `waitUntil`).
 * Workers cannot keep sockets across requests, so nothing here outlives the request.
 */
export class DbHandle {
  /** SQL statements sent through this handle, BEGIN/COMMIT included (drizzle logs them too). */
  statements = 0
  readonly #options: DbOptions
  #pool?: Pool
  #client?: Promise<PoolClient>

  constructor(options: DbOptions) {
    this.#options = options
  }

  #connect(): Promise<PoolClient> {
    if (!this.#client) {
      configureDriver(this.#options.wsProxy)
      const pool = new Pool({
        connectionString: this.#options.connectionString,
        connectionTimeoutMillis: this.#options.connectTimeoutMs,
        max: 1,
      })
      // An idle client's socket error would otherwise be an unhandled rejection in workerd.
      pool.on('error', () => {})
      this.#pool = pool
      this.#client = withTimeout(
        pool.connect().then((client) => {
          // A checked-out client has no pool listener: its socket dying (Postgres restarting) would
          // be an unhandled 'error' event, which ends a Deno process. The next query fails instead.
          client.on('error', () => {})
          return client
        }),
        this.#options.connectTimeoutMs,
      ).catch((error: unknown) => {
        this.#client = undefined
        throw new DatabaseConnectError(error)
      })
    }
    return this.#client
  }

  /** Runs `work` in one transaction; with `tenantId`, row-level security sees that tenant. */
  async transaction<T>(work: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const client = await this.#connect()
    const db = drizzle({
      client,
      schema,
      logger: {
        logQuery: (query) => {
          this.statements++
          this.#options.onStatement?.(query)
        },
      },
    })
    try {
      return await db.transaction(async (tx) => {
        if (options.tenantId || options.operator) {
          await tx.execute(
            sql`select set_config('app.tenant_id', ${options.tenantId ?? ''}, true), set_config('app.operator', ${options.operator ? 'on' : 'off'}, true)`,
          )
        }
        return work(tx)
      })
    } catch (error) {
      throw isConnectionFailure(error) ? new DatabaseConnectError(error) : error
    }
  }

  /** One round trip outside any transaction: used by the readiness probe. */
  async ping(): Promise<void> {
    const client = await this.#connect()
    this.statements++
    await withTimeout(client.query('select 1'), this.#options.connectTimeoutMs).catch((error: unknown) => {
      throw isConnectionFailure(error) ? new DatabaseConnectError(error) : error
    })
  }

  async close(): Promise<void> {
    const pool = this.#pool
    const client = this.#client
    this.#pool = undefined
    this.#client = undefined
    if (client)
      await client.then(
        (c) => c.release(),
        () => undefined,
      )
    if (pool) await pool.end().catch(() => undefined)
  }
}

/** SQLSTATEs of a connection that could not be had: connection exceptions, a refused login, no such database, too many connections, a server shutting down or starting. */
const CONNECTION_SQLSTATE = /^(08|28|3D000|53300|57P0[123])/

/**
 * Whether `error` (or what it wraps: drizzle wraps the driver's) says the connection failed, not
 * a statement. With `pipelineConnect` (Neon's default, and the local stack's) the driver reports
 * a connection as open once its WebSocket is, before Postgres has answered the startup and the
 * password, so an unreachable server or a refused login surfaces as the first statement's error;
 * a connection lost later surfaces the same way. Errors of the application's own never match.
 */
export function isConnectionFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 4; depth++) {
    // The WebSocket's own error event, rejected as it is by the driver.
    if (typeof Event !== 'undefined' && current instanceof Event) return true
    if (!(current instanceof Error)) return false
    const code = (current as { code?: unknown }).code
    if ('severity' in current && typeof code === 'string') return CONNECTION_SQLSTATE.test(code)
    if (/^(Connection terminated|Client has encountered a connection error)/.test(current.message))
      return true
    current = current.cause
  }
  return false
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer)
  })
}
