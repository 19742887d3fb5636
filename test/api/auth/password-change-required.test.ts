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
let operator: ReturnType<typeof as>
beforeAll(async () => {
  db = await createTestDatabase()
  operator = as(db, (await login(db, (await createOperator(db)).email)).access_token)
})

const OWN_PASSWORD = 'a password of my very own'

type Signed = { access_token: string; refresh_token: string; password_change_required?: boolean }
async function signIn(email: string, password: string): Promise<Signed> {
  const response = await callWorker(db.env, '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.40' },
    body: JSON.stringify({ email, password }),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as Signed
}

/** An operator resets the member's password; answers the temporary one. */
async function operatorReset(userId: string): Promise<string> {
  const response = await operator(`/api/v1/admin/users/${userId}/password-reset`, { method: 'POST' })
  expect(response.status).toBe(200)
  return ((await response.json()) as { temporary_password: string }).temporary_password
}

describe('a password someone else set must be changed at the next sign-in', () => {
  it('after an operator reset, the session can only say who it is, sign out and change the password', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const temporary = await operatorReset(owner.id)

    const signed = await signIn(owner.email, temporary)
    expect(signed.password_change_required).toBe(true)
    const call = as(db, signed.access_token)
    for (const path of ['/api/v1/users', '/api/v1/tenant', '/api/v1/auth/sessions']) {
      const refused = await call(path)
      expect(refused.status).toBe(403)
      expect(await errorCode(refused)).toBe('PASSWORD_CHANGE_REQUIRED')
    }
    // An invalid body on a refused route is refused the same way, not described by a 400.
    const invalid = await call('/api/v1/users', { method: 'POST', json: { email: 'nope' } })
    expect(await errorCode(invalid)).toBe('PASSWORD_CHANGE_REQUIRED')
    expect((await call('/api/v1/auth/me')).status).toBe(200)

    // The change route still validates, then takes the temporary password as the current one.
    const short = await call('/api/v1/auth/password', {
      method: 'POST',
      json: { current_password: temporary, new_password: 'short' },
    })
    expect(short.status).toBe(400)
    const changed = await call('/api/v1/auth/password', {
      method: 'POST',
      json: { current_password: temporary, new_password: OWN_PASSWORD },
    })
    expect(changed.status).toBe(200)
    expect((await call('/api/v1/users')).status).toBe(200)

    // The next sign-in is free of it.
    const next = await signIn(owner.email, OWN_PASSWORD)
    expect(next.password_change_required).toBe(false)
    expect((await as(db, next.access_token)('/api/v1/tenant')).status).toBe(200)
  })

  it('holds for a refreshed token of the same session, and sign-out works', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'analyst')
    const signed = await signIn(member.email, await operatorReset(member.id))
    const refreshed = await callWorker(db.env, '/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: signed.refresh_token }),
    })
    const pair = (await refreshed.json()) as Signed
    expect(await errorCode(await as(db, pair.access_token)('/api/v1/tenant'))).toBe(
      'PASSWORD_CHANGE_REQUIRED',
    )
    expect((await as(db, pair.access_token)('/api/v1/auth/logout', { method: 'POST' })).status).toBe(204)
  })

  it('applies to members an operator creates with a typed password, and to the API’s deprecated password field', async () => {
    const tenant = await createTenant(db)
    const created = await operator(`/api/v1/admin/tenants/${tenant.tenantId}/users`, {
      method: 'POST',
      json: {
        email: `typed-${crypto.randomUUID().slice(0, 8)}@example.test`,
        name: 'Typed',
        role: 'admin',
        password: PASSWORD,
      },
    })
    expect(created.status).toBe(201)
    const admin = (await created.json()) as { email: string }
    const adminSession = await signIn(admin.email, PASSWORD)
    expect(adminSession.password_change_required).toBe(true)

    const owner = await createMember(db, tenant.tenantId, 'owner')
    const ownerCall = as(db, (await login(db, owner.email)).access_token)
    const legacy = await ownerCall('/api/v1/users', {
      method: 'POST',
      json: {
        email: `legacy-${crypto.randomUUID().slice(0, 8)}@example.test`,
        name: 'Legacy',
        role: 'viewer',
        password: PASSWORD,
      },
    })
    expect(legacy.status).toBe(201)
    const viewer = (await legacy.json()) as { email: string; status: string }
    expect(viewer.status).toBe('active')
    expect((await signIn(viewer.email, PASSWORD)).password_change_required).toBe(true)
  })

  it('leaves people who chose their own password alone', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'viewer')
    const signed = await signIn(member.email, PASSWORD)
    expect(signed.password_change_required).toBe(false)
    expect((await as(db, signed.access_token)('/api/v1/tenant')).status).toBe(200)
  })
})
