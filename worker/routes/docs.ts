import type { App } from '../env.ts'
import { buildOpenApiDocument } from '../openapi/document.ts'
import { API_DOCS_PATH, API_DOCS_SCRIPT } from '../openapi/paths.ts'
import { describe } from '../openapi/registry.ts'

/**
 * Scalar's browser build, copied from node_modules into the static assets by
 * scripts/vendor-assets.mjs (the version package-lock.json pins), served from our own origin.
 */
const SCALAR_SCRIPT = '/vendor/scalar/api-reference.js'

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Integra API reference</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
<noscript>The interactive reference needs JavaScript. The document itself: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript>
<div id="app"></div>
<script src="${SCALAR_SCRIPT}"></script>
<script src="${API_DOCS_SCRIPT}"></script>
</body>
</html>
`

// A file, not an inline script, so the page keeps `script-src 'self'`. Everything Scalar could
// fetch from its own servers is off: default fonts, telemetry, the AI agent, MCP, developer tools.
const INIT = `Scalar.createApiReference('#app', {
  url: '/api/v1/openapi.json',
  baseServerURL: location.origin,
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
  persistAuth: false,
})
`

/** The OpenAPI document of the API and its interactive reference. */
export function registerDocs(app: App) {
  // Built on first request, once per isolate: by then every route of the app is registered.
  let document: string | undefined

  app.get(
    '/api/v1/openapi.json',
    describe({
      summary: 'This OpenAPI 3.1 document',
      description: 'Generated from the zod schemas the API validates with; public.',
      tags: ['docs'],
      responses: { 200: { description: 'The document.' } },
    }),
    (c) => {
      document ??= JSON.stringify(buildOpenApiDocument(app.routes))
      return c.body(document, 200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'public, max-age=300',
      })
    },
  )

  app.get(API_DOCS_PATH, (c) => c.html(PAGE, 200, { 'Cache-Control': 'public, max-age=300' }))

  app.get(API_DOCS_SCRIPT, (c) =>
    c.body(INIT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
    }),
  )
}
