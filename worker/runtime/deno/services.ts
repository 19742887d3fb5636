import { loadConfig } from '../../config.ts'
import type { EventPublisher, Services } from '../ports.ts'
import { openDatabase } from '../services.ts'
import { denoKvStore } from './kv.ts'
import { kvObjects } from './objects.ts'
import { denoQueue } from './queue.ts'

/**
 * Real-time events on Deno: none are pushed. The Workers answer is a Durable Object per tenant
 * holding its pages' WebSockets; one Deno process has no equivalent shared by every instance, so
 * `/app/events` answers REALTIME_UNAVAILABLE and live.js polls every 10 s instead (docs/deno.md).
 */
const pollingOnly: EventPublisher = { publish: async () => {} }

/**
 * The ports on Deno, per request or delivery like `createServices` on Workers: the same
 * configuration and database handle, with Deno KV behind the queue, the vault and the archives.
 * `env` is the process environment (plus the rate limiter), read as Workers reads its vars.
 */
export function denoServices(kv: Deno.Kv): (env: object) => Services {
  return (env) => {
    const config = loadConfig(env)
    return {
      config,
      db: openDatabase(config),
      jobs: denoQueue(kv),
      tokens: denoKvStore(kv, 'tokens'),
      exports: kvObjects(kv, 'exports'),
      events: pollingOnly,
    }
  }
}
