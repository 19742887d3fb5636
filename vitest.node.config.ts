import path from 'node:path'
import { defineConfig } from 'vitest/config'

/**
 * Node-side tests: what cannot run inside workerd. The OpenAPI validator compiles JSON Schemas
 * into functions (ajv), which workerd forbids, so the document is validated here, served by the
 * same app factory. Run after the workerd suite by `npm test` (the `posttest` script).
 */
export default defineConfig({
  // The app's Durable Object extends workerd's base class; Node gets the Deno entry's stand-in.
  resolve: { alias: { 'cloudflare:workers': path.resolve('worker/runtime/deno/cloudflare-workers.ts') } },
  test: {
    // The JSON report lets .ci/run print one total across the three suites `npm test` runs.
    reporters: ['default', ['json', { outputFile: 'test-results/node.json' }]],
    environment: 'node',
    include: ['test/node/**/*.node.ts'],
    testTimeout: 30_000,
  },
})
