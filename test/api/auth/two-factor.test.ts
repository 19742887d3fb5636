import { beforeAll, describe, expect, it } from 'vitest'
import { base32Encode, totp } from '../../../worker/auth/totp.ts'
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
import { challengeFor, enrolTotp, startEnrolment } from '../../helpers/two-factor.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

let ipCounter = 10
/** A client address of the test's own, so one test's failures do not lock another's IP. */
const freshIp = () => `198.51.100.${ipCounter++}`

/** The code of the next step: the confirm already spent the current one (no replay). */
const nextCode = (secret: Uint8Array) => totp(secret, new Date(Date.now() + 30_000))

async function post(path: string, body: unknown, ip = freshIp(), target = db) {
  return callWorker(target.env, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify(body),
  })
}
const answer = (challenge: string, code: string, ip?: string, target = db) =>
  post('/api/v1/auth/login/two-factor', { challenge_token: challenge, code }, ip, target)

async function member(role: 'owner' | 'admin' | 'analyst' | 'viewer' = 'analyst', tenantId?: string) {
  const tenant = tenantId ?? (await createTenant(db)).tenantId
  return { tenantId: tenant, ...(await createMember(db, tenant, role)) }
}

describe('two-factor sign-in: enrolment and the two-step login', () => {
  it('enrols with a code from the app, then asks for a code after the password', async () => {
    const person = await member()
    const { call, secret, otpauthUri } = await startEnrolment(db, person.email)
    expect(otpauthUri).toMatch(
      new RegExp(
        `^otpauth://totp/Integra:${encodeURIComponent(person.email)}\\?secret=${base32Encode(secret)}&`,
      ),
    )
    // Not in force until confirmed: the password alone still signs in.
    expect((await login(db, person.email)).access_token).toBeTruthy()
    const pending = (await (await call('/api/v1/auth/two-factor')).json()) as Record<string, unknown>
    expect(pending).toMatchObject({ enabled: false, pending: true, required: false })

    const confirmed = await call('/api/v1/auth/two-factor/confirm', {
      method: 'POST',
      json: { code: await totp(secret, new Date()) },
    })
    expect(confirmed.status).toBe(200)
    expect(confirmed.headers.get('cache-control')).toBe('no-store')
    const { recovery_codes } = (await confirmed.json()) as { recovery_codes: string[] }
    expect(recovery_codes).toHaveLength(10)
    expect(new Set(recovery_codes).size).toBe(10)
    for (const code of recovery_codes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/)

    const status = (await (await call('/api/v1/auth/two-factor')).json()) as Record<string, unknown>
    expect(status).toMatchObject({ enabled: true, pending: false, recovery_codes_left: 10 })

    // The password step answers a challenge, no token.
    const first = await post('/api/v1/auth/login', { email: person.email, password: PASSWORD })
    const challenge = (await first.json()) as Record<string, unknown>
    expect(challenge).toMatchObject({ challenge_type: 'totp', expires_in: 300 })
    expect(challenge).not.toHaveProperty('access_token')
    const signed = await answer(challenge.challenge_token as string, await nextCode(secret))
    expect(signed.status).toBe(200)
    const pair = (await signed.json()) as { access_token: string }
    expect((await as(db, pair.access_token)('/api/v1/tenant')).status).toBe(200)
    // The challenge is spent.
    expect(
      await errorCode(await answer(challenge.challenge_token as string, recovery_codes[0] as string)),
    ).toBe('INVALID_CHALLENGE')
  })

  it('keeps the secret as vault ciphertext and recovery codes as hashes', async () => {
    const person = await member()
    const { secret, recoveryCodes } = await enrolTotp(db, person.email)
    const [row] = await db.owner<{ totp_secret: string }>('select totp_secret from users where id = $1', [
      person.id,
    ])
    expect(row?.totp_secret).toMatch(/^t\./)
    expect(row?.totp_secret).not.toContain(base32Encode(secret))
    const hashes = await db.owner<{ code_hash: string }>(
      'select code_hash from recovery_codes where user_id = $1',
      [person.id],
    )
    expect(hashes).toHaveLength(10)
    for (const { code_hash } of hashes) {
      expect(code_hash).toMatch(/^[0-9a-f]{64}$/)
      expect(recoveryCodes.join()).not.toContain(code_hash)
    }
    // A sealed value copied to another member's row does not open there (bound to its owner).
    const other = await member('analyst', person.tenantId)
    await enrolTotp(db, other.email)
    await db.owner('update users set totp_secret = $1 where id = $2', [row?.totp_secret, other.id])
    const challenge = await challengeFor(db, other.email)
    const refused = await answer(challenge, await nextCode(secret))
    expect(refused.status).toBe(500)
  })

  it('refuses a code used once already (replay within its window), and a recovery code twice', async () => {
    const person = await member()
    const { secret, recoveryCodes } = await enrolTotp(db, person.email)
    const code = await nextCode(secret)
    expect((await answer(await challengeFor(db, person.email), code)).status).toBe(200)
    const replay = await answer(await challengeFor(db, person.email), code)
    expect(replay.status).toBe(401)
    expect(await errorCode(replay)).toBe('INVALID_CODE')

    const recovery = (recoveryCodes[3] as string).toUpperCase().replace('-', ' ')
    expect((await answer(await challengeFor(db, person.email), recovery)).status).toBe(200)
    expect(await errorCode(await answer(await challengeFor(db, person.email), recovery))).toBe('INVALID_CODE')
    const signed = await answer(await challengeFor(db, person.email), recoveryCodes[4] as string)
    const call = as(db, ((await signed.json()) as { access_token: string }).access_token)
    const status = (await (await call('/api/v1/auth/two-factor')).json()) as { recovery_codes_left: number }
    expect(status.recovery_codes_left).toBe(8)
  })

  it('answers errors in the envelope: wrong password, wrong code, nothing to confirm, already on, bad bodies', async () => {
    const person = await member()
    const call = as(db, (await login(db, person.email)).access_token)
    const wrongPassword = await call('/api/v1/auth/two-factor/enrolment', {
      method: 'POST',
      json: { password: 'not the password' },
    })
    expect(wrongPassword.status).toBe(400)
    expect(await errorCode(wrongPassword)).toBe('WRONG_PASSWORD')
    const nothing = await call('/api/v1/auth/two-factor/confirm', {
      method: 'POST',
      json: { code: '123456' },
    })
    expect(nothing.status).toBe(409)
    expect(await errorCode(nothing)).toBe('TOTP_NOT_ENROLLED')

    const { secret } = await startEnrolment(db, person.email)
    const wrong = await call('/api/v1/auth/two-factor/confirm', { method: 'POST', json: { code: '000000' } })
    expect(wrong.status).toBe(400)
    expect(await errorCode(wrong)).toBe('INVALID_CODE')
    for (const json of [{}, { code: 12 }, { code: '1' }, { code: 'x'.repeat(50) }]) {
      const invalid = await call('/api/v1/auth/two-factor/confirm', { method: 'POST', json })
      expect(invalid.status).toBe(400)
      expect(await errorCode(invalid)).toBe('VALIDATION_FAILED')
    }
    const ok = await call('/api/v1/auth/two-factor/confirm', {
      method: 'POST',
      json: { code: await totp(secret, new Date()) },
    })
    expect(ok.status).toBe(200)
    const again = await call('/api/v1/auth/two-factor/enrolment', {
      method: 'POST',
      json: { password: PASSWORD },
    })
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('TOTP_ALREADY_ENABLED')

    for (const body of [
      {},
      { challenge_token: 'short', code: '123456' },
      { challenge_token: 'lc_'.padEnd(40, 'x') },
    ]) {
      const invalid = await post('/api/v1/auth/login/two-factor', body)
      expect(invalid.status).toBe(400)
    }
    const unknown = await answer(`lc_${'x'.repeat(43)}`, '123456')
    expect(unknown.status).toBe(401)
    expect(await errorCode(unknown)).toBe('INVALID_CHALLENGE')
  })

  it('burns a challenge after 5 wrong codes, an expired one is dead, and wrong codes count toward the login limit', async () => {
    const person = await member()
    const { secret } = await enrolTotp(db, person.email)
    const ip = freshIp()
    const challenge = await challengeFor(db, person.email, ip)
    for (let i = 0; i < 5; i++)
      expect(await errorCode(await answer(challenge, '000000', ip))).toBe('INVALID_CODE')
    expect(await errorCode(await answer(challenge, await nextCode(secret), ip))).toBe('INVALID_CHALLENGE')

    const expired = await challengeFor(db, person.email, ip)
    await db.owner(
      `update login_challenges set expires_at = now() - interval '1 second' where user_id = $1`,
      [person.id],
    )
    expect(await errorCode(await answer(expired, await nextCode(secret), ip))).toBe('INVALID_CHALLENGE')

    // 5 failures so far; 5 more on a new challenge reach the account's limit of 10.
    const second = await challengeFor(db, person.email, freshIp())
    for (let i = 0; i < 5; i++) await answer(second, '000000', freshIp())
    const locked = await post('/api/v1/auth/login', { email: person.email, password: PASSWORD })
    expect(locked.status).toBe(429)
    expect(locked.headers.get('retry-after')).toMatch(/^\d+$/)
  })

  it('turns off with the password and a code; then the password alone signs in again', async () => {
    const person = await member()
    const { call, recoveryCodes } = await enrolTotp(db, person.email)
    const wrongPassword = await call('/api/v1/auth/two-factor/disable', {
      method: 'POST',
      json: { password: 'nope nope nope', code: recoveryCodes[0] },
    })
    expect(await errorCode(wrongPassword)).toBe('WRONG_PASSWORD')
    const wrongCode = await call('/api/v1/auth/two-factor/disable', {
      method: 'POST',
      json: { password: PASSWORD, code: '000000' },
    })
    expect(wrongCode.status).toBe(400)
    expect(await errorCode(wrongCode)).toBe('INVALID_CODE')
    const off = await call('/api/v1/auth/two-factor/disable', {
      method: 'POST',
      json: { password: PASSWORD, code: recoveryCodes[0] },
    })
    expect(off.status).toBe(204)
    expect((await login(db, person.email)).access_token).toBeTruthy()
    const [row] = await db.owner<{ secret: string | null; codes: number }>(
      'select totp_secret as secret, (select count(*)::int from recovery_codes where user_id = $1) as codes from users where id = $1',
      [person.id],
    )
    expect(row).toEqual({ secret: null, codes: 0 })
    const audit = await db.owner<{ action: string }>(
      `select action from audit_log where target_id = $1 and action like 'auth.totp%' order by created_at`,
      [person.id],
    )
    expect(audit.map((a) => a.action)).toEqual([
      'auth.totp_enrolment_started',
      'auth.totp_enabled',
      'auth.totp_disabled',
    ])
  })

  it('replaces the recovery codes: the old ones stop working', async () => {
    const person = await member()
    const { call, recoveryCodes } = await enrolTotp(db, person.email)
    const replaced = await call('/api/v1/auth/two-factor/recovery-codes', {
      method: 'POST',
      json: { code: recoveryCodes[0] },
    })
    expect(replaced.status).toBe(200)
    const fresh = ((await replaced.json()) as { recovery_codes: string[] }).recovery_codes
    expect(fresh).toHaveLength(10)
    expect(
      await errorCode(await answer(await challengeFor(db, person.email), recoveryCodes[1] as string)),
    ).toBe('INVALID_CODE')
    expect((await answer(await challengeFor(db, person.email), fresh[0] as string)).status).toBe(200)
  })

  it('is for people: API keys get 403, nobody gets 401', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const ownerCall = as(db, (await login(db, owner.email)).access_token)
    const key = (
      (await (
        await ownerCall('/api/v1/api-keys', { method: 'POST', json: { name: 'k', role: 'admin' } })
      ).json()) as { key: string }
    ).key
    for (const path of ['/api/v1/auth/two-factor/enrolment', '/api/v1/auth/two-factor/confirm']) {
      const refused = await as(db, key)(path, {
        method: 'POST',
        json: { password: PASSWORD, code: '123456' },
      })
      expect(refused.status).toBe(403)
      expect((await post(path, { password: PASSWORD })).status).toBe(401)
    }
  })
})

