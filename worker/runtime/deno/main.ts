/**
 * Integra on Deno: the same app factory, consumers and cron fan-out as the Workers entry
 * (worker/index.ts), behind Deno's own runtime. One process serves HTTP (`Deno.serve`), consumes
 * the job queue (`kv.listenQueue`) and fires the schedule (`Deno.cron`, registered at module top
 * level so Deno Deploy finds it at deploy time). Configuration comes from the environment, under
 * the names wrangler.toml and `wrangler secret put` use. Run with `deno run -A
 * worker/runtime/deno/main.ts` (deno.json turns on KV and cron); `npm run dev:deno` does it with
 * the local stack. See docs/deno.md.
 */
// First: the Workers crypto extension the app's secret comparisons use.
import './workers-crypto.ts'
import { createApp } from '../../app.ts'
import { onSchedule } from '../../jobs/scheduler.ts'
import { describeError, log } from '../../log.ts'
import { staticFiles } from './assets.ts'
import { kvRateLimiter } from './kv.ts'
import { denoQueue, listen, sweepUndelivered } from './queue.ts'
import { denoServices } from './services.ts'

/** wrangler.toml's `[triggers] crons`: the one schedule the cron-tick handler knows. */
export const CRON = '*/15 * * * *'

const kv = await Deno.openKv(Deno.env.get('DENO_KV_PATH') || undefined)
const servicesOf = denoServices(kv)
const vars: Record<string, string | undefined> = Deno.env.toObject()
/** wrangler.toml's API_RATE_LIMITER (600 requests a minute per key); API_RATE_LIMIT changes it here. */
const rateLimit = { limit: Number(vars.API_RATE_LIMIT || 600), periodSeconds: 60 }
const env = { ...vars, API_RATE_LIMITER: kvRateLimiter(kv, rateLimit) }
const app = createApp(servicesOf)
const assets = await staticFiles(new URL('../../../portal/public/', import.meta.url))
const local = vars.APP_ENV !== 'production'

/** Workers' `ctx.waitUntil`: the process lives on, so the promise only needs its failure logged. */
const executionCtx = {
  waitUntil(promise: Promise<unknown>) {
    promise.catch((error: unknown) => log('error', 'background work failed', describeError(error)))
  },
  passThroughOnException() {},
  props: {},
}

/**
 * On Workers an error nobody caught ends one invocation; in one Deno process it would end them
 * all. Logged as the Workers runtime would, and the process goes on.
 */
globalThis.addEventListener('unhandledrejection', (event) => {
  event.preventDefault()
  log('error', 'unhandled rejection', describeError(event.reason))
})
// Deno dispatches uncaught exceptions as `error` events (ErrorEvent), which workers-types omits.
const events = globalThis as unknown as EventTarget
events.addEventListener('error', (event) => {
  event.preventDefault()
  log('error', 'uncaught error', describeError((event as ErrorEvent).error))
})

async function fireSchedule(scheduledTime: number): Promise<void> {
  // What Deno gave up delivering reaches the dead-letter consumer at the next tick at the latest.
  await sweepUndelivered(kv)
  await onSchedule({ cron: CRON, scheduledTime }, denoQueue(kv))
}

Deno.cron('integra-schedule', CRON, async () => {
  // The slot's time, as Workers' scheduledTime: the cron-tick claim is keyed by it.
  const slot = Math.floor(Date.now() / 60_000) * 60_000
  await fireSchedule(slot)
})

void listen(kv, () => servicesOf(env))
await sweepUndelivered(kv)

const server = Deno.serve(
  {
    port: Number(vars.PORT ?? 8000),
    hostname: vars.HOST ?? '0.0.0.0',
    onListen: ({ port }) => log('info', 'deno listening', { port }),
  },
  async (incoming, info) => {
    const file = await assets(incoming)
    if (file) return file
    // The address rate limits are keyed by, as Cloudflare sets it; a client's own value is dropped.
    const headers = new Headers(incoming.headers)
    headers.set('cf-connecting-ip', info.remoteAddr.hostname)
    const request = new Request(incoming, { headers })
    const url = new URL(request.url)
    // wrangler dev's way to fire the schedule by hand, kept for local use and the Deno suite.
    if (local && url.pathname === '/cdn-cgi/local/scheduled') {
      await fireSchedule(Number(url.searchParams.get('time') ?? Date.now()))
      return new Response('Ran scheduled event')
    }
    return app.fetch(request, env, executionCtx)
  },
)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  Deno.addSignalListener(signal, () => {
    void server.shutdown().finally(() => {
      kv.close()
      Deno.exit(0)
    })
  })
}
