import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { LongestFirstSequencer } from './test/setup/sequencer.ts'

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => {
      const stack = inject('stack')
      const fakes = inject('fakePlatformsUrl')
      return {
        main: './worker/index.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            APP_ENV: 'test',
            DATABASE_URL: stack.appUrl,
            NEON_WS_PROXY: stack.wsProxy ?? '',
            // Fresh per run: tests never depend on a fixed secret.
            JWT_SIGNING_KEYS: `test1:${randomBytes(32).toString('base64url')}`,
            VAULT_MASTER_KEYS: `mk1:${randomBytes(32).toString('base64url')}`,
            INSTAGRAM_API_URL: `${fakes}/instagram`,
            FACEBOOK_API_URL: `${fakes}/facebook`,
            X_API_URL: `${fakes}/x`,
            TIKTOK_API_URL: `${fakes}/tiktok`,
            WHATSAPP_API_URL: `${fakes}/whatsapp`,
            INSTAGRAM_AUTH_URL: `${fakes}/oauth/instagram/authorize`,
            FACEBOOK_AUTH_URL: `${fakes}/oauth/facebook/authorize`,
            X_AUTH_URL: `${fakes}/oauth/x/authorize`,
            TIKTOK_AUTH_URL: `${fakes}/oauth/tiktok/authorize`,
            WHATSAPP_AUTH_URL: `${fakes}/oauth/whatsapp/authorize`,
            INSTAGRAM_TOKEN_URL: `${fakes}/oauth/instagram/access_token`,
            TELEGRAM_API_URL: `${fakes}/telegram`,
            RESEND_API_URL: `${fakes}/resend`,
            RESEND_API_KEY: `re_test_${randomBytes(12).toString('hex')}`,
            // Test-only: lets tests drive the fake platforms' scenarios.
            TEST_FAKE_PLATFORMS_URL: fakes,
            PAYMENTS_API_URL: `${fakes}/mercadopago`,
            CEP_API_URL: `${fakes}/viacep`,
            GEOCODER_API_URL: `${fakes}/nominatim`,
            PAYMENTS_ACCESS_TOKEN: `TEST-${randomBytes(12).toString('hex')}`,
            PAYMENTS_WEBHOOK_SECRETS: `whsec_${randomBytes(24).toString('base64')}`,
            ORDER_TRACKING_SECRETS: randomBytes(32).toString('base64url'),
            BILLING_WEBHOOK_SECRETS: `whsec_${randomBytes(24).toString('base64')}`,
            // Test-only: lets test/helpers create one database per test file from the template.
            TEST_OWNER_URL: stack.ownerUrl,
            TEST_TEMPLATE_DATABASE: stack.templateDatabase ?? '',
          },
        },
      }
    }),
  ],
  test: {
    // The JSON report lets .ci/run print one total across the three suites `npm test` runs.
    reporters: ['default', ['json', { outputFile: 'test-results/workerd.json' }]],
    // The Worker logs a JSON line per request: show logs only for failing tests.
    silent: 'passed-only',
    globalSetup: ['./test/setup/global.ts'],
    setupFiles: ['./test/setup/no-network.worker.ts'],
    include: ['test/**/*.test.ts'],
    // Files run side by side (each has its own database; shared fakes are keyed by unique
    // accounts). Left to its default, this pool ran them one at a time; most of a file's time is
    // spent waiting on Postgres, so two per core overlap well.
    maxWorkers: 2 * availableParallelism(),
    sequence: { sequencer: LongestFirstSequencer },
    // Four files at a time on 2 cores: a test that runs cron ticks and queued jobs can take over 20 s
    // when the fuzz suites run beside it. A slow test is not a failing one.
    testTimeout: 45_000,
    hookTimeout: 30_000,
  },
})
