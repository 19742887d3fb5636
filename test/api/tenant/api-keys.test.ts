import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { sha256Hex } from '../../../worker/auth/tokens.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker, captureLogs } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type Role = 'owner' | 'admin' | 'analyst' | 'viewer'
type Caller = ReturnType<typeof as>
type Key = { id: string; key: string; name: string; role: string; prefix: string; last_four: string }
type ListedKey = Omit<Key, 'key'> & { last_used_at: string | null; revoked_at: string | null }

const signIn = async (tenantId: string, role: Role) => {
  const member = await createMember(db, tenantId, role)
  return { ...member, call: as(db, (await login(db, member.email)).access_token) }
}

const createKey = async (call: Caller, role = 'viewer', name = 'reporting bot') => {
  const response = await call('/api/v1/api-keys', { method: 'POST', json: { name, role } })
  expect(response.status).toBe(201)
  return (await response.json()) as Key
}

const listKeys = async (call: Caller, query = '') =>
  (await (await call(`/api/v1/api-keys${query}`)).json()) as { data: ListedKey[]; next_cursor: string | null }

describe('POST /api/v1/api-keys', () => {
  it('returns the key once, stores only the hash of its secret, audits without it', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const { result: response, lines } = await captureLogs(() =>
      owner.call('/api/v1/api-keys', { method: 'POST', json: { name: 'warehouse', role: 'analyst' } }),
    )
    expect(response.status).toBe(201)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const key = (await response.json()) as Key
    expect(key.key).toMatch(/^ik_[0-9a-z]{20}_[A-Za-z0-9_-]{43}$/)
    expect(key).toMatchObject({ name: 'warehouse', role: 'analyst', last_four: key.key.slice(-4) })
    expect(key.key.startsWith(key.prefix)).toBe(true)
    expect(key.id).toBe(`key_${key.key.slice(3, 23)}`)
    const secret = key.key.slice(24)
    const [row] = await db.owner<{
      secret_hash: string
      last_four: string
      tenant_id: string
      created_by: string
    }>('select secret_hash, last_four, tenant_id, created_by from api_keys where id = $1', [key.id])
    expect(row).toEqual({
      secret_hash: await sha256Hex(secret),
      last_four: secret.slice(-4),
      tenant_id: tenant.tenantId,
      created_by: owner.id,
    })
    const audit = await db.owner<{ action: string; actor_id: string; data: unknown }>(
      'select action, actor_id, data from audit_log where target_id = $1',
      [key.id],
    )
    expect(audit).toEqual([
      { action: 'api_key.created', actor_id: owner.id, data: { name: 'warehouse', role: 'analyst' } },
    ])
    expect(JSON.stringify([audit, lines])).not.toContain(secret)
  })

  it('lets an admin create an admin key', async () => {
    const tenant = await createTenant(db)
    const admin = await signIn(tenant.tenantId, 'admin')
    expect((await createKey(admin.call, 'admin')).role).toBe('admin')
  })

  it('names invalid fields; owner is not a key role', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const response = await owner.call('/api/v1/api-keys', {
      method: 'POST',
      json: { name: ' ', role: 'owner' },
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { fields: { path: string }[] } }
    expect(body.error.fields.map((f) => f.path).sort()).toEqual(['json.name', 'json.role'])
  })
})

describe('GET /api/v1/api-keys', () => {
  it('lists the own keys newest first, page by page, without secrets', async () => {
    const tenant = await createTenant(db)
    const other = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const created = [await createKey(owner.call), await createKey(owner.call), await createKey(owner.call)]
    await createKey((await signIn(other.tenantId, 'owner')).call)
    const first = await listKeys(owner.call, '?limit=2')
    expect(first.data).toHaveLength(2)
    expect(first.next_cursor).toEqual(expect.any(String))
    const second = await listKeys(owner.call, `?limit=2&cursor=${first.next_cursor}`)
    expect(second.next_cursor).toBeNull()
    const listed = [...first.data, ...second.data]
    expect(listed.map((k) => k.id)).toEqual(created.map((k) => k.id).reverse())
    expect(listed[0]).toMatchObject({
      prefix: created[2]?.prefix,
      last_four: created[2]?.last_four,
      last_used_at: null,
      revoked_at: null,
    })
    const text = JSON.stringify(listed)
    expect(text).not.toContain('secret')
    for (const key of created) expect(text).not.toContain(key.key)
  })
})

