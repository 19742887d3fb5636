import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../worker/app.ts'
import { authenticate } from '../../worker/middleware/authenticate.ts'
import { effectiveStatus } from '../../worker/services/licensing.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { createMember, createTenant, errorCode, login } from '../helpers/fixtures.ts'
import { TEST_ORIGIN } from '../helpers/worker.ts'

// Module routes arrive with their modules; this probe is gated exactly as they are.
function appWithModuleRoute() {
  const app = createApp()
  app.get('/api/v1/_probe/metrics', authenticate, async (c) =>
    c.json(
      await c.var.caller.run(async ({ principal }) => ({ tenant: principal.tenantId }), {
        module: 'metrics',
      }),
    ),
  )
  return app
}

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

async function probeAs(options: Parameters<typeof createTenant>[1]) {
  const tenant = await createTenant(db, options)
  const owner = await createMember(db, tenant.tenantId, 'owner')
  const { access_token } = await login(db, owner.email)
  const ctx = createExecutionContext()
  const response = await appWithModuleRoute().fetch(
    new Request(new URL('/api/v1/_probe/metrics', TEST_ORIGIN), {
      headers: { authorization: `Bearer ${access_token}` },
    }),
    db.env,
    ctx,
  )
  await waitOnExecutionContext(ctx)
  return { response, tenant }
}

describe('module gating', () => {
  it('lets an active license with the module through', async () => {
    const { response, tenant } = await probeAs({ modules: ['metrics'] })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ tenant: tenant.tenantId })
  })

  it('lets a trialing license through', async () => {
    expect((await probeAs({ licenseStatus: 'trialing' })).response.status).toBe(200)
  })

  it.each(['suspended', 'past_due', 'expired', 'canceled'])(
    'answers LICENSE_INACTIVE for a %s license',
    async (status) => {
      const { response } = await probeAs({ licenseStatus: status })
      expect(response.status).toBe(403)
      expect(await errorCode(response)).toBe('LICENSE_INACTIVE')
    },
  )

  it('treats an active license past its validity as expired at request time, without any cron', async () => {
    const { response } = await probeAs({ validUntil: new Date(Date.now() - 60_000) })
    expect(response.status).toBe(403)
    expect(await errorCode(response)).toBe('LICENSE_INACTIVE')
  })

  it('answers MODULE_DISABLED when the plan lacks the module', async () => {
    const { response } = await probeAs({ modules: ['calendar'] })
    expect(response.status).toBe(403)
    expect(await errorCode(response)).toBe('MODULE_DISABLED')
  })
})

describe('effective license status', () => {
  const now = new Date('2026-06-01T00:00:00Z')
  const license = (status: 'active' | 'trialing' | 'suspended', until: string) => ({
    status,
    validFrom: new Date('2026-01-01T00:00:00Z'),
    validUntil: new Date(until),
  })
  it('reads usable licenses past valid_until as expired and leaves others alone', () => {
    expect(effectiveStatus(license('active', '2026-05-31T23:59:59Z'), now)).toBe('expired')
    expect(effectiveStatus(license('trialing', '2026-06-01T00:00:00Z'), now)).toBe('expired')
    expect(effectiveStatus(license('active', '2026-06-01T00:00:01Z'), now)).toBe('active')
    expect(effectiveStatus(license('suspended', '2026-05-01T00:00:00Z'), now)).toBe('suspended')
  })
})
