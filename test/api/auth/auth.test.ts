import { decodeJwt } from 'jose'
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
import { callWorker, recordSql } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const post = (path: string, body: unknown, ip = '198.51.100.1') =>
  callWorker(db.env, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify(body),
  })

describe('POST /api/v1/auth/login', () => {
  it('signs in an operator with a short-lived JWT carrying kid, sub, role and sid', async () => {
    const operator = await createOperator(db)
    const tokens = await login(db, operator.email)
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
    const claims = decodeJwt(tokens.access_token)
    expect(claims).toMatchObject({ sub: operator.id, role: 'operator', tenant_id: null })
    expect(claims.sid).toMatch(/^ses_/)
    expect(tokens.refresh_token).toMatch(/^rt_/)
  })

  it('signs in a member, whose /me shows the tenant and its modules', async () => {
    const tenant = await createTenant(db, { modules: ['metrics', 'calendar'] })
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const tokens = await login(db, owner.email.toUpperCase())
    expect(decodeJwt(tokens.access_token)).toMatchObject({ tenant_id: tenant.tenantId, role: 'owner' })
    const { result: me, statements } = await recordSql(() => as(db, tokens.access_token)('/api/v1/auth/me'))
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({
      principal: { kind: 'member', role: 'owner' },
      user: { email: owner.email },
      tenant: { id: tenant.tenantId, modules: ['metrics', 'calendar'] },
    })
    // BEGIN, the session check (which also reads the license's modules), the tenant with the
    // member, COMMIT: every portal page starts with this.
    expect(statements).toHaveLength(4)
  })

  it('answers the same 401 for a wrong password, an unknown e-mail and a deactivated account', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'analyst')
    const gone = await createMember(db, tenant.tenantId, 'viewer', { status: 'deactivated' })
    const answers = await Promise.all([
      post('/api/v1/auth/login', { email: member.email, password: 'wrong password' }),
      post('/api/v1/auth/login', { email: 'nobody@example.test', password: PASSWORD }),
      post('/api/v1/auth/login', { email: gone.email, password: PASSWORD }),
    ])
    const bodies = await Promise.all(answers.map((r) => r.json()))
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401])
    const messages = bodies.map((b) => (b as { error: { code: string; message: string } }).error)
    expect(new Set(messages.map((m) => `${m.code}:${m.message}`)).size).toBe(1)
    expect(messages[0]?.code).toBe('INVALID_CREDENTIALS')
  })

  it('refuses members of a suspended tenant', async () => {
    const tenant = await createTenant(db, { tenantStatus: 'suspended' })
    const member = await createMember(db, tenant.tenantId, 'owner')
    const response = await post('/api/v1/auth/login', { email: member.email, password: PASSWORD })
    expect(response.status).toBe(403)
    expect(await errorCode(response)).toBe('TENANT_SUSPENDED')
  })

  it('rate-limits an account after 10 failures in 15 minutes, with Retry-After', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'viewer')
    for (let i = 0; i < 10; i++) {
      const response = await post(
        '/api/v1/auth/login',
        { email: member.email, password: `bad-${i}` },
        `192.0.2.${i + 1}`,
      )
      expect(response.status).toBe(401)
    }
    // Even the right password is refused while locked, from a fresh IP.
    const locked = await post(
      '/api/v1/auth/login',
      { email: member.email, password: PASSWORD },
      '192.0.2.200',
    )
    expect(locked.status).toBe(429)
    expect(await errorCode(locked)).toBe('TOO_MANY_ATTEMPTS')
    const retryAfter = Number(locked.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(900)
  })

  it('rate-limits a client IP after 10 failures across accounts', async () => {
    const ip = '203.0.113.99'
    for (let i = 0; i < 10; i++) {
      expect(
        (await post('/api/v1/auth/login', { email: `x${i}@example.test`, password: 'nope' }, ip)).status,
      ).toBe(401)
    }
    const response = await post('/api/v1/auth/login', { email: 'another@example.test', password: 'nope' }, ip)
    expect(response.status).toBe(429)
  })

  it('audits successes and failures, never with the password', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'admin')
    await post('/api/v1/auth/login', { email: member.email, password: 'not-the-password' })
    await login(db, member.email)
    const rows = await db.owner<{ action: string; data: unknown; tenant_id: string }>(
      'select action, data, tenant_id from audit_log where actor_id = $1 order by created_at',
      [member.id],
    )
    expect(rows.map((r) => r.action)).toEqual(['auth.login_failed', 'auth.login'])
    expect(rows.every((r) => r.tenant_id === tenant.tenantId)).toBe(true)
    expect(JSON.stringify(rows)).not.toContain('not-the-password')
  })

  it('validates the body', async () => {
    const response = await post('/api/v1/auth/login', { email: 'a@b.c' })
    expect(response.status).toBe(400)
    expect(await errorCode(response)).toBe('VALIDATION_FAILED')
  })

  it('keeps at most 10 live sessions per user, ending the oldest', async () => {
    const operator = await createOperator(db)
    const first = await login(db, operator.email)
    for (let i = 0; i < 10; i++) await login(db, operator.email)
    const me = await as(db, first.access_token)('/api/v1/auth/me')
    expect(me.status).toBe(401)
    expect(await errorCode(me)).toBe('SESSION_ENDED')
    const [row] = await db.owner<{ revoked_reason: string }>(
      'select revoked_reason from sessions where id = $1',
      [decodeJwt(first.access_token).sid],
    )
    expect(row?.revoked_reason).toBe('session_limit')
  })
})

