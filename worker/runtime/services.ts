import { DbHandle } from '../../db/client.ts'
import { type Config, loadConfig } from '../config.ts'
import type { Bindings } from '../env.ts'
import { cloudflareQueue, r2Objects, workersKv } from './cloudflare.ts'
import type { Services } from './ports.ts'
import { durableObjectEvents } from './tenant-events.ts'

/** A database handle of its own (one connection, opened lazily); the caller closes it. */
export function openDatabase(config: Config): DbHandle {
  return new DbHandle({
    connectionString: config.DATABASE_URL,
    wsProxy: config.NEON_WS_PROXY,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  })
}

/** Everything a request or a job works with, built from the bindings. Call `db.close()` when done. */
export function createServices(env: Bindings): Services {
  const config = loadConfig(env)
  return {
    config,
    db: openDatabase(config),
    jobs: cloudflareQueue(env.JOBS),
    webhooks: cloudflareQueue(env.WEBHOOKS),
    tokens: workersKv(env.TOKENS),
    exports: r2Objects(env.EXPORTS),
    files: r2Objects(env.FILES),
    events: durableObjectEvents(env.TENANT_EVENTS),
  }
}
