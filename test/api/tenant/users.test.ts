import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import {
  as,
  createMember,
  createOperator,
  createTenant,
  errorCode,
  login,
  PASSWORD,
} from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type Role = 'owner' | 'admin' | 'analyst' | 'viewer'
type User = { id: string; email: string; name: string; role: Role; status: string }

const signIn = async (tenantId: string, role: Role) => {
  const member = await createMember(db, tenantId, role)
  return { ...member, call: as(db, (await login(db, member.email)).access_token) }
}

const newMember = (role: Role = 'analyst') => ({
  email: `new-${crypto.randomUUID().slice(0, 8)}@example.test`,
  name: 'New Person',
  role,
  password: 'a long enough passphrase',
})

const auditOf = (targetId: string) =>
  db.owner<{ action: string; actor_id: string; tenant_id: string; data: Record<string, unknown> }>(
    "select action, actor_id, tenant_id, data from audit_log where target_id = $1 and action like 'user.%' order by created_at",
    [targetId],
  )

const userRow = async (id: string) =>
  (
    await db.owner<{ role: string; status: string; name: string }>(
      'select role, status, name from users where id = $1',
      [id],
    )
  )[0]

describe('GET /api/v1/users', () => {
  it('lists the own team page by page, oldest first, without password hashes', async () => {
    const tenant = await createTenant(db)
    const other = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const ids = [owner.id]
    for (const role of ['admin', 'analyst', 'viewer', 'viewer'] as const) {
      ids.push((await createMember(db, tenant.tenantId, role)).id)
    }
    await createMember(db, other.tenantId, 'owner')
    const seen: User[] = []
    let cursor: string | null = null
    do {
      const response = await owner.call(`/api/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(response.status).toBe(200)
      const page = (await response.json()) as { data: User[]; next_cursor: string | null }
      expect(page.data.length).toBeLessThanOrEqual(2)
      seen.push(...page.data)
      cursor = page.next_cursor
    } while (cursor)
    expect(seen.map((u) => u.id)).toEqual(ids)
    expect(seen[0]).toMatchObject({ email: owner.email, role: 'owner', status: 'active' })
    expect(JSON.stringify(seen)).not.toMatch(/password|pbkdf2/)
  })

  it('filters by status and rejects a bad cursor or limit', async () => {
    const tenant = await createTenant(db)
    const admin = await signIn(tenant.tenantId, 'admin')
    const gone = await createMember(db, tenant.tenantId, 'viewer', { status: 'deactivated' })
    const page = (await (await admin.call('/api/v1/users?status=deactivated')).json()) as { data: User[] }
    expect(page.data.map((u) => u.id)).toEqual([gone.id])
    for (const query of ['cursor=nonsense', 'limit=0', 'limit=101', 'status=gone']) {
      const response = await admin.call(`/api/v1/users?${query}`)
      expect(response.status, query).toBe(400)
      expect(await errorCode(response)).toBe('VALIDATION_FAILED')
    }
  })
})

describe('POST /api/v1/users', () => {
  it('creates a member who can sign in, audited without the password', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const input = newMember('analyst')
    const response = await owner.call('/api/v1/users', {
      method: 'POST',
      json: { ...input, email: input.email.toUpperCase() },
    })
    expect(response.status).toBe(201)
    const user = (await response.json()) as User & Record<string, unknown>
    expect(user).toMatchObject({ email: input.email, name: 'New Person', role: 'analyst', status: 'active' })
    expect(user.id).toMatch(/^usr_/)
    expect(user).not.toHaveProperty('password_hash')
    const tokens = await login(db, input.email, input.password)
    const me = (await (await as(db, tokens.access_token)('/api/v1/auth/me')).json()) as {
      tenant: { id: string }
    }
    expect(me.tenant.id).toBe(tenant.tenantId)
    const audit = await auditOf(user.id)
    expect(audit).toEqual([
      { action: 'user.created', actor_id: owner.id, tenant_id: tenant.tenantId, data: { role: 'analyst' } },
    ])
    expect(JSON.stringify(audit)).not.toContain(input.password)
  })

  it('names every invalid field', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const response = await owner.call('/api/v1/users', {
      method: 'POST',
      json: { email: 'not-an-email', name: '', role: 'operator', password: 'short' },
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { code: string; fields: { path: string }[] } }
    expect(body.error.code).toBe('VALIDATION_FAILED')
    expect(body.error.fields.map((f) => f.path).sort()).toEqual([
      'json.email',
      'json.name',
      'json.password',
      'json.role',
    ])
  })

  it('answers 409 EMAIL_TAKEN for a member of another tenant or an operator, in any case', async () => {
    const tenant = await createTenant(db)
    const other = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const elsewhere = await createMember(db, other.tenantId, 'viewer')
    const operator = await createOperator(db)
    for (const email of [elsewhere.email.toUpperCase(), operator.email, owner.email]) {
      const response = await owner.call('/api/v1/users', { method: 'POST', json: { ...newMember(), email } })
      expect(response.status, email).toBe(409)
      expect(await errorCode(response)).toBe('EMAIL_TAKEN')
    }
    const [count] = await db.owner<{ n: number }>(
      'select count(*)::int as n from users where tenant_id = $1',
      [tenant.tenantId],
    )
    expect(count?.n).toBe(1)
  })

  it('stops at the plan users limit, counting active members only', async () => {
    const tenant = await createTenant(db, { usersLimit: 2 })
    const owner = await signIn(tenant.tenantId, 'owner')
    await createMember(db, tenant.tenantId, 'viewer', { status: 'deactivated' })
    const first = await owner.call('/api/v1/users', { method: 'POST', json: newMember() })
    expect(first.status).toBe(201)
    const second = await owner.call('/api/v1/users', { method: 'POST', json: newMember() })
    expect(second.status).toBe(403)
    expect(await errorCode(second)).toBe('USERS_LIMIT_REACHED')
  })

  it('holds the limit under concurrent creates: exactly one of two gets the last seat', async () => {
    const tenant = await createTenant(db, { usersLimit: 2 })
    const owner = await signIn(tenant.tenantId, 'owner')
    const answers = await Promise.all([
      owner.call('/api/v1/users', { method: 'POST', json: newMember() }),
      owner.call('/api/v1/users', { method: 'POST', json: newMember() }),
    ])
    expect(answers.map((r) => r.status).sort()).toEqual([201, 403])
    const [count] = await db.owner<{ n: number }>(
      "select count(*)::int as n from users where tenant_id = $1 and status = 'active'",
      [tenant.tenantId],
    )
    expect(count?.n).toBe(2)
  })

  it('lets only an owner create an owner', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const admin = await signIn(tenant.tenantId, 'admin')
    const refused = await admin.call('/api/v1/users', { method: 'POST', json: newMember('owner') })
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('FORBIDDEN')
    expect((await admin.call('/api/v1/users', { method: 'POST', json: newMember('admin') })).status).toBe(201)
    expect((await owner.call('/api/v1/users', { method: 'POST', json: newMember('owner') })).status).toBe(201)
  })
})

describe('PATCH /api/v1/users/:id', () => {
  it('changes a role, audited with from and to', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const analyst = await createMember(db, tenant.tenantId, 'analyst')
    const response = await owner.call(`/api/v1/users/${analyst.id}`, {
      method: 'PATCH',
      json: { role: 'admin' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ id: analyst.id, role: 'admin' })
    expect((await userRow(analyst.id))?.role).toBe('admin')
    expect(await auditOf(analyst.id)).toEqual([
      {
        action: 'user.role_changed',
        actor_id: owner.id,
        tenant_id: tenant.tenantId,
        data: { from: 'analyst', to: 'admin', ended_sessions: 0 },
      },
    ])
  })

  it('renames, and a lowered role ends the member’s sessions at once', async () => {
    const tenant = await createTenant(db)
    const admin = await signIn(tenant.tenantId, 'admin')
    const analyst = await signIn(tenant.tenantId, 'analyst')
    const response = await admin.call(`/api/v1/users/${analyst.id}`, {
      method: 'PATCH',
      json: { role: 'viewer', name: '  Renamed  ' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ role: 'viewer', name: 'Renamed' })
    expect((await analyst.call('/api/v1/auth/me')).status).toBe(401)
    // One transaction, one created_at: compare in a fixed order.
    const audit = (await auditOf(analyst.id)).sort((x, y) => x.action.localeCompare(y.action))
    expect(audit.map((a) => [a.action, a.data])).toEqual([
      ['user.role_changed', { from: 'analyst', to: 'viewer', ended_sessions: 1 }],
      ['user.updated', { fields: ['name'] }],
    ])
  })

  it('keeps an admin away from owners and the owner role', async () => {
    const tenant = await createTenant(db)
    const admin = await signIn(tenant.tenantId, 'admin')
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    for (const [id, json] of [
      [owner.id, { name: 'Nope' }],
      [owner.id, { role: 'viewer' }],
      [viewer.id, { role: 'owner' }],
      [admin.id, { role: 'owner' }],
    ] as const) {
      const response = await admin.call(`/api/v1/users/${id}`, { method: 'PATCH', json })
      expect(response.status, JSON.stringify(json)).toBe(403)
      expect(await errorCode(response)).toBe('FORBIDDEN')
    }
    expect((await userRow(owner.id))?.role).toBe('owner')
    expect((await userRow(viewer.id))?.role).toBe('viewer')
    expect(
      (await admin.call(`/api/v1/users/${viewer.id}`, { method: 'PATCH', json: { role: 'admin' } })).status,
    ).toBe(200)
  })

  it('refuses to demote the last active owner (409 LAST_OWNER), but not one of two', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    await createMember(db, tenant.tenantId, 'owner', { status: 'deactivated' })
    const alone = await owner.call(`/api/v1/users/${owner.id}`, { method: 'PATCH', json: { role: 'admin' } })
    expect(alone.status).toBe(409)
    expect(await errorCode(alone)).toBe('LAST_OWNER')
    expect((await userRow(owner.id))?.role).toBe('owner')
    const second = await createMember(db, tenant.tenantId, 'owner')
    const demoted = await owner.call(`/api/v1/users/${second.id}`, {
      method: 'PATCH',
      json: { role: 'admin' },
    })
    expect(demoted.status).toBe(200)
    expect((await userRow(second.id))?.role).toBe('admin')
  })

  it('validates the id and the body', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const badId = await owner.call('/api/v1/users/usr_nope', { method: 'PATCH', json: { name: 'x' } })
    expect(badId.status).toBe(400)
    const empty = await owner.call(`/api/v1/users/${owner.id}`, { method: 'PATCH', json: {} })
    expect(empty.status).toBe(400)
    expect(await errorCode(empty)).toBe('VALIDATION_FAILED')
    const badRole = await owner.call(`/api/v1/users/${owner.id}`, { method: 'PATCH', json: { role: 'root' } })
    const body = (await badRole.json()) as { error: { fields: { path: string }[] } }
    expect(body.error.fields.map((f) => f.path)).toEqual(['json.role'])
  })
})

describe('deactivate and reactivate', () => {
  it('deactivating ends the member’s sessions and sign-in, once, audited', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const analyst = await signIn(tenant.tenantId, 'analyst')
    const response = await owner.call(`/api/v1/users/${analyst.id}/deactivate`, { method: 'POST' })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ id: analyst.id, status: 'deactivated' })
    expect((await analyst.call('/api/v1/auth/me')).status).toBe(401)
    await expect(login(db, analyst.email)).rejects.toThrow(/401/)
    // A second call changes nothing and writes no second audit row.
    expect((await owner.call(`/api/v1/users/${analyst.id}/deactivate`, { method: 'POST' })).status).toBe(200)
    expect((await auditOf(analyst.id)).map((a) => [a.action, a.actor_id, a.data])).toEqual([
      ['user.deactivated', owner.id, { ended_sessions: 1 }],
    ])
  })

  it('nobody deactivates the last active owner, not even themselves', async () => {
    const tenant = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const response = await owner.call(`/api/v1/users/${owner.id}/deactivate`, { method: 'POST' })
    expect(response.status).toBe(409)
    expect(await errorCode(response)).toBe('LAST_OWNER')
    expect((await userRow(owner.id))?.status).toBe('active')
    expect((await owner.call('/api/v1/auth/me')).status).toBe(200)
  })

  it('two owners deactivating each other at once leave one owner standing', async () => {
    const tenant = await createTenant(db)
    const a = await signIn(tenant.tenantId, 'owner')
    const b = await signIn(tenant.tenantId, 'owner')
    const answers = await Promise.all([
      a.call(`/api/v1/users/${b.id}/deactivate`, { method: 'POST' }),
      b.call(`/api/v1/users/${a.id}/deactivate`, { method: 'POST' }),
    ])
    const statuses = answers.map((r) => r.status)
    // The loser finds its own caller deactivated (401) or meets LAST_OWNER (409).
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    const [owners] = await db.owner<{ n: number }>(
      "select count(*)::int as n from users where tenant_id = $1 and role = 'owner' and status = 'active'",
      [tenant.tenantId],
    )
    expect(owners?.n).toBe(1)
  })

  it('an admin cannot deactivate or reactivate an owner', async () => {
    const tenant = await createTenant(db)
    const admin = await signIn(tenant.tenantId, 'admin')
    const owner = await createMember(db, tenant.tenantId, 'owner')
    await createMember(db, tenant.tenantId, 'owner')
    const gone = await createMember(db, tenant.tenantId, 'owner', { status: 'deactivated' })
    for (const path of [`${owner.id}/deactivate`, `${gone.id}/reactivate`]) {
      const response = await admin.call(`/api/v1/users/${path}`, { method: 'POST' })
      expect(response.status, path).toBe(403)
    }
    expect((await userRow(owner.id))?.status).toBe('active')
    expect((await userRow(gone.id))?.status).toBe('deactivated')
  })

  it('reactivates within the users limit only', async () => {
    const tenant = await createTenant(db, { usersLimit: 2 })
    const owner = await signIn(tenant.tenantId, 'owner')
    const a = await createMember(db, tenant.tenantId, 'viewer', { status: 'deactivated' })
    const b = await createMember(db, tenant.tenantId, 'viewer', { status: 'deactivated' })
    const first = await owner.call(`/api/v1/users/${a.id}/reactivate`, { method: 'POST' })
    expect(first.status).toBe(200)
    expect(await first.json()).toMatchObject({ status: 'active' })
    await login(db, a.email, PASSWORD)
    const second = await owner.call(`/api/v1/users/${b.id}/reactivate`, { method: 'POST' })
    expect(second.status).toBe(403)
    expect(await errorCode(second)).toBe('USERS_LIMIT_REACHED')
    expect((await userRow(b.id))?.status).toBe('deactivated')
    expect((await auditOf(a.id)).map((r) => r.action)).toEqual(['user.reactivated'])
  })
})

describe('security of /api/v1/users', () => {
  const routes = (id: string) =>
    [
      ['GET', '/api/v1/users', undefined],
      ['POST', '/api/v1/users', newMember()],
      ['PATCH', `/api/v1/users/${id}`, { name: 'Changed' }],
      ['POST', `/api/v1/users/${id}/deactivate`, undefined],
      ['POST', `/api/v1/users/${id}/reactivate`, undefined],
    ] as const

  it('needs authentication', async () => {
    for (const [method, path] of routes(newId('usr'))) {
      const response = await callWorker(db.env, path, { method })
      expect(response.status, `${method} ${path}`).toBe(401)
    }
  })

  it('is for owners and admins: analysts, viewers and operators get 403', async () => {
    const tenant = await createTenant(db)
    const target = await createMember(db, tenant.tenantId, 'viewer')
    const operator = await createOperator(db)
    const callers = [
      (await signIn(tenant.tenantId, 'analyst')).call,
      (await signIn(tenant.tenantId, 'viewer')).call,
      as(db, (await login(db, operator.email)).access_token),
    ]
    for (const call of callers) {
      for (const [method, path, json] of routes(target.id)) {
        const response = await call(path, { method, json })
        expect(response.status, `${method} ${path}`).toBe(403)
        expect(await errorCode(response)).toBe('FORBIDDEN')
      }
    }
    expect(await userRow(target.id)).toMatchObject({ status: 'active', name: 'viewer user' })
  })

  it('refuses API keys, even admin ones, whether the id is theirs or not', async () => {
    const tenant = await createTenant(db)
    const other = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const ours = await createMember(db, tenant.tenantId, 'viewer')
    const theirs = await createMember(db, other.tenantId, 'viewer')
    const created = await owner.call('/api/v1/api-keys', {
      method: 'POST',
      json: { name: 'bot', role: 'admin' },
    })
    const key = as(db, ((await created.json()) as { key: string }).key)
    for (const id of [ours.id, theirs.id]) {
      for (const [method, path, json] of routes(id)) {
        const response = await key(path, { method, json })
        expect(response.status, `${method} ${path}`).toBe(403)
        expect(await errorCode(response)).toBe('FORBIDDEN')
      }
    }
  })

  it('acts on the caller’s current role and status, not on what the access token says', async () => {
    const tenant = await createTenant(db)
    const admin = await signIn(tenant.tenantId, 'admin')
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    // Changed behind the token's back (as a concurrent request would): the token still says admin.
    await db.owner("update users set role = 'analyst' where id = $1", [admin.id])
    const demoted = await admin.call(`/api/v1/users/${viewer.id}/deactivate`, { method: 'POST' })
    expect(demoted.status).toBe(403)
    await db.owner("update users set role = 'admin', status = 'deactivated' where id = $1", [admin.id])
    const gone = await admin.call(`/api/v1/users/${viewer.id}/deactivate`, { method: 'POST' })
    expect(gone.status).toBe(401)
    expect(await errorCode(gone)).toBe('SESSION_ENDED')
    expect((await userRow(viewer.id))?.status).toBe('active')
  })

  it('answers 404 for another tenant’s member, changing nothing', async () => {
    const tenant = await createTenant(db)
    const other = await createTenant(db)
    const owner = await signIn(tenant.tenantId, 'owner')
    const theirs = await createMember(db, other.tenantId, 'analyst')
    for (const [method, path, json] of routes(theirs.id).slice(2)) {
      const response = await owner.call(path, { method, json })
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(await errorCode(response)).toBe('NOT_FOUND')
    }
    expect(await userRow(theirs.id)).toMatchObject({ status: 'active', name: 'analyst user' })
  })
})
