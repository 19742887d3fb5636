import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type Role = 'owner' | 'admin' | 'analyst' | 'viewer'
type Row = { id: string; action: string; actor_id: string | null; created_at: string; data: unknown }
type Page = { data: Row[]; next_cursor: string | null }

const signIn = async (tenantId: string, role: Role) => {
  const member = await createMember(db, tenantId, role)
  return { ...member, call: as(db, (await login(db, member.email)).access_token) }
}

/** Audit rows written straight into the table, with the timestamps a test needs. */
const seed = async (tenantId: string, rows: { action: string; actorId?: string; at: string }[]) => {
  const ids: string[] = []
  for (const row of rows) {
    const id = newId('aud')
    ids.push(id)
    await db.owner(
      `insert into audit_log (id, tenant_id, actor_type, actor_id, action, data, created_at)
       values ($1, $2, 'member', $3, $4, $5, $6)`,
      [id, tenantId, row.actorId ?? 'usr_seeded', row.action, JSON.stringify({ fooBar: 1 }), row.at],
    )
  }
  return ids
}

const readAll = async (call: ReturnType<typeof as>, query: string) => {
  const rows: Row[] = []
  let cursor: string | null = null
  do {
    const response = await call(`/api/v1/audit?${query}${cursor ? `&cursor=${cursor}` : ''}`)
    expect(response.status).toBe(200)
    const page = (await response.json()) as Page
    rows.push(...page.data)
    cursor = page.next_cursor
  } while (cursor)
  return rows
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
    const page = (await response.json()) as Page & { data: Record<string, unknown>[] }
    expect(page.data.map((r) => r.action)).toEqual(['api_key.created', 'auth.login'])
    expect(page.data[0]).toMatchObject({
      actor_type: 'member',
      actor_id: owner.id,
      target_type: 'api_key',
      target_id: keyId,
      data: { name: 'a', role: 'viewer' },
      request_id: expect.any(String),
    })
    expect(JSON.stringify(page)).not.toContain(ownerB.id)
  })

  it('pages through rows that share a timestamp without losing or repeating any', async () => {
    const tenant = await createTenant(db)
    const admin = await signIn(tenant.tenantId, 'admin')
    const same = '2026-01-01T00:00:00.123456Z'
    const ids = await seed(tenant.tenantId, [
      ...Array.from({ length: 5 }, () => ({ action: 'seed.same', at: same })),
      { action: 'seed.same', at: '2026-01-01T00:00:00.123457Z' },
      { action: 'seed.same', at: '2026-01-01T00:00:00.123455Z' },
    ])
    const rows = await readAll(admin.call, 'limit=2&action=seed.')
    expect(rows).toHaveLength(7)
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids))
    expect(rows[0]?.id).toBe(ids[5])
    expect(rows[6]?.id).toBe(ids[6])
    const tied = rows.slice(1, 6).map((r) => r.id)
    expect(tied).toEqual([...tied].sort().reverse())
    // The JSON details are returned as written, not re-cased.
    expect(rows[0]?.data).toEqual({ fooBar: 1 })
  })

  it('filters by action prefix, actor and time window (from inclusive, to exclusive)', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const [early, middle, late, other] = await seed(tenant.tenantId, [
      { action: 'user.created', actorId: 'usr_aaaaaaaaaaaaaaaaaaaa', at: '2026-02-01T00:00:00Z' },
      { action: 'user.role_changed', actorId: 'usr_aaaaaaaaaaaaaaaaaaaa', at: '2026-02-02T00:00:00Z' },
      { action: 'user.deactivated', actorId: 'usr_bbbbbbbbbbbbbbbbbbbb', at: '2026-02-03T00:00:00Z' },
      { action: 'users_export.ran', actorId: 'usr_aaaaaaaaaaaaaaaaaaaa', at: '2026-02-02T12:00:00Z' },
    ])
    const ids = async (query: string) => (await readAll(owner.call, query)).map((r) => r.id)
    expect(await ids('action=user.')).toEqual([late, middle, early])
    expect(await ids('action=user.&actor_id=usr_aaaaaaaaaaaaaaaaaaaa')).toEqual([middle, early])
    expect(await ids('action=user&from=2026-02-02T00:00:00Z&to=2026-02-03T00:00:00Z')).toEqual([
      other,
      middle,
    ])
    // `%` and `_` are not wildcards.
    expect(await ids('action=user_')).toEqual([])
    expect(await ids('action=users_')).toEqual([other])
    expect(await ids('action=%25')).toEqual([])
  })

  it('names invalid query fields', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    for (const [query, path] of [
      ['from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z', 'query.to'],
      ['from=yesterday', 'query.from'],
      ['limit=500', 'query.limit'],
      ['cursor=abc', 'query.cursor'],
      [`cursor=${btoa(JSON.stringify(['not a time', 'aud_x']))}`, 'query.cursor'],
    ] as const) {
      const response = await owner.call(`/api/v1/audit?${query}`)
      expect(response.status, query).toBe(400)
      const body = (await response.json()) as { error: { code: string; fields: { path: string }[] } }
      expect(body.error.code).toBe('VALIDATION_FAILED')
      expect(body.error.fields.map((f) => f.path)).toContain(path)
    }
  })

  it('is readable by an admin API key of the tenant, for its own tenant only', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    const owner = await signIn(a.tenantId, 'owner')
    const [ours] = await seed(a.tenantId, [{ action: 'seed.a', at: '2026-03-01T00:00:00Z' }])
    const [theirs] = await seed(b.tenantId, [{ action: 'seed.b', at: '2026-03-01T00:00:00Z' }])
    const created = await owner.call('/api/v1/api-keys', {
      method: 'POST',
      json: { name: 'siem', role: 'admin' },
    })
    const key = as(db, ((await created.json()) as { key: string }).key)
    const rows = await readAll(key, 'action=seed.')
    expect(rows.map((r) => r.id)).toEqual([ours])
    expect(JSON.stringify(await readAll(key, 'limit=100'))).not.toContain(theirs)
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
