import { DbHandle } from '../db/client.ts'
import { loadConfig } from './config.ts'
import type { Bindings, Services } from './env.ts'
import { cloudflareQueue, r2Objects, workersKv } from './platform/cloudflare.ts'

/** Everything a request or a job works with, built from the bindings. Call `db.close()` when done. */
export function createServices(env: Bindings): Services {
  const config = loadConfig(env)
  return {
    config,
    db: new DbHandle({
      connectionString: config.DATABASE_URL,
      wsProxy: config.NEON_WS_PROXY,
      connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    }),
    jobs: cloudflareQueue(env.JOBS),
    tokens: workersKv(env.TOKENS),
    exports: r2Objects(env.EXPORTS),
  }
}
