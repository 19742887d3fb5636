import { beforeAll, describe, expect, it } from 'vitest'
import { mailbox, runQueued, tokenIn } from '../helpers/accounts.ts'
import { captureQueue, createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { createMember, createOperator, createTenant, login, PASSWORD } from '../helpers/fixtures.ts'
import { portalClient, textOf } from '../helpers/portal.ts'

let db: TestDatabase
let queued: unknown[]
beforeAll(async () => {
  const base = await createTestDatabase()
  const capture = captureQueue()
  // Pages that queue jobs (a reset, an invitation e-mail) record them here for the test to run.
  db = { ...base, env: { ...base.env, JOBS: capture.queue } }
  queued = capture.messages
})

const NEW_PASSWORD = 'a fresh portal passphrase'
const deliver = () => runQueued(db.env, queued)

describe('forgot password, in the members’ portal', () => {
  it('links from the members’ sign-in page only', async () => {
    const client = portalClient(db, { acceptLanguage: 'pt-BR' })
    const app = await (await client.request('/app/login')).text()
    expect(app).toContain('href="/app/password-reset"')
    expect(textOf(app)).toContain('Esqueceu a senha?')
    expect(await (await client.request('/admin/login')).text()).not.toContain('password-reset')
  })

  it('says the same whatever the e-mail, sends the link, and the new password signs in', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'analyst')
    const client = portalClient(db, { acceptLanguage: 'en' })
    const form = await client.request('/app/password-reset')
    expect(form.status).toBe(200)
    expect(textOf(await form.text())).toContain('Reset your password')

    const pages: string[] = []
    for (const email of [member.email, 'nobody-portal@example.test']) {
      const sent = await client.request('/app/password-reset/request', { form: { email } })
      expect(sent.status).toBe(200)
      pages.push(textOf(await sent.text()))
    }
    expect(pages[0]).toContain('Check your e-mail')
    expect(pages[0]).toBe(pages[1])
    await deliver()
    const token = tokenIn((await mailbox(member.email)).at(-1))

    const link = await client.request(`/app/password-reset?token=${token}`)
    expect(link.status).toBe(200)
    expect(link.headers.get('referrer-policy')).toBe('no-referrer')
    const page = await link.text()
    expect(textOf(page)).toContain('Choose a new password')
    expect(page).toContain(`value="${token}"`)

    const mismatch = await client.request('/app/password-reset', {
      form: { token, password: NEW_PASSWORD, confirm_password: 'something else entirely' },
    })
    expect(mismatch.status).toBe(400)
    expect(textOf(await mismatch.text())).toContain('The two new passwords differ.')

    const saved = await client.request('/app/password-reset', {
      form: { token, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD },
    })
    expect(saved.status).toBe(303)
    expect(saved.headers.get('location')).toBe('/app/login?reset=1')
    const notice = textOf(await (await client.request('/app/login?reset=1')).text())
    expect(notice).toContain('Your password was changed and every session ended.')
    const signIn = await client.login(member.email, 'app', NEW_PASSWORD)
    expect(signIn.headers.get('location')).toBe('/app')

    // The link is spent: the form says so and offers a new one, in Portuguese too.
    const spent = await portalClient(db, { acceptLanguage: 'pt-BR' })
    await spent.request('/app/password-reset')
    const again = await spent.request('/app/password-reset', {
      form: { token, password: 'yet another passphrase', confirm_password: 'yet another passphrase' },
    })
    expect(again.status).toBe(400)
    const text = textOf(await again.text())
    expect(text).toContain('Este link não funciona mais')
    expect(text).toContain('Pedir um novo link')
  })

  it('refuses a reset posted without the CSRF token', async () => {
    const client = portalClient(db)
    await client.request('/app/password-reset')
    const refused = await client.request('/app/password-reset/request', {
      form: { email: 'someone@example.test' },
      withoutToken: true,
    })
    expect(refused.status).toBe(403)
    expect(queued).toEqual([])
  })

  it('validates the e-mail beside the field', async () => {
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.request('/app/password-reset')
    const invalid = await client.request('/app/password-reset/request', { form: { email: 'not an e-mail' } })
    expect(invalid.status).toBe(400)
    expect(queued).toEqual([])
  })
})

describe('invitations, in the members’ portal', () => {
  it('invites by e-mail from the team page; the link sets the password and signs the person in', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    const team = await (await client.request('/app/team')).text()
    expect(textOf(team)).toContain('Invite a member')
    expect(team).not.toContain('name="password"')

    const email = `portal-invitee-${crypto.randomUUID().slice(0, 8)}@example.test`
    const sent = await client.request('/app/team', { form: { name: 'Bia', email, role: 'viewer' } })
    expect(sent.status).toBe(303)
    expect(sent.headers.get('location')).toBe('/app/team?done=invited')
    const listed = textOf(await (await client.request('/app/team?done=invited')).text())
    expect(listed).toContain('Invitation sent.')
    expect(listed).toContain('Invited')
    await deliver()
    const [mail] = await mailbox(email)
    // The inviter's page language.
    expect(mail?.subject).toContain('Invitation to')
    const token = tokenIn(mail)

    const invitee = portalClient(db, { acceptLanguage: 'en' })
    const page = await invitee.request(`/app/invitation?token=${token}`)
    expect(textOf(await page.text())).toContain('Join your team on Integra')
    const accepted = await invitee.request('/app/invitation', {
      form: { token, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD },
    })
    expect(accepted.status).toBe(303)
    expect(accepted.headers.get('location')).toBe('/app')
    expect(invitee.jar.has('__Host-session')).toBe(true)
    expect((await invitee.request('/app')).status).toBe(200)
  })

  it('resends and revokes a pending invitation from the team page', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const invited = await createMember(db, tenant.tenantId, 'viewer', { status: 'invited' })
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    const resent = await client.request(`/app/team/${invited.id}/invitation`, { form: {} })
    expect(resent.headers.get('location')).toBe('/app/team?done=resent')
    await deliver()
    expect(await mailbox(invited.email)).toHaveLength(1)
    const revoked = await client.request(`/app/team/${invited.id}/invitation/revoke`, { form: {} })
    expect(revoked.headers.get('location')).toBe('/app/team?done=revoked')
    expect(textOf(await (await client.request('/app/team')).text())).not.toContain(invited.email)
  })
})

describe('a password someone else set, in the portal', () => {
  it('sends the person to the account page until they change it', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'admin')
    await db.owner(`update users set must_change_password = true where id = $1`, [member.id])
    const client = portalClient(db, { acceptLanguage: 'en' })
    const signIn = await client.login(member.email)
    expect(signIn.headers.get('location')).toBe('/app/account?required=password')
    const elsewhere = await client.request('/app/team')
    expect(elsewhere.status).toBe(303)
    expect(elsewhere.headers.get('location')).toBe('/app/account?required=password')
    const account = await client.request('/app/account?required=password')
    expect(account.status).toBe(200)
    expect(textOf(await account.text())).toContain('Your password was set by someone else.')

    const changed = await client.request('/app/account/password', {
      form: { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD },
    })
    expect(changed.status).toBe(303)
    expect((await client.request('/app/team')).status).toBe(200)
  })

  it('does not offer operators a reset link (they have no tenant outbox)', async () => {
    const operator = await createOperator(db)
    await login(db, operator.email)
    const client = portalClient(db)
    expect(await (await client.request('/admin/login')).text()).not.toContain('password-reset')
  })
})
