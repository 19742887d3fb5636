import { Hono } from 'hono'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { requestId } from 'hono/request-id'
import type { App, AppEnv, Bindings } from './env.ts'
import { methodNotAllowedResponse, notFound, onError } from './middleware/errors.ts'
import { initWith } from './middleware/init.ts'
import { jsonBodies } from './middleware/json-body.ts'
import { requestLog } from './middleware/request-log.ts'
import { corsFromConfig, securityHeaders, trustedHosts } from './middleware/security.ts'
import { registerBookingPage } from './routes/book/index.tsx'
import { registerDocs } from './routes/docs.ts'
import { registerRoutes } from './routes/index.ts'
import { registerPortal } from './routes/portal/index.ts'
import { registerUnsubscribePage } from './routes/reports/unsubscribe.tsx'
import { registerStorefrontPage } from './routes/storefront/index.tsx'
import type { Services } from './runtime/ports.ts'
import { createServices } from './runtime/services.ts'

/**
 * The one app factory: Integra's middleware around `register`'s routes. Middleware order
 * matters: the request id and the log line wrap everything (errors included), security headers
 * apply to every response, and configuration is parsed before anything that needs it. The
 * application Worker registers every route (`createApp`); the edge ingress only the Meta
 * webhooks (`worker/ingress.ts`), with the same middleware. `servicesOf` builds the runtime's
 * ports per request: Workers bindings by default, Deno KV and its queue on Deno
 * (worker/runtime/deno/main.ts).
 */
export function createAppWith(
  register: (app: App) => void,
  servicesOf: (env: Bindings) => Services = createServices,
): App {
  const app = new Hono<AppEnv>()
  app.use(requestId({ headerName: 'X-Request-Id', limitLength: 128 }))
  app.use(requestLog)
  app.use(securityHeaders)
  app.use(initWith(servicesOf))
  app.use(trustedHosts)
  app.use(corsFromConfig)
  app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedResponse }))
  app.use('/api/*', jsonBodies)
  app.onError(onError)
  app.notFound(notFound)
  register(app)
  return app
}

/** The application Worker's app: the API, the portals, and the OpenAPI document of them. */
export function createApp(servicesOf: (env: Bindings) => Services = createServices): App {
  return createAppWith((app) => {
    registerRoutes(app)
    registerPortal(app)
    registerBookingPage(app)
    registerStorefrontPage(app)
    // Scheduled reports' signed one-click unsubscribe, without a sign-in (docs/reports.md).
    registerUnsubscribePage(app)
    // Last: the OpenAPI document lists every route registered above, read from the app itself.
    registerDocs(app)
  }, servicesOf)
}