describe('two-factor required', () => {
  it('by the owner for every member: live sessions and new sign-ins are sent to enrol first', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const ownerToken = (await login(db, owner.email)).access_token
    const ownerCall = as(db, ownerToken)
    const analyst = await createMember(db, tenant.tenantId, 'analyst')
    const analystCall = as(db, (await login(db, analyst.email)).access_token)

    // The owner needs a factor of their own first.
    const early = await ownerCall('/api/v1/tenant/two-factor', { method: 'PUT', json: { required: true } })
    expect(early.status).toBe(409)
    expect(await errorCode(early)).toBe('TOTP_NOT_ENROLLED')
    await enrolTotp(db, owner.email, ownerToken)
    const on = await ownerCall('/api/v1/tenant/two-factor', { method: 'PUT', json: { required: true } })
    expect(on.status).toBe(200)
    expect(await on.json()).toEqual({ required: true, members_without: 1 })
    expect((await ownerCall('/api/v1/tenant')).status).toBe(200)

    // The analyst's live session is restricted at once.
    const refused = await analystCall('/api/v1/tenant')
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('TOTP_ENROLMENT_REQUIRED')
    expect((await analystCall('/api/v1/auth/me')).status).toBe(200)
    // A new sign-in says so.
    const signed = (await (
      await post('/api/v1/auth/login', { email: analyst.email, password: PASSWORD })
    ).json()) as {
      access_token: string
      totp_enrolment_required: boolean
    }
    expect(signed.totp_enrolment_required).toBe(true)
    const restricted = as(db, signed.access_token)
    expect(await errorCode(await restricted('/api/v1/users'))).toBe('TOTP_ENROLMENT_REQUIRED')
    // Enrolling from the restricted session lifts it for that session.
    const { secret } = await startEnrolment(db, analyst.email, signed.access_token)
    const confirmed = await restricted('/api/v1/auth/two-factor/confirm', {
      method: 'POST',
      json: { code: await totp(secret, new Date()) },
    })
    expect(confirmed.status).toBe(200)
    expect((await restricted('/api/v1/tenant')).status).toBe(200)
    // Required: it cannot be turned off.
    const off = await restricted('/api/v1/auth/two-factor/disable', {
      method: 'POST',
      json: { password: PASSWORD, code: '000000' },
    })
    expect(off.status).toBe(403)
    expect(await errorCode(off)).toBe('TOTP_REQUIRED')

    const read = await ownerCall('/api/v1/tenant/two-factor')
    expect(await read.json()).toEqual({ required: true, members_without: 0 })
  })

  it('is the owner’s switch: admins are refused, a bad body is a 400, and other tenants are untouched', async () => {
    const tenant = await createTenant(db)
    const admin = await createMember(db, tenant.tenantId, 'admin')
    const adminCall = as(db, (await login(db, admin.email)).access_token)
    const put = await adminCall('/api/v1/tenant/two-factor', { method: 'PUT', json: { required: false } })
    expect(put.status).toBe(403)
    expect((await adminCall('/api/v1/tenant/two-factor')).status).toBe(403)
    const invalid = await as(
      db,
      (await login(db, (await createMember(db, tenant.tenantId, 'owner')).email)).access_token,
    )('/api/v1/tenant/two-factor', { method: 'PUT', json: { required: 'yes' } })
    expect(invalid.status).toBe(400)
    const [row] = await db.owner<{ n: number }>('select count(*)::int as n from tenants where require_totp')
    expect(row?.n).toBe(1)
  })

  it('for operators when OPERATOR_TOTP=required: enrolment first, then the code at every sign-in', async () => {
    const strict = { ...db, env: { ...db.env, OPERATOR_TOTP: 'required' } }
    const operator = await createOperator(db)
    const signed = (await (
      await post('/api/v1/auth/login', { email: operator.email, password: PASSWORD }, freshIp(), strict)
    ).json()) as { access_token: string; totp_enrolment_required: boolean }
    expect(signed.totp_enrolment_required).toBe(true)
    const call = as(strict, signed.access_token)
    const refused = await call('/api/v1/admin/tenants')
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('TOTP_ENROLMENT_REQUIRED')

    const { secret } = await startEnrolment(strict, operator.email, signed.access_token)
    const [row] = await db.owner<{ totp_secret: string }>('select totp_secret from operators where id = $1', [
      operator.id,
    ])
    expect(row?.totp_secret).toMatch(/^o\./)
    expect(
      (
        await call('/api/v1/auth/two-factor/confirm', {
          method: 'POST',
          json: { code: await totp(secret, new Date()) },
        })
      ).status,
    ).toBe(200)
    expect((await call('/api/v1/admin/tenants')).status).toBe(200)
    const off = await call('/api/v1/auth/two-factor/disable', {
      method: 'POST',
      json: { password: PASSWORD, code: '000000' },
    })
    expect(await errorCode(off)).toBe('TOTP_REQUIRED')

    const challenge = await challengeFor(strict, operator.email)
    const pair = await answer(challenge, await nextCode(secret), freshIp(), strict)
    expect(pair.status).toBe(200)
    const next = (await pair.json()) as { access_token: string; totp_enrolment_required: boolean }
    expect(next.totp_enrolment_required).toBe(false)
    expect((await as(strict, next.access_token)('/api/v1/admin/tenants')).status).toBe(200)
  })
})

describe('two-factor races', () => {
  it('one challenge answered 20 times at once signs in once', async () => {
    const person = await member()
    const { secret } = await enrolTotp(db, person.email)
    const challenge = await challengeFor(db, person.email)
    const code = await nextCode(secret)
    const answers = await Promise.all(Array.from({ length: 20 }, () => answer(challenge, code, freshIp())))
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s !== 200).every((s) => s === 401)).toBe(true)
    const [sessions] = await db.owner<{ n: number }>(
      `select count(*)::int as n from audit_log where target_type = 'session' and actor_id = $1 and action = 'auth.login'`,
      [person.id],
    )
    // The confirm's own sign-in (enrolTotp) and the one completed here.
    expect(sessions?.n).toBe(2)
  })

  it('one code sent to 8 challenges at once is accepted once (Postgres refuses the replay)', async () => {
    const person = await member()
    const { secret } = await enrolTotp(db, person.email)
    const challenges = []
    for (let i = 0; i < 8; i++) challenges.push(await challengeFor(db, person.email, freshIp()))
    const code = await nextCode(secret)
    const answers = await Promise.all(challenges.map((c) => answer(c, code, freshIp())))
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 401)).toHaveLength(7)
  })
})