describe('POST /api/v1/auth/refresh', () => {
  it('rotates: a new pair, and the old refresh token stops working', async () => {
    const operator = await createOperator(db)
    const first = await login(db, operator.email)
    const rotated = await post('/api/v1/auth/refresh', { refresh_token: first.refresh_token })
    expect(rotated.status).toBe(200)
    const second = (await rotated.json()) as { access_token: string; refresh_token: string }
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect((await as(db, second.access_token)('/api/v1/auth/me')).status).toBe(200)
  })

  it('revokes the whole family when a rotated token is presented again', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'owner')
    const first = await login(db, member.email)
    const second = (await (
      await post('/api/v1/auth/refresh', { refresh_token: first.refresh_token })
    ).json()) as {
      access_token: string
      refresh_token: string
    }
    const replay = await post('/api/v1/auth/refresh', { refresh_token: first.refresh_token })
    expect(replay.status).toBe(401)
    expect(await errorCode(replay)).toBe('INVALID_REFRESH_TOKEN')
    // The legitimate newer token and the session's access token are dead too.
    expect((await post('/api/v1/auth/refresh', { refresh_token: second.refresh_token })).status).toBe(401)
    expect((await as(db, second.access_token)('/api/v1/auth/me')).status).toBe(401)
    const audit = await db.owner<{ action: string }>(
      "select action from audit_log where action = 'auth.refresh_token_reused' and actor_id = $1",
      [member.id],
    )
    expect(audit).toHaveLength(1)
  })

  it('refuses an unknown token', async () => {
    const response = await post('/api/v1/auth/refresh', { refresh_token: 'rt_not-a-real-token-at-all' })
    expect(response.status).toBe(401)
  })
})

describe('session endpoints', () => {
  it('logout ends the session', async () => {
    const operator = await createOperator(db)
    const tokens = await login(db, operator.email)
    const call = as(db, tokens.access_token)
    expect((await call('/api/v1/auth/logout', { method: 'POST' })).status).toBe(204)
    expect((await call('/api/v1/auth/me')).status).toBe(401)
    expect((await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token })).status).toBe(401)
  })

  it('requires authentication', async () => {
    for (const token of [null, 'garbage', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) {
      const response = await callWorker(db.env, '/api/v1/auth/me', {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      })
      expect(response.status).toBe(401)
      expect(await errorCode(response)).toBe('UNAUTHENTICATED')
    }
  })

  it('lists my sessions and revokes one; another user’s session is a 404', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'analyst')
    const other = await createMember(db, tenant.tenantId, 'analyst')
    const a = await login(db, member.email)
    const b = await login(db, member.email)
    const theirs = await login(db, other.email)
    const call = as(db, a.access_token)
    const list = (await (await call('/api/v1/auth/sessions')).json()) as {
      data: { id: string; current: boolean }[]
    }
    expect(list.data).toHaveLength(2)
    expect(list.data.filter((s) => s.current)).toHaveLength(1)
    const otherSid = decodeJwt(theirs.access_token).sid as string
    expect((await call(`/api/v1/auth/sessions/${otherSid}`, { method: 'DELETE' })).status).toBe(404)
    const bSid = decodeJwt(b.access_token).sid as string
    expect((await call(`/api/v1/auth/sessions/${bSid}`, { method: 'DELETE' })).status).toBe(204)
    expect((await as(db, b.access_token)('/api/v1/auth/me')).status).toBe(401)
    expect((await as(db, theirs.access_token)('/api/v1/auth/me')).status).toBe(200)
  })

  it('password change needs the current password and ends the other sessions', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'viewer')
    const here = await login(db, member.email)
    const elsewhere = await login(db, member.email)
    const call = as(db, here.access_token)
    const wrong = await call('/api/v1/auth/password', {
      method: 'POST',
      json: { current_password: 'nope', new_password: 'a brand new passphrase' },
    })
    expect(wrong.status).toBe(400)
    expect(await errorCode(wrong)).toBe('WRONG_PASSWORD')
    const short = await call('/api/v1/auth/password', {
      method: 'POST',
      json: { current_password: PASSWORD, new_password: 'short' },
    })
    expect(short.status).toBe(400)
    const ok = await call('/api/v1/auth/password', {
      method: 'POST',
      json: { current_password: PASSWORD, new_password: 'a brand new passphrase' },
    })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ ended_sessions: 1 })
    expect((await call('/api/v1/auth/me')).status).toBe(200)
    expect((await as(db, elsewhere.access_token)('/api/v1/auth/me')).status).toBe(401)
    await login(db, member.email, 'a brand new passphrase')
  })
})
