import { beforeAll, describe, expect, it } from 'vitest'
import { auditListingRules, readAllAudit, seedAudit } from '../../helpers/audit.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type Role = 'owner' | 'admin' | 'analyst' | 'viewer'
type Page = { data: Record<string, unknown>[]; next_cursor: string | null }

const signIn = async (tenantId: string, role: Role) => {
  const member = await createMember(db, tenantId, role)
  return { ...member, call: as(db, (await login(db, member.email)).access_token) }
}

describe('GET /api/v1/audit', () => {
  it('lists the own tenant’s trail newest first, never another tenant’s', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    const owner = await signIn(a.tenantId, 'owner')
    const ownerB = await signIn(b.tenantId, 'owner')
    await ownerB.call('/api/v1/api-keys', { method: 'POST', json: { name: 'b', role: 'viewer' } })
    const created = await owner.call('/api/v1/api-keys', {
      method: 'POST',
      json: { name: 'a', role: 'viewer' },
    })
    const { id: keyId } = (await created.json()) as { id: string }
    const response = await owner.call('/api/v1/audit')
    expect(response.status).toBe(200)
    const page = (await response.json()) as Page
    expect(page.data.map((r) => r.action)).toEqual(['api_key.created', 'auth.login'])
    expect(page.data[0]).toMatchObject({
      tenant_id: a.tenantId,
      actor_type: 'member',
      actor_id: owner.id,
      target_type: 'api_key',
      target_id: keyId,
      data: { name: 'a', role: 'viewer' },
      request_id: expect.any(String),
    })
    expect(JSON.stringify(page)).not.toContain(ownerB.id)
  })

  it('is readable by an admin API key of the tenant, for its own tenant only', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    const owner = await signIn(a.tenantId, 'owner')
    const [ours] = await seedAudit(db, a.tenantId, [{ action: 'seed.a', at: '2026-03-01T00:00:00Z' }])
    const [theirs] = await seedAudit(db, b.tenantId, [{ action: 'seed.b', at: '2026-03-01T00:00:00Z' }])
    const created = await owner.call('/api/v1/api-keys', {
      method: 'POST',
      json: { name: 'siem', role: 'admin' },
    })
    const key = as(db, ((await created.json()) as { key: string }).key)
    const rows = await readAllAudit(key, '/api/v1/audit', 'action=seed.')
    expect(rows.map((r) => r.id)).toEqual([ours])
    expect(JSON.stringify(await readAllAudit(key, '/api/v1/audit', 'limit=100'))).not.toContain(theirs)
  })
})

describe('rules shared with /api/v1/admin/audit', () => {
  auditListingRules('/api/v1/audit', async () => {
    const tenant = await createTenant(db)
    return { db, call: (await signIn(tenant.tenantId, 'owner')).call, tenantId: tenant.tenantId, scope: '' }
  })
})

describe('security of /api/v1/audit', () => {
  it('needs authentication', async () => {
    const response = await callWorker(db.env, '/api/v1/audit')
    expect(response.status).toBe(401)
  })

  it('is for owners and admins: analysts, viewers, non-admin keys and operators get 403', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const operator = await createOperator(db)
    const created = await owner.call('/api/v1/api-keys', {
      method: 'POST',
      json: { name: 'k', role: 'analyst' },
    })
    const callers = [
      (await signIn(tenant.tenantId, 'analyst')).call,
      (await signIn(tenant.tenantId, 'viewer')).call,
      as(db, ((await created.json()) as { key: string }).key),
      as(db, (await login(db, operator.email)).access_token),
    ]
    for (const call of callers) {
      const response = await call('/api/v1/audit')
      expect(response.status).toBe(403)
      expect(await errorCode(response)).toBe('FORBIDDEN')
    }
  })
})
