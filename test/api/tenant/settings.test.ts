import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createTenant, errorCode, login } from '../../helpers/fixtures.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

async function signedIn(role: 'owner' | 'admin' | 'analyst' | 'viewer' = 'owner') {
  const tenant = await createTenant(db)
  const member = await createMember(db, tenant.tenantId, role)
  return { tenant, call: as(db, (await login(db, member.email)).access_token) }
}

const patch = (json: unknown) => ({ method: 'PATCH', json })

describe('tenant settings: the business time zone', () => {
  it('is São Paulo until the owner sets another, written back as the IANA name, with an audit row', async () => {
    const { tenant, call } = await signedIn()
    const before = await call('/api/v1/tenant/settings')
    expect(await before.json()).toEqual({ x_collection_enabled: true, time_zone: 'America/Sao_Paulo' })

    // Intl takes any case; what is stored and answered is the canonical name.
    const changed = await call('/api/v1/tenant/settings', patch({ time_zone: 'america/manaus' }))
    expect(changed.status).toBe(200)
    expect(await changed.json()).toEqual({ x_collection_enabled: true, time_zone: 'America/Manaus' })
    const audit = await db.owner<{ data: unknown }>(
      `select data from audit_log where tenant_id = $1 and action = 'tenant.settings_changed'`,
      [tenant.tenantId],
    )
    expect(audit.map((row) => row.data)).toEqual([
      { time_zone: { from: 'America/Sao_Paulo', to: 'America/Manaus' } },
    ])

    // The same zone again changes nothing and writes no second row.
    await call('/api/v1/tenant/settings', patch({ time_zone: 'America/Manaus' }))
    const rows = await db.owner(
      `select 1 from audit_log where tenant_id = $1 and action = 'tenant.settings_changed'`,
      [tenant.tenantId],
    )
    expect(rows).toHaveLength(1)
  })

  it('refuses a zone that is not one, in the envelope naming the field', async () => {
    const { call } = await signedIn('admin')
    for (const time_zone of ['Mars/Olympus_Mons', '', 'GMT-3 ', 'x'.repeat(65), 3]) {
      const response = await call('/api/v1/tenant/settings', patch({ time_zone }))
      expect(response.status).toBe(400)
      const body = (await response.json()) as { error: { code: string; fields: { path: string }[] } }
      expect(body.error.code).toBe('VALIDATION_FAILED')
      expect(body.error.fields.map((f) => f.path)).toEqual(['json.time_zone'])
    }
  })

  it('is read by every role but set only by owners and admins, and only in the caller’s tenant', async () => {
    const analyst = await signedIn('analyst')
    expect((await analyst.call('/api/v1/tenant/settings')).status).toBe(200)
    const refused = await analyst.call('/api/v1/tenant/settings', patch({ time_zone: 'UTC' }))
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('FORBIDDEN')
    expect((await analyst.call('/api/v1/tenant/settings', { method: 'PATCH' })).status).toBe(403)

    const owner = await signedIn('owner')
    await owner.call('/api/v1/tenant/settings', patch({ time_zone: 'Europe/Lisbon' }))
    const zones = await db.owner<{ id: string; time_zone: string }>(
      'select id, time_zone from tenants where id = any($1)',
      [[owner.tenant.tenantId, analyst.tenant.tenantId]],
    )
    expect(Object.fromEntries(zones.map((row) => [row.id, row.time_zone]))).toEqual({
      [owner.tenant.tenantId]: 'Europe/Lisbon',
      [analyst.tenant.tenantId]: 'America/Sao_Paulo',
    })
    expect((await callAnonymous('/api/v1/tenant/settings')).status).toBe(401)
  })
})

const callAnonymous = (path: string) => as(db, 'not-a-token')(path)
