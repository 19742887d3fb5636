import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import { formatApiKey, sha256Hex } from '../../worker/auth/tokens.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { as, createMember, createTenant, errorCode, login } from '../helpers/fixtures.ts'
import { portalClient } from '../helpers/portal.ts'
import { recordSql } from '../helpers/worker.ts'

/**
 * Issue 19: an invalid credential never lets a read or a write run, whatever the batching. The
 * session (or API key) and the license are checked by the first statement of the request's
 * transaction; a request refused there must send nothing after it but ROLLBACK. Were the check
 * ever batched or pipelined with the work behind it (Neon's HTTP `transaction([...])`, a
 * pipelined driver), the data statement would already be on the wire when the refusal comes
 * back: the statements the driver sent are recorded here, not what the service intended. A
 * write is checked on the rows too: nothing changed, no audit row.
 */

let db: TestDatabase
let tenantId: string
let connectionId: string
let owner: { id: string; email: string }
/** An API key of a tenant whose license is suspended: the key itself is valid. */
let unlicensedKey: string
/** A member of that tenant, for the portal. */
let unlicensedMember: { id: string; email: string }

/** Transaction control and the credential check: what a refused request may send, and nothing else. */
const CONTROL = /^\s*(begin|commit|rollback)\b/i
const CHECK = /\bfrom sessions\b|\bauth_find_api_key\(/

/** The statements that are neither transaction control nor the credential check: the request's work. */
const work = (statements: string[]) => statements.filter((s) => !CONTROL.test(s) && !CHECK.test(s))

/**
 * A refused request: either nothing was sent (refused before the database: a bad signature), or
 * BEGIN, the one check, ROLLBACK: no statement ran after the check answered.
 */
function expectRefusedAtTheCheck(statements: string[], { database = true } = {}) {
  if (!database) return expect(statements).toEqual([])
  expect(statements).toHaveLength(3)
  expect(statements[0]).toMatch(/^\s*begin\b/i)
  expect(statements[1]).toMatch(CHECK)
  expect(statements[2]).toMatch(/^\s*rollback\b/i)
  expect(work(statements)).toEqual([])
}

async function connectionRow() {
  const [row] = await db.owner<{ label: string; status: string; updated_at: Date }>(
    'select label, status, updated_at from connections where id = $1',
    [connectionId],
  )
  return row
}

async function auditCount() {
  const [row] = await db.owner<{ n: number }>(
    'select count(*)::int as n from audit_log where tenant_id = $1',
    [tenantId],
  )
  return row?.n
}

/** The session behind a token: `sid` of its claims. */
const sessionOf = (token: string) =>
  (JSON.parse(atob(token.split('.')[1]?.replace(/-/g, '+').replace(/_/g, '/') ?? '')) as { sid: string }).sid

/** What makes a session no longer valid, each as the owner role would see it in the table. */
const ENDINGS = {
  expired: `update sessions set idle_expires_at = now() - interval '1 second' where id = $1`,
  'past its absolute expiry': `update sessions set absolute_expires_at = now() - interval '1 second' where id = $1`,
  revoked: `update sessions set revoked_at = now() where id = $1`,
} as const

beforeAll(async () => {
  db = await createTestDatabase()
  ;({ tenantId } = await createTenant(db))
  owner = await createMember(db, tenantId, 'owner')
  connectionId = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id, label) values ($1, $2, 'instagram', '17841400000000001', 'Before')`,
    [connectionId, tenantId],
  )
  const unlicensed = await createTenant(db, { licenseStatus: 'suspended' })
  unlicensedMember = await createMember(db, unlicensed.tenantId, 'owner')
  const keyId = newId('key')
  const secret = 'x'.repeat(43)
  await db.owner(
    `insert into api_keys (id, tenant_id, name, role, secret_hash, last_four, created_by)
     values ($1, $2, 'unlicensed', 'admin', $3, 'xxxx', $4)`,
    [keyId, unlicensed.tenantId, await sha256Hex(secret), unlicensedMember.id],
  )
  unlicensedKey = formatApiKey(keyId, secret)
})

describe('the API', () => {
  it('a valid session reads and writes: the statements after the check are the work (the control)', async () => {
    const call = as(db, (await login(db, owner.email)).access_token)
    const read = await recordSql(() => call('/api/v1/connections'))
    expect(read.result.status).toBe(200)
    expect(work(read.statements).some((s) => /\bconnections\b/.test(s))).toBe(true)
    const write = await recordSql(() =>
      call(`/api/v1/connections/${connectionId}`, { method: 'PATCH', json: { label: 'Before' } }),
    )
    expect(write.result.status).toBe(200)
    expect(work(write.statements).some((s) => /^\s*update "?connections"?/i.test(s))).toBe(true)
  })

  it.each(Object.keys(ENDINGS) as (keyof typeof ENDINGS)[])(
    'a session %s: the read and the write answer 401 and run nothing after the check',
    async (ending) => {
      const { access_token: token } = await login(db, owner.email)
      await db.owner(ENDINGS[ending], [sessionOf(token)])
      const call = as(db, token)
      const [before, audits] = [await connectionRow(), await auditCount()]

      const read = await recordSql(() => call('/api/v1/connections'))
      expect(read.result.status).toBe(401)
      expect(await errorCode(read.result)).toBe('SESSION_ENDED')
      expectRefusedAtTheCheck(read.statements)

      const write = await recordSql(() =>
        call(`/api/v1/connections/${connectionId}`, { method: 'PATCH', json: { label: 'Changed' } }),
      )
      expect(write.result.status).toBe(401)
      expectRefusedAtTheCheck(write.statements)
      expect(await connectionRow()).toEqual(before)
      expect(await auditCount()).toBe(audits)
    },
  )

  it('a token with a wrong signature never reaches the database', async () => {
    const { access_token: token } = await login(db, owner.email)
    const [head, body, signature = ''] = token.split('.')
    const forged = `${head}.${body}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
    const call = as(db, forged)
    const read = await recordSql(() => call('/api/v1/connections'))
    expect(read.result.status).toBe(401)
    expectRefusedAtTheCheck(read.statements, { database: false })
    const write = await recordSql(() =>
      call(`/api/v1/connections/${connectionId}`, { method: 'PATCH', json: { label: 'Changed' } }),
    )
    expect(write.result.status).toBe(401)
    expectRefusedAtTheCheck(write.statements, { database: false })
    expect((await connectionRow())?.label).toBe('Before')
  })

  it('an API key with a wrong secret: 401, nothing after the check', async () => {
    const call = as(db, `${unlicensedKey.slice(0, -1)}${unlicensedKey.endsWith('y') ? 'z' : 'y'}`)
    const read = await recordSql(() => call('/api/v1/connections'))
    expect(read.result.status).toBe(401)
    expect(await errorCode(read.result)).toBe('INVALID_API_KEY')
    expectRefusedAtTheCheck(read.statements)
  })

  it("an API key of a tenant whose license is not usable: 403, nothing after the check, not even the key's last use", async () => {
    const call = as(db, unlicensedKey)
    const read = await recordSql(() => call('/api/v1/connections'))
    expect(read.result.status).toBe(403)
    expect(await errorCode(read.result)).toBe('LICENSE_INACTIVE')
    expectRefusedAtTheCheck(read.statements)
    const write = await recordSql(() =>
      call('/api/v1/connections', {
        method: 'POST',
        json: { platform: 'instagram', external_account_id: '17841400000000009', label: 'New' },
      }),
    )
    expect(write.result.status).toBe(403)
    expectRefusedAtTheCheck(write.statements)
    const [key] = await db.owner<{ last_used_at: Date | null }>(
      'select last_used_at from api_keys where name = $1',
      ['unlicensed'],
    )
    expect(key?.last_used_at).toBeNull()
    const [created] = await db.owner<{ n: number }>(
      `select count(*)::int as n from connections where external_account_id = '17841400000000009'`,
    )
    expect(created?.n).toBe(0)
  })
})

