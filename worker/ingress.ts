import { createAppWith } from './app.ts'
import type { Bindings } from './env.ts'
import { registerMetaWebhook } from './routes/webhooks/meta.ts'

/** The edge Worker's bindings: the application's, and the service binding to the placed app Worker. */
export type IngressBindings = Bindings & { APP: Fetcher }

/** Meta's webhook deliveries and subscription handshakes: `/webhooks/meta/<tenant slug>`. */
const META_WEBHOOK = /^\/webhooks\/meta\/[^/]+$/

const webhooks = createAppWith(registerMetaWebhook)

/**
 * The edge Worker, built from the same code as the application Worker and deployed beside it
 * (wrangler.ingress.toml). It runs where the request arrives: Meta's webhooks are answered here
 * (signature, enqueue, no SQL; their settings come from KV), so an acknowledgement never crosses
 * to the database's region; every other request goes on through the service binding to the app
 * Worker, which is placed next to the database (wrangler.toml `[placement]`), where its many
 * waits on Postgres cost about a millisecond each. See docs/architecture.md, "Deployment shape
 * and latency".
 */
export default {
  fetch(request: Request, env: IngressBindings, ctx: ExecutionContext) {
    if (META_WEBHOOK.test(new URL(request.url).pathname)) return webhooks.fetch(request, env, ctx)
    return env.APP.fetch(request)
  },
} satisfies ExportedHandler<IngressBindings>