describe('authenticating with an API key', () => {
  it('reads GET /api/v1/tenant of its own tenant and records last_used_at', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    const owner = await signIn(a.tenantId, 'owner')
    await signIn(b.tenantId, 'owner')
    const key = await createKey(owner.call)
    const response = await as(db, key.key)('/api/v1/tenant')
    expect(response.status).toBe(200)
    expect(((await response.json()) as { tenant: { id: string } }).tenant.id).toBe(a.tenantId)
    const [listed] = (await listKeys(owner.call)).data
    expect(listed?.last_used_at).toEqual(expect.any(String))
  })

  it('refuses a wrong secret and a malformed key', async () => {
    const tenant = await createTenant(db)
    const key = await createKey((await signIn(tenant.tenantId, 'owner')).call)
    const wrong = `${key.key.slice(0, -4)}${key.key.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`
    for (const token of [wrong, 'ik_garbage']) {
      expect((await as(db, token)('/api/v1/tenant')).status).toBe(401)
    }
  })

  it('stops working once revoked; revoking again changes nothing', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const key = await createKey(owner.call)
    expect((await as(db, key.key)('/api/v1/tenant')).status).toBe(200)
    expect((await owner.call(`/api/v1/api-keys/${key.id}`, { method: 'DELETE' })).status).toBe(204)
    const refused = await as(db, key.key)('/api/v1/tenant')
    expect(refused.status).toBe(401)
    expect(await errorCode(refused)).toBe('INVALID_API_KEY')
    expect((await owner.call(`/api/v1/api-keys/${key.id}`, { method: 'DELETE' })).status).toBe(204)
    const audit = await db.owner<{ action: string; actor_id: string }>(
      "select action, actor_id from audit_log where target_id = $1 and action = 'api_key.revoked'",
      [key.id],
    )
    expect(audit).toEqual([{ action: 'api_key.revoked', actor_id: owner.id }])
    expect((await listKeys(owner.call)).data[0]?.revoked_at).toEqual(expect.any(String))
  })

  it('cannot manage API keys or users, even with role admin', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const other = await createKey(owner.call)
    const key = as(db, (await createKey(owner.call, 'admin')).key)
    for (const [method, path, json] of [
      ['POST', '/api/v1/api-keys', { name: 'child', role: 'viewer' }],
      ['GET', '/api/v1/api-keys', undefined],
      ['DELETE', `/api/v1/api-keys/${other.id}`, undefined],
      ['GET', '/api/v1/users', undefined],
      [
        'POST',
        '/api/v1/users',
        { email: 'x@example.test', name: 'X', role: 'viewer', password: 'long enough pass' },
      ],
    ] as const) {
      const response = await key(path, { method, json })
      expect(response.status, `${method} ${path}`).toBe(403)
      expect(await errorCode(response)).toBe('FORBIDDEN')
    }
    expect((await as(db, other.key)('/api/v1/tenant')).status).toBe(200)
  })
})

describe('security of /api/v1/api-keys', () => {
  const routes = (id: string) =>
    [
      ['POST', '/api/v1/api-keys', { name: 'k', role: 'viewer' }],
      ['GET', '/api/v1/api-keys', undefined],
      ['DELETE', `/api/v1/api-keys/${id}`, undefined],
    ] as const

  it('needs authentication', async () => {
    for (const [method, path] of routes(newId('key'))) {
      expect((await callWorker(db.env, path, { method })).status, `${method} ${path}`).toBe(401)
    }
  })

  it('is for owners and admins: analysts, viewers and operators get 403', async () => {
    const tenant = await createTenant(db)
    const key = await createKey((await signIn(tenant.tenantId, 'owner')).call)
    const operator = await createOperator(db)
    const callers = [
      (await signIn(tenant.tenantId, 'analyst')).call,
      (await signIn(tenant.tenantId, 'viewer')).call,
      as(db, (await login(db, operator.email)).access_token),
    ]
    for (const call of callers) {
      for (const [method, path, json] of routes(key.id)) {
        const response = await call(path, { method, json })
        expect(response.status, `${method} ${path}`).toBe(403)
        expect(await errorCode(response)).toBe('FORBIDDEN')
      }
    }
    expect((await as(db, key.key)('/api/v1/tenant')).status).toBe(200)
  })

  it('answers 404 for another tenant’s key, which keeps working', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    const ownerA = await signIn(a.tenantId, 'owner')
    const keyB = await createKey((await signIn(b.tenantId, 'owner')).call)
    const response = await ownerA.call(`/api/v1/api-keys/${keyB.id}`, { method: 'DELETE' })
    expect(response.status).toBe(404)
    expect(await errorCode(response)).toBe('NOT_FOUND')
    expect((await ownerA.call(`/api/v1/api-keys/${newId('key')}`, { method: 'DELETE' })).status).toBe(404)
    expect((await ownerA.call('/api/v1/api-keys/key_nope', { method: 'DELETE' })).status).toBe(400)
    expect((await as(db, keyB.key)('/api/v1/tenant')).status).toBe(200)
    expect((await listKeys(ownerA.call)).data).toEqual([])
  })
})
