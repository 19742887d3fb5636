import { defineConfig } from 'vitest/config'

/**
 * The Deno suite (issue 21): the application on its Deno entry (worker/runtime/deno/main.ts:
 * Deno.serve, Deno KV, kv.enqueue → listenQueue, Deno.cron) against the real embedded Postgres
 * and the fakes, driven over HTTP from Node like the browser suite drives `wrangler dev`. Run by
 * `npm test` after the node suite; its JSON report joins the others in .ci/run's total.
 */
export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'test-results/deno.json' }]],
    environment: 'node',
    include: ['test/deno/**/*.deno.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
})
