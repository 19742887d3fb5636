import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../worker/auth/tokens.ts'
import { mailbox, runQueued, tokenIn } from '../../helpers/accounts.ts'
import { setup } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type Member = {
  id: string
  email: string
  name: string
  role: string
  status: string
  invitation_expires_at?: string
}
type Team = Awaited<ReturnType<typeof setup>>

const CHOSEN = 'the password I chose myself'
const person = (role = 'analyst') => ({
  email: `invitee-${crypto.randomUUID().slice(0, 8)}@example.test`,
  name: 'Ana Convidada',
  role,
})

/** Invites through the API as the team's owner and delivers the e-mail; answers the member and the link's token. */
async function invite(team: Team, body: Record<string, unknown> = person()) {
  const response = await team.call('/api/v1/users', { method: 'POST', json: body })
  expect(response.status).toBe(201)
  const member = (await response.json()) as Member
  await runQueued(team.env, team.capture.messages)
  return { member, token: tokenIn((await mailbox(member.email)).at(-1)) }
}

const accept = (token: string, password = CHOSEN) =>
  callWorker(db.env, '/api/v1/auth/invitations/accept', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.61' },
    body: JSON.stringify({ token, password }),
  })

const auditActions = async (targetId: string) =>
  (
    await db.owner<{ action: string }>(
      `select action from audit_log where target_id = $1 and action like 'user.%' order by created_at, id`,
      [targetId],
    )
  ).map((row) => row.action)

