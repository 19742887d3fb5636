import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, login } from '../../helpers/fixtures.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

// Who may call each admin route (401 without a token, 403 for tenant members and keys, operators
// through) is part of the API security matrix, test/security/matrix.test.ts.
describe('admin routes are for operators only', () => {
  it('a refused owner changes nothing and leaves no audit row', async () => {
    const fixture = await createTenant(db)
    const owner = await createMember(db, fixture.tenantId, 'owner')
    const call = as(db, (await login(db, owner.email)).access_token)
    const before = await db.owner('select id from audit_log')
    expect((await call(`/api/v1/admin/tenants/${fixture.tenantId}/suspend`, { method: 'POST' })).status).toBe(
      403,
    )
    expect(
      (await call(`/api/v1/admin/licenses/${fixture.licenseId}/suspend`, { method: 'POST' })).status,
    ).toBe(403)
    const [tenant] = await db.owner<{ status: string }>('select status from tenants where id = $1', [
      fixture.tenantId,
    ])
    const [license] = await db.owner<{ status: string }>('select status from licenses where id = $1', [
      fixture.licenseId,
    ])
    expect([tenant?.status, license?.status]).toEqual(['active', 'active'])
    expect(await db.owner('select id from audit_log')).toHaveLength(before.length)
  })
})

describe('the issue’s story', () => {
  it('an operator sets up a tenant whose owner gets modules until the license is suspended', async () => {
    const operator = await createOperator(db)
    const admin = as(db, (await login(db, operator.email)).access_token)
    const suffix = crypto.randomUUID().slice(0, 6)

    const tenantResponse = await admin('/api/v1/admin/tenants', {
      method: 'POST',
      json: { slug: `globex-${suffix}`, name: 'Globex' },
    })
    expect(tenantResponse.status).toBe(201)
    const tenant = (await tenantResponse.json()) as { id: string }

    const planResponse = await admin('/api/v1/admin/plans', {
      method: 'POST',
      json: {
        code: `globex-pro-${suffix}`,
        name: 'Pro',
        modules: ['metrics', 'calendar'],
        limits: { users: 5, connections: 10, retention_days: 365, collection_interval_minutes: 60 },
      },
    })
    expect(planResponse.status).toBe(201)
    const plan = (await planResponse.json()) as { id: string }

    const licenseResponse = await admin('/api/v1/admin/licenses', {
      method: 'POST',
      json: { tenant_id: tenant.id, plan_id: plan.id, days: 30 },
    })
    expect(licenseResponse.status).toBe(201)
    const license = (await licenseResponse.json()) as { id: string; status: string }
    expect(license.status).toBe('active')

    const email = `owner-${suffix}@globex.example`
    const password = 'globex owner passphrase'
    const ownerResponse = await admin(`/api/v1/admin/tenants/${tenant.id}/users`, {
      method: 'POST',
      json: { email, name: 'Hank Scorpio', role: 'owner', password },
    })
    expect(ownerResponse.status).toBe(201)

    const owner = as(db, (await login(db, email, password)).access_token)
    const licensed = await owner('/api/v1/auth/me')
    expect(licensed.status).toBe(200)
    expect(await licensed.json()).toMatchObject({
      principal: { kind: 'member', role: 'owner' },
      tenant: { id: tenant.id, modules: ['metrics', 'calendar'] },
    })

    expect((await admin(`/api/v1/admin/licenses/${license.id}/suspend`, { method: 'POST' })).status).toBe(200)
    const unlicensed = await owner('/api/v1/auth/me')
    expect(unlicensed.status).toBe(200)
    expect(await unlicensed.json()).toMatchObject({ tenant: { id: tenant.id, modules: [] } })

    const audit = await db.owner<{ action: string }>(
      `select action from audit_log where tenant_id = $1 and actor_id = $2 order by created_at, id`,
      [tenant.id, operator.id],
    )
    expect(audit.map((row) => row.action)).toEqual([
      'tenant.created',
      'license.created',
      'user.created',
      'license.suspended',
    ])
  })
})
