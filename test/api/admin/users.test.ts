import { beforeAll, describe, expect, it } from 'vitest'
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
let admin: ReturnType<typeof as>
let operator: { id: string; email: string }
beforeAll(async () => {
  db = await createTestDatabase()
  operator = await createOperator(db)
  admin = as(db, (await login(db, operator.email)).access_token)
})

type User = { id: string; tenant_id: string; email: string; name: string; role: string; status: string }
type FieldErrors = { error: { code: string; fields: { path: string }[] } }

const NEW_PASSWORD = 'a long enough passphrase'
const unique = () => crypto.randomUUID().slice(0, 8)

const fieldPaths = async (response: Response) =>
  ((await response.json()) as FieldErrors).error.fields.map((field) => field.path).sort()

const auditOf = (targetId: string) =>
  db.owner<{ action: string; actor_id: string; tenant_id: string | null; data: Record<string, unknown> }>(
    'select action, actor_id, tenant_id, data from audit_log where target_id = $1 order by created_at, id',
    [targetId],
  )

const addUser = (tenantId: string, json: Record<string, unknown>) =>
  admin(`/api/v1/admin/tenants/${tenantId}/users`, {
    method: 'POST',
    json: {
      email: `new-${unique()}@example.test`,
      name: 'New Person',
      role: 'analyst',
      password: NEW_PASSWORD,
      ...json,
    },
  })

const signIn = (email: string, password: string) =>
  callWorker(db.env, '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })

describe('POST /api/v1/admin/tenants/:id/users', () => {
  it('adds a member who can sign in; the response and the audit carry no password', async () => {
    const fixture = await createTenant(db)
    const email = `Owner-${unique()}@Example.TEST`
    const response = await addUser(fixture.tenantId, { email, role: 'owner', name: 'Olivia Owner' })
    expect(response.status).toBe(201)
    const text = await response.text()
    const user = JSON.parse(text) as User
    expect(user).toMatchObject({
      tenant_id: fixture.tenantId,
      email: email.toLowerCase(),
      name: 'Olivia Owner',
      role: 'owner',
      status: 'active',
    })
    expect(text).not.toMatch(/password/i)
    expect((await signIn(email, NEW_PASSWORD)).status).toBe(200)
    const audit = await auditOf(user.id)
    expect(audit).toEqual([
      { action: 'user.created', actor_id: operator.id, tenant_id: fixture.tenantId, data: { role: 'owner' } },
    ])
    expect(JSON.stringify(audit)).not.toContain(NEW_PASSWORD)
  })

  it('answers 409 EMAIL_TAKEN for an e-mail of any member or operator, in any case', async () => {
    const fixture = await createTenant(db)
    const elsewhere = await createTenant(db)
    const member = await createMember(db, elsewhere.tenantId, 'viewer')
    for (const email of [member.email.toUpperCase(), operator.email]) {
      const response = await addUser(fixture.tenantId, { email })
      expect(response.status, email).toBe(409)
      expect(await errorCode(response)).toBe('EMAIL_TAKEN')
    }
    expect(await db.owner('select id from users where tenant_id = $1', [fixture.tenantId])).toEqual([])
  })

  it('keeps active members within the plan’s users limit (403 USERS_LIMIT_REACHED)', async () => {
    const fixture = await createTenant(db, { usersLimit: 2 })
    await createMember(db, fixture.tenantId, 'owner')
    await createMember(db, fixture.tenantId, 'viewer', { status: 'deactivated' })
    expect((await addUser(fixture.tenantId, {})).status).toBe(201)
    const full = await addUser(fixture.tenantId, {})
    expect(full.status).toBe(403)
    expect(await errorCode(full)).toBe('USERS_LIMIT_REACHED')
    const [count] = await db.owner<{ n: number }>(
      "select count(*)::int as n from users where tenant_id = $1 and status = 'active'",
      [fixture.tenantId],
    )
    expect(count?.n).toBe(2)
  })

  it('gives the last seat to only one of two concurrent additions', async () => {
    const fixture = await createTenant(db, { usersLimit: 1 })
    const answers = await Promise.all([addUser(fixture.tenantId, {}), addUser(fixture.tenantId, {})])
    expect(answers.map((r) => r.status).sort()).toEqual([201, 403])
  })

  it('names invalid fields', async () => {
    const fixture = await createTenant(db)
    const response = await addUser(fixture.tenantId, {
      email: 'not-an-email',
      role: 'operator',
      password: 'short',
    })
    expect(response.status).toBe(400)
    expect(await fieldPaths(response)).toEqual(['json.email', 'json.password', 'json.role'])
  })

  it('answers 404 for an unknown tenant, 409 for a deleted one, 403 for one without a license (no seats)', async () => {
    expect((await addUser('ten_00000000000000000000', {})).status).toBe(404)
    const deleted = await createTenant(db, { tenantStatus: 'deleted' })
    const refused = await addUser(deleted.tenantId, {})
    expect(refused.status).toBe(409)
    expect(await errorCode(refused)).toBe('TENANT_DELETED')
    const bare = await createTenant(db)
    await db.owner('delete from licenses where tenant_id = $1', [bare.tenantId])
    const unlicensed = await addUser(bare.tenantId, {})
    expect(unlicensed.status).toBe(403)
    expect(await errorCode(unlicensed)).toBe('USERS_LIMIT_REACHED')
  })
})

describe('GET /api/v1/admin/tenants/:id/users', () => {
  it('lists that tenant’s members only, newest first, filtered and paged', async () => {
    const fixture = await createTenant(db)
    const other = await createTenant(db)
    const first = await createMember(db, fixture.tenantId, 'owner')
    const second = await createMember(db, fixture.tenantId, 'viewer', { status: 'deactivated' })
    await createMember(db, other.tenantId, 'owner')
    const response = await admin(`/api/v1/admin/tenants/${fixture.tenantId}/users?limit=1`)
    expect(response.status).toBe(200)
    const page1 = (await response.json()) as { data: User[]; next_cursor: string }
    expect(page1.data.map((u) => u.id)).toEqual([second.id])
    expect(JSON.stringify(page1)).not.toMatch(/password/i)
    const page2 = (await (
      await admin(`/api/v1/admin/tenants/${fixture.tenantId}/users?limit=1&cursor=${page1.next_cursor}`)
    ).json()) as { data: User[]; next_cursor: string | null }
    expect(page2).toEqual({
      data: [expect.objectContaining({ id: first.id, role: 'owner' })],
      next_cursor: null,
    })
    const active = (await (
      await admin(`/api/v1/admin/tenants/${fixture.tenantId}/users?status=active`)
    ).json()) as {
      data: User[]
    }
    expect(active.data.map((u) => u.id)).toEqual([first.id])
  })

  it('answers 404 for an unknown tenant and 400 for a bad filter', async () => {
    expect((await admin('/api/v1/admin/tenants/ten_00000000000000000000/users')).status).toBe(404)
    const fixture = await createTenant(db)
    const bad = await admin(`/api/v1/admin/tenants/${fixture.tenantId}/users?status=gone`)
    expect(await fieldPaths(bad)).toEqual(['query.status'])
  })
})

describe('POST /api/v1/admin/users/:id/deactivate', () => {
  it('deactivates and ends every session at once', async () => {
    const fixture = await createTenant(db)
    const member = await createMember(db, fixture.tenantId, 'admin')
    const [a, b] = [await login(db, member.email), await login(db, member.email)]
    const response = await admin(`/api/v1/admin/users/${member.id}/deactivate`, { method: 'POST' })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ id: member.id, status: 'deactivated' })
    for (const tokens of [a, b]) {
      const me = await as(db, tokens.access_token)('/api/v1/auth/me')
      expect(me.status).toBe(401)
    }
    const sessions = await db.owner<{ revoked_reason: string }>(
      'select revoked_reason from sessions where user_id = $1',
      [member.id],
    )
    expect(sessions.map((s) => s.revoked_reason)).toEqual(['user_deactivated', 'user_deactivated'])
    expect((await signIn(member.email, PASSWORD)).status).toBe(401)
    expect(await auditOf(member.id)).toContainEqual({
      action: 'user.deactivated',
      actor_id: operator.id,
      tenant_id: fixture.tenantId,
      data: { ended_sessions: 2 },
    })
    const again = await admin(`/api/v1/admin/users/${member.id}/deactivate`, { method: 'POST' })
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('INVALID_TRANSITION')
  })

  it('answers 404 for an unknown user and 400 for a malformed id', async () => {
    expect(
      (await admin('/api/v1/admin/users/usr_00000000000000000000/deactivate', { method: 'POST' })).status,
    ).toBe(404)
    expect((await admin(`/api/v1/admin/users/${operator.id}/deactivate`, { method: 'POST' })).status).toBe(
      400,
    )
  })
})