describe('invitations by e-mail', () => {
  it('invites without a password, e-mails a 7-day link, and the accepted invitation signs the member in', async () => {
    const team = await setup(db)
    const body = person('admin')
    const { member, token } = await invite(team, body)
    expect(member).toMatchObject({ email: body.email, role: 'admin', status: 'invited' })
    const days = (Date.parse(member.invitation_expires_at ?? '') - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(6.9)
    expect(days).toBeLessThanOrEqual(7)
    const [mail] = await mailbox(body.email)
    expect(mail?.subject).toBe(`Convite para Tenant ${team.tenant.slug} no Integra`)
    expect(mail?.text).toContain('https://integra.test/app/invitation?token=inv_')
    expect(mail?.text).toContain('owner user convidou você')

    // Listed as invited; cannot sign in before accepting.
    const listed = (await (await team.call('/api/v1/users?status=invited')).json()) as { data: Member[] }
    expect(listed.data.map((user) => user.id)).toEqual([member.id])
    await expect(login(db, body.email, CHOSEN)).rejects.toThrow(/401/)

    const accepted = await accept(token)
    expect(accepted.status).toBe(200)
    const pair = (await accepted.json()) as { access_token: string; password_change_required: boolean }
    expect(pair.password_change_required).toBe(false)
    const me = (await (await as(db, pair.access_token)('/api/v1/auth/me')).json()) as {
      user: { id: string }
      principal: { role: string }
    }
    expect(me).toMatchObject({ user: { id: member.id }, principal: { role: 'admin' } })
    expect((await login(db, body.email, CHOSEN)).access_token).toBeTruthy()

    const again = await accept(token, 'another password entirely')
    expect(again.status).toBe(400)
    expect(await errorCode(again)).toBe('INVALID_ACCOUNT_TOKEN')
    expect(await auditActions(member.id)).toEqual(['user.invited', 'user.invitation_accepted'])
    const stored = await db.owner<{ token_hash: string }>(
      `select token_hash from account_tokens where user_id = $1`,
      [member.id],
    )
    expect(stored).toEqual([{ token_hash: await sha256Hex(token) }])
  })

  it('writes the invitation in the language asked for', async () => {
    const team = await setup(db)
    const body = { ...person(), locale: 'en' }
    await invite(team, body)
    const [mail] = await mailbox(body.email)
    expect(mail?.subject).toBe(`Invitation to Tenant ${team.tenant.slug} on Integra`)
    expect(mail?.text).toContain('7 days')
  })

  it('counts pending invitations against the plan’s seats, and a revoked one frees its seat', async () => {
    // Seats: the owner and one more.
    const team = await setup(db, { usersLimit: 2 })
    const { member, token } = await invite(team)
    const full = await team.call('/api/v1/users', { method: 'POST', json: person() })
    expect(full.status).toBe(403)
    expect(await errorCode(full)).toBe('USERS_LIMIT_REACHED')
    const tenant = (await (await team.call('/api/v1/tenant')).json()) as { usage: { users: number } }
    expect(tenant.usage.users).toBe(2)

    const revoked = await team.call(`/api/v1/users/${member.id}/invitation`, { method: 'DELETE' })
    expect(revoked.status).toBe(204)
    expect(await db.owner(`select 1 from users where id = $1`, [member.id])).toEqual([])
    expect(await errorCode(await accept(token))).toBe('INVALID_ACCOUNT_TOKEN')
    expect(await auditActions(member.id)).toEqual(['user.invited', 'user.invitation_revoked'])
    await invite(team)
  })

  it('resends with a new link that replaces the old one', async () => {
    const team = await setup(db)
    const { member, token: first } = await invite(team)
    const resent = await team.call(`/api/v1/users/${member.id}/invitation`, { method: 'POST', json: {} })
    expect(resent.status).toBe(200)
    await runQueued(team.env, team.capture.messages)
    const mails = await mailbox(member.email)
    expect(mails).toHaveLength(2)
    const second = tokenIn(mails.at(-1))
    expect(second).not.toBe(first)
    expect(await errorCode(await accept(first))).toBe('INVALID_ACCOUNT_TOKEN')
    expect((await accept(second)).status).toBe(200)
    // Joined: nothing left to resend or revoke.
    for (const method of ['POST', 'DELETE']) {
      const response = await team.call(`/api/v1/users/${member.id}/invitation`, {
        method,
        ...(method === 'POST' ? { json: {} } : {}),
      })
      expect(response.status).toBe(409)
      expect(await errorCode(response)).toBe('NOT_INVITED')
    }
  })

  it('refuses an expired link, and deactivating or reactivating an invited member', async () => {
    const team = await setup(db)
    const { member, token } = await invite(team)
    for (const action of ['deactivate', 'reactivate']) {
      const response = await team.call(`/api/v1/users/${member.id}/${action}`, { method: 'POST' })
      expect(response.status).toBe(409)
      expect(await errorCode(response)).toBe('INVALID_TRANSITION')
    }
    await db.owner(`update account_tokens set expires_at = now() - interval '1 second' where user_id = $1`, [
      member.id,
    ])
    expect(await errorCode(await accept(token))).toBe('INVALID_ACCOUNT_TOKEN')
  })

  it('refuses an e-mail that already has an account, and validates', async () => {
    const team = await setup(db)
    const other = await createTenant(db)
    const taken = await createMember(db, other.tenantId, 'viewer')
    const response = await team.call('/api/v1/users', {
      method: 'POST',
      json: { ...person(), email: taken.email },
    })
    expect(response.status).toBe(409)
    expect(await errorCode(response)).toBe('EMAIL_TAKEN')
    for (const json of [
      { ...person(), locale: 'fr' },
      { ...person(), role: 'operator' },
    ]) {
      const invalid = await team.call('/api/v1/users', { method: 'POST', json })
      expect(invalid.status).toBe(400)
      expect(await errorCode(invalid)).toBe('VALIDATION_FAILED')
    }
    for (const body of [
      { token: 'inv_short', password: CHOSEN },
      { token: `inv_${'c'.repeat(43)}`, password: 'short' },
    ]) {
      const invalid = await callWorker(db.env, '/api/v1/auth/invitations/accept', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(invalid.status).toBe(400)
      expect(await errorCode(invalid)).toBe('VALIDATION_FAILED')
    }
  })

  it('keeps invitations to owners and admins: another tenant’s member is a 404, a viewer a 403', async () => {
    const team = await setup(db)
    const other = await setup(db)
    const { member } = await invite(other)
    for (const method of ['POST', 'DELETE']) {
      const response = await team.call(`/api/v1/users/${member.id}/invitation`, {
        method,
        ...(method === 'POST' ? { json: {} } : {}),
      })
      expect(response.status).toBe(404)
    }
    const viewer = await createMember(db, team.tenant.tenantId, 'viewer')
    const asViewer = as(team.scoped, (await login(db, viewer.email)).access_token)
    const refused = await asViewer('/api/v1/users', { method: 'POST', json: person() })
    expect(refused.status).toBe(403)
    // An admin cannot invite an owner.
    const admin = await createMember(db, team.tenant.tenantId, 'admin')
    const asAdmin = as(team.scoped, (await login(db, admin.email)).access_token)
    expect((await asAdmin('/api/v1/users', { method: 'POST', json: person('owner') })).status).toBe(403)
    expect(
      (await callWorker(db.env, `/api/v1/users/${member.id}/invitation`, { method: 'DELETE' })).status,
    ).toBe(401)
  })

  it('lets one of two racing acceptances win', async () => {
    const team = await setup(db)
    const { token } = await invite(team)
    const answers = await Promise.all([
      accept(token, 'first racer passphrase'),
      accept(token, 'second racer passphrase'),
    ])
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400])
  })
})
