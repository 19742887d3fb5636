import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../worker/auth/tokens.ts'
import { mailbox, runQueued, tokenIn } from '../../helpers/accounts.ts'
import { captureQueue, createTestDatabase, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
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
let env: TestBindings
let queued: unknown[]
beforeAll(async () => {
  db = await createTestDatabase()
  const capture = captureQueue()
  env = { ...db.env, JOBS: capture.queue }
  queued = capture.messages
})

const NEW_PASSWORD = 'a brand new passphrase 42'
let nextIp = 1
/** A client IP of the test's own, so the per-IP limit of one test does not reach another. */
const freshIp = () => `198.51.100.${nextIp++}`

const post = (path: string, body: unknown, ip = freshIp()) =>
  callWorker(env, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify(body),
  })
const ask = (email: string, ip?: string) => post('/api/v1/auth/password-reset', { email }, ip)
const confirm = (token: string, password = NEW_PASSWORD) =>
  post('/api/v1/auth/password-reset/confirm', { token, password })

/** Asks for a link and delivers what was queued; answers the token of the newest e-mail. */
async function linkFor(email: string): Promise<string> {
  expect((await ask(email)).status).toBe(202)
  await runQueued(env, queued)
  return tokenIn((await mailbox(email)).at(-1))
}

describe('POST /api/v1/auth/password-reset', () => {
  it('e-mails a single-use link in Portuguese; the new password works and every session ends', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'analyst')
    const before = await login(db, member.email)

    const response = await ask(member.email.toUpperCase())
    expect(response.status).toBe(202)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual({
      status: 'accepted',
      message: 'If an account uses this e-mail, a link to choose a new password is on its way.',
    })
    await runQueued(env, queued)
    const [mail, ...more] = await mailbox(member.email)
    expect(more).toEqual([])
    expect(mail?.subject).toBe('Redefinir sua senha do Integra')
    expect(mail?.text).toContain('https://integra.test/app/password-reset?token=pwr_')
    expect(mail?.text).toContain('30 minutos')
    const token = tokenIn(mail)

    // Only the token's SHA-256 is stored, nowhere the token itself.
    const rows = await db.owner<Record<string, unknown>>(`select * from account_tokens where user_id = $1`, [
      member.id,
    ])
    expect(rows).toHaveLength(1)
    expect(rows[0]?.token_hash).toBe(await sha256Hex(token))
    expect(JSON.stringify(rows)).not.toContain(token)

    const confirmed = await confirm(token)
    expect(confirmed.status).toBe(200)
    expect(await confirmed.json()).toEqual({ ended_sessions: 1 })
    expect((await as(db, before.access_token)('/api/v1/auth/me')).status).toBe(401)
    expect((await post('/api/v1/auth/refresh', { refresh_token: before.refresh_token })).status).toBe(401)
    await expect(login(db, member.email)).rejects.toThrow(/401/)
    expect((await login(db, member.email, NEW_PASSWORD)).access_token).toBeTruthy()

    // Single use.
    const again = await confirm(token, 'yet another passphrase 7')
    expect(again.status).toBe(400)
    expect(await errorCode(again)).toBe('INVALID_ACCOUNT_TOKEN')

    const audit = await db.owner<{ action: string; actor_type: string; data: unknown }>(
      `select action, actor_type, data from audit_log where target_id = $1 and action like 'auth.password_reset%'
       order by created_at`,
      [member.id],
    )
    expect(audit.map((row) => row.action)).toEqual(['auth.password_reset_requested', 'auth.password_reset'])
    expect(JSON.stringify(audit)).not.toContain(token)
  })

  it('writes in the member’s saved language', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'viewer')
    await db.owner(`update users set locale = 'en' where id = $1`, [member.id])
    await linkFor(member.email)
    const [mail] = await mailbox(member.email)
    expect(mail?.subject).toBe('Reset your Integra password')
    expect(mail?.text).toContain('30 minutes')
  })

  it('answers the same for unknown, deactivated, invited, suspended and operator addresses, and sends nothing', async () => {
    const tenant = await createTenant(db)
    const suspended = await createTenant(db, { tenantStatus: 'suspended' })
    const gone = await createMember(db, tenant.tenantId, 'viewer', { status: 'deactivated' })
    const invited = await createMember(db, tenant.tenantId, 'viewer', { status: 'invited' })
    const outOfService = await createMember(db, suspended.tenantId, 'owner')
    const operator = await createOperator(db)
    const known = await createMember(db, tenant.tenantId, 'viewer')
    const addresses = [
      'nobody-at-all@example.test',
      gone.email,
      invited.email,
      outOfService.email,
      operator.email,
    ]
    const answers = await Promise.all([...addresses, known.email].map((email) => ask(email)))
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202])
    const bodies = new Set(await Promise.all(answers.map((r) => r.text())))
    expect(bodies.size).toBe(1)
    const ran = await runQueued(env, queued)
    // One reset job per request; only the known member's produced an e-mail to send.
    expect(ran.filter((job) => job.type === 'auth.password_reset')).toHaveLength(6)
    expect(ran.filter((job) => job.type === 'messaging.send')).toHaveLength(1)
    for (const address of addresses) expect(await mailbox(address)).toEqual([])
    expect(await mailbox(known.email)).toHaveLength(1)
  })

  it('does the same work for an address that exists and one that does not (no timing oracle)', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'viewer')
    const known = await recordSql(() => ask(member.email))
    const unknown = await recordSql(() => ask('nobody-here@example.test'))
    expect(known.result.status).toBe(202)
    expect(unknown.result.status).toBe(202)
    expect(known.statements).toEqual(unknown.statements)
    queued.splice(0)
  })

  it('supersedes an older link with a newer one, and refuses an expired one', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'admin')
    const first = await linkFor(member.email)
    const second = await linkFor(member.email)
    expect(second).not.toBe(first)
    expect(await errorCode(await confirm(first))).toBe('INVALID_ACCOUNT_TOKEN')

    await db.owner(
      `update account_tokens set expires_at = now() - interval '1 second' where token_hash = $1`,
      [await sha256Hex(second)],
    )
    const expired = await confirm(second)
    expect(expired.status).toBe(400)
    expect(await errorCode(expired)).toBe('INVALID_ACCOUNT_TOKEN')
    expect((await login(db, member.email)).access_token).toBeTruthy()
  })

  it('sends one e-mail however often the reset job is delivered', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'viewer')
    expect((await ask(member.email)).status).toBe(202)
    const [job] = queued.splice(0)
    // Delivered twice in one batch, then once more later.
    queued.push(job, job)
    await runQueued(env, queued)
    queued.push(job)
    await runQueued(env, queued)
    expect(await mailbox(member.email)).toHaveLength(1)
    const tokens = await db.owner(`select 1 from account_tokens where user_id = $1`, [member.id])
    expect(tokens).toHaveLength(1)
  })

  it('lets one of two racing confirmations with the same link win', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'viewer')
    const token = await linkFor(member.email)
    const answers = await Promise.all([
      confirm(token, 'first racer passphrase'),
      confirm(token, 'second racer passphrase'),
    ])
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400])
  })

  it('refuses a link once the member is deactivated', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'viewer')
    const token = await linkFor(member.email)
    await db.owner(`update users set status = 'deactivated' where id = $1`, [member.id])
    expect(await errorCode(await confirm(token))).toBe('INVALID_ACCOUNT_TOKEN')
  })

  it('rate-limits per e-mail (5 an hour) and per IP (20 an hour), for known and unknown addresses alike', async () => {
    const address = `limited-${crypto.randomUUID().slice(0, 8)}@example.test`
    for (let i = 0; i < 5; i++) expect((await ask(address)).status).toBe(202)
    const limited = await ask(address)
    expect(limited.status).toBe(429)
    expect(await errorCode(limited)).toBe('TOO_MANY_ATTEMPTS')
    const retryAfter = Number(limited.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(3600)

    const ip = '203.0.113.250'
    for (let i = 0; i < 20; i++) expect((await ask(`ip-${i}-${address}`, ip)).status).toBe(202)
    expect((await ask(`ip-last-${address}`, ip)).status).toBe(429)
    queued.splice(0)
  })

  it('validates both bodies with the envelope', async () => {
    for (const [path, body] of [
      ['/api/v1/auth/password-reset', {}],
      ['/api/v1/auth/password-reset', { email: 42 }],
      ['/api/v1/auth/password-reset/confirm', { token: 'pwr_short', password: NEW_PASSWORD }],
      ['/api/v1/auth/password-reset/confirm', { token: `pwr_${'a'.repeat(43)}`, password: 'short' }],
    ] as const) {
      const response = await post(path, body)
      expect(response.status).toBe(400)
      expect(await errorCode(response)).toBe('VALIDATION_FAILED')
    }
    // Well-formed, but no such token (or an invitation's token for a reset): the same 400.
    for (const token of [`pwr_${'a'.repeat(43)}`, `inv_${'b'.repeat(43)}`]) {
      expect(await errorCode(await confirm(token))).toBe('INVALID_ACCOUNT_TOKEN')
    }
    expect(PASSWORD).not.toBe(NEW_PASSWORD)
  })
})