describe('the portal', () => {
  it('a valid session reads and writes: the statements after the check are the work (the control)', async () => {
    const client = portalClient(db)
    await client.login(owner.email)
    const read = await recordSql(() => client.request('/app/connections'))
    expect(read.result.status).toBe(200)
    expect(work(read.statements).some((s) => /\bconnections\b/.test(s))).toBe(true)
    const write = await recordSql(() =>
      client.request(`/app/connections/${connectionId}/resume`, { form: {} }),
    )
    expect(write.result.status).toBe(303)
    expect(work(write.statements).some((s) => /^\s*update "?connections"?/i.test(s))).toBe(true)
  })

  it.each(Object.keys(ENDINGS) as (keyof typeof ENDINGS)[])(
    'a session %s: the page and the form go to sign-in and run nothing after the check',
    async (ending) => {
      const client = portalClient(db)
      await client.login(owner.email)
      const [{ id: sessionId } = { id: '' }] = await db.owner<{ id: string }>(
        'select id from sessions where user_id = $1 order by created_at desc limit 1',
        [owner.id],
      )
      await db.owner(ENDINGS[ending], [sessionId])
      const [before, audits] = [await connectionRow(), await auditCount()]
      const sealed = client.jar.get('__Host-session') ?? ''

      const read = await recordSql(() => client.request('/app/connections'))
      expect(read.result.status).toBe(303)
      expect(read.result.headers.get('location')).toMatch(/^\/app\/login/)
      expectRefusedAtTheCheck(read.statements)

      // The refusal cleared the cookie: send the ended session again, as a kept copy would.
      client.jar.set('__Host-session', sealed)
      const write = await recordSql(() =>
        client.request(`/app/connections/${connectionId}/pause`, { form: {} }),
      )
      expect(write.result.status).toBe(303)
      expect(write.result.headers.get('location')).toBe('/app/login')
      expectRefusedAtTheCheck(write.statements)
      expect(await connectionRow()).toEqual(before)
      expect(await auditCount()).toBe(audits)
    },
  )

  it('a session cookie with a wrong signature never reaches the database', async () => {
    const client = portalClient(db)
    await client.login(owner.email)
    const sealed = client.jar.get('__Host-session') ?? ''
    client.jar.set('__Host-session', `${sealed.slice(0, -1)}${sealed.endsWith('A') ? 'B' : 'A'}`)
    const read = await recordSql(() => client.request('/app/connections'))
    expect(read.result.status).toBe(303)
    expect(read.result.headers.get('location')).toMatch(/^\/app\/login/)
    expectRefusedAtTheCheck(read.statements, { database: false })
    const write = await recordSql(() =>
      client.request(`/app/connections/${connectionId}/pause`, { form: {} }),
    )
    expect(write.result.status).toBeGreaterThanOrEqual(300)
    expect(write.result.status).toBeLessThan(500)
    expectRefusedAtTheCheck(write.statements, { database: false })
    expect((await connectionRow())?.status).toBe('active')
  })

  it('a member of a tenant whose license is not usable: 403 page, nothing after the check', async () => {
    const client = portalClient(db)
    expect((await client.login(unlicensedMember.email)).status).toBe(303)
    const read = await recordSql(() => client.request('/app/connections'))
    expect(read.result.status).toBe(403)
    expectRefusedAtTheCheck(read.statements)
  })
})
