import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type Role = 'owner' | 'admin' | 'analyst' | 'viewer'
const signIn = async (tenantId: string, role: Role) => {
  const member = await createMember(db, tenantId, role)
  return { ...member, call: as(db, (await login(db, member.email)).access_token) }
}

describe('GET /api/v1/tenant', () => {
  it('shows the own tenant, license, plan, effective modules, limits and usage', async () => {
    const tenant = await createTenant(db, { modules: ['metrics', 'calendar'], usersLimit: 7 })
    const owner = await signIn(tenant.tenantId, 'owner')
    await createMember(db, tenant.tenantId, 'analyst')
    await createMember(db, tenant.tenantId, 'viewer', { status: 'deactivated' })
    const other = await createTenant(db)
    for (const [tenantId, status] of [
      [tenant.tenantId, 'active'],
      [tenant.tenantId, 'needs_reconnect'],
      [tenant.tenantId, 'disconnected'],
      [other.tenantId, 'active'],
    ]) {
      await db.owner(
        `insert into connections (id, tenant_id, platform, external_account_id, status)
         values ($1, $2, 'instagram', $3, $4)`,
        [`con_${crypto.randomUUID().slice(0, 8)}`, tenantId, crypto.randomUUID(), status],
      )
    }
    const response = await owner.call('/api/v1/tenant')
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toEqual({
      tenant: { id: tenant.tenantId, slug: tenant.slug, name: `Tenant ${tenant.slug}`, status: 'active' },
      license: {
        status: 'active',
        effective_status: 'active',
        valid_from: expect.any(String),
        valid_until: expect.any(String),
      },
      plan: { code: expect.stringMatching(/^plan-/), name: 'Test plan' },
      modules: ['metrics', 'calendar'],
      limits: { users: 7, connections: 10, retention_days: 365, collection_interval_minutes: 60 },
      // Active members only; connections but the disconnected one, of this tenant only.
      usage: { users: 2, connections: 2 },
    })
  })

  it('answers every tenant role', async () => {
    const tenant = await createTenant(db)
    for (const role of ['admin', 'analyst', 'viewer'] as const) {
      const member = await signIn(tenant.tenantId, role)
      const response = await member.call('/api/v1/tenant')
      expect(response.status, role).toBe(200)
      expect(((await response.json()) as { tenant: { id: string } }).tenant.id).toBe(tenant.tenantId)
    }
  })

  it('shows no modules once the license has run out, before any sweep', async () => {
    const tenant = await createTenant(db, { validUntil: new Date(Date.now() - 3600_000) })
    const viewer = await signIn(tenant.tenantId, 'viewer')
    const body = (await (await viewer.call('/api/v1/tenant')).json()) as {
      license: { status: string; effective_status: string }
      modules: string[]
    }
    expect(body.license).toMatchObject({ status: 'active', effective_status: 'expired' })
    expect(body.modules).toEqual([])
  })

  it('shows no modules for a suspended license, and null license and plan without one', async () => {
    const suspended = await createTenant(db, { licenseStatus: 'suspended' })
    const a = await signIn(suspended.tenantId, 'owner')
    expect(await (await a.call('/api/v1/tenant')).json()).toMatchObject({
      license: { status: 'suspended', effective_status: 'suspended' },
      modules: [],
    })
    const bare = await createTenant(db)
    await db.owner('delete from licenses where tenant_id = $1', [bare.tenantId])
    const b = await signIn(bare.tenantId, 'owner')
    expect(await (await b.call('/api/v1/tenant')).json()).toMatchObject({
      license: null,
      plan: null,
      modules: [],
      limits: null,
    })
  })

  it('is read by an API key of the tenant, and only its own tenant', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    const owner = await signIn(a.tenantId, 'owner')
    await signIn(b.tenantId, 'owner')
    const created = await owner.call('/api/v1/api-keys', {
      method: 'POST',
      json: { name: 'ci', role: 'viewer' },
    })
    const { key } = (await created.json()) as { key: string }
    const response = await as(db, key)('/api/v1/tenant')
    expect(response.status).toBe(200)
    expect(((await response.json()) as { tenant: { id: string } }).tenant.id).toBe(a.tenantId)
  })

  it('needs authentication', async () => {
    const response = await callWorker(db.env, '/api/v1/tenant')
    expect(response.status).toBe(401)
    expect(await errorCode(response)).toBe('UNAUTHENTICATED')
  })

  it('refuses an operator: the central has no tenant of its own', async () => {
    const operator = await createOperator(db)
    const response = await as(db, (await login(db, operator.email)).access_token)('/api/v1/tenant')
    expect(response.status).toBe(403)
    expect(await errorCode(response)).toBe('FORBIDDEN')
  })
})