describe('POST /api/v1/admin/users/:id/password-reset', () => {
  it('returns a temporary password once, ends sessions, audits without the password', async () => {
    const fixture = await createTenant(db)
    const member = await createMember(db, fixture.tenantId, 'owner')
    const old = await login(db, member.email)
    const response = await admin(`/api/v1/admin/users/${member.id}/password-reset`, { method: 'POST' })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as {
      user_id: string
      temporary_password: string
      ended_sessions: number
    }
    expect(body).toMatchObject({ user_id: member.id, ended_sessions: 1 })
    expect(body.temporary_password).toMatch(/^[A-Za-z0-9_-]{24}$/)

    expect((await as(db, old.access_token)('/api/v1/auth/me')).status).toBe(401)
    expect((await signIn(member.email, PASSWORD)).status).toBe(401)
    expect((await signIn(member.email, body.temporary_password)).status).toBe(200)

    const audit = await db.owner<Record<string, unknown>>('select * from audit_log where target_id = $1', [
      member.id,
    ])
    expect(audit.map((row) => row.action)).toContain('user.password_reset')
    expect(JSON.stringify(audit)).not.toContain(body.temporary_password)
    const [row] = await db.owner<{ password_hash: string }>('select password_hash from users where id = $1', [
      member.id,
    ])
    expect(row?.password_hash).not.toContain(body.temporary_password)
  })

  it('gives a different password each time', async () => {
    const fixture = await createTenant(db)
    const member = await createMember(db, fixture.tenantId, 'viewer')
    const reset = async () =>
      (
        (await (
          await admin(`/api/v1/admin/users/${member.id}/password-reset`, { method: 'POST' })
        ).json()) as {
          temporary_password: string
        }
      ).temporary_password
    expect(await reset()).not.toBe(await reset())
  })

  it('refuses deactivated and unknown users', async () => {
    const fixture = await createTenant(db)
    const gone = await createMember(db, fixture.tenantId, 'viewer', { status: 'deactivated' })
    const refused = await admin(`/api/v1/admin/users/${gone.id}/password-reset`, { method: 'POST' })
    expect(refused.status).toBe(409)
    expect(await errorCode(refused)).toBe('USER_DEACTIVATED')
    expect(
      (await admin('/api/v1/admin/users/usr_00000000000000000000/password-reset', { method: 'POST' })).status,
    ).toBe(404)
  })
})
