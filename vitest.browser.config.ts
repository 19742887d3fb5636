import { defineConfig } from 'vitest/config'

/**
 * Browser tests: plain Node (no workerd pool), one file at a time, driving Chromium (the npm
 * package's own, or CHROMIUM_PATH: test/browser/browser.ts) through playwright-core against a real
 * `wrangler dev` stack each file starts itself.
 */
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print one total across the three suites `npm test` runs.
    reporters: ['default', ['json', { outputFile: 'test-results/browser.json' }]],
    environment: 'node',
    include: ['test/browser/**/*.e2e.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    // expect.poll waits for what a page shows; its 1 s default failed a passing inbox test while
    // the machine's two cores ran other suites. A slow page is not a wrong one.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 240_000,
  },
})
