import { beforeAll, describe, expect, it } from 'vitest'
import { base32Decode, totp } from '../../worker/auth/totp.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { createMember, createOperator, createTenant, PASSWORD } from '../helpers/fixtures.ts'
import { portalClient, textOf } from '../helpers/portal.ts'
import { enrolTotp } from '../helpers/two-factor.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const challengeIn = (html: string) => /name="challenge_token" value="([^"]+)"/.exec(html)?.[1] ?? ''
const secretIn = (html: string) =>
  (/<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(html)?.[1] ?? '').replace(/\s/g, '')
const nextCode = (secret: Uint8Array) => totp(secret, new Date(Date.now() + 30_000))

describe('two-factor sign-in in the portals', () => {
  it('sets it up from the account page (key as text and otpauth link, code, recovery codes), then asks for the code at sign-in', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'analyst')
    const portal = portalClient(db, { acceptLanguage: 'en' })
    expect((await portal.login(member.email)).status).toBe(303)

    const page = await (await portal.request('/app/account')).text()
    expect(textOf(page)).toContain('Two-factor sign-in')
    expect(textOf(page)).toContain('Off.')

    const wrong = await portal.request('/app/account/two-factor/enrol', { form: { password: 'not it' } })
    expect(wrong.status).toBe(400)
    expect(textOf(await wrong.text())).toContain('password is incorrect')

    const enrolling = await portal.request('/app/account/two-factor/enrol', { form: { password: PASSWORD } })
    expect(enrolling.status).toBe(200)
    expect(enrolling.headers.get('cache-control')).toContain('no-store')
    const html = await enrolling.text()
    expect(html).toContain('href="otpauth://totp/Integra:')
    const secret = base32Decode(secretIn(html)) as Uint8Array
    expect(secret.length).toBe(20)

    const badCode = await portal.request('/app/account/two-factor/confirm', { form: { code: '000000' } })
    expect(badCode.status).toBe(400)
    expect(textOf(await badCode.text())).toContain('The code is not valid')
    const confirmed = await portal.request('/app/account/two-factor/confirm', {
      form: { code: await totp(secret, new Date()) },
    })
    expect(confirmed.status).toBe(200)
    const codes = [...(await confirmed.text()).matchAll(/<code>([0-9a-z]{5}-[0-9a-z]{5})<\/code>/g)].map(
      (m) => m[1],
    )
    expect(codes).toHaveLength(10)

    // Signing in again: the password, then the second form.
    const next = portalClient(db, { acceptLanguage: 'en' })
    const first = await next.login(member.email)
    expect(first.status).toBe(200)
    const form = await first.text()
    expect(textOf(form)).toContain('Type the 6-digit code')
    expect(form).not.toContain(PASSWORD)
    const challenge = challengeIn(form)
    const refused = await next.request('/app/login/two-factor', {
      form: { challenge_token: challenge, code: '000000' },
    })
    expect(refused.status).toBe(401)
    expect(challengeIn(await refused.text())).toBe(challenge)
    const done = await next.request('/app/login/two-factor', {
      form: { challenge_token: challenge, code: await nextCode(secret) },
    })
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/app')
    expect((await next.request('/app/account')).status).toBe(200)

    // A dead challenge goes back to the password form.
    const dead = await next.request('/app/login/two-factor', {
      form: { challenge_token: challenge, code: codes[0] as string },
    })
    expect(dead.status).toBe(401)
    expect(textOf(await dead.text())).toContain('This sign-in has expired')
  })

  it('turns it off from the account page with the password and a recovery code (pt-BR)', async () => {
    const tenant = await createTenant(db)
    const member = await createMember(db, tenant.tenantId, 'viewer')
    const { recoveryCodes } = await enrolTotp(db, member.email)
    const portal = portalClient(db, { acceptLanguage: 'pt-BR' })
    const first = await portal.login(member.email)
    const challenge = challengeIn(await first.text())
    expect(
      (
        await portal.request('/app/login/two-factor', {
          form: { challenge_token: challenge, code: recoveryCodes[0] as string },
        })
      ).status,
    ).toBe(303)
    const page = textOf(await (await portal.request('/app/account')).text())
    expect(page).toContain('Ativada desde')
    expect(page).toContain('Códigos de recuperação restantes: 9.')
    const off = await portal.request('/app/account/two-factor/disable', {
      form: { password: PASSWORD, disable_code: recoveryCodes[1] as string },
    })
    expect(off.status).toBe(303)
    expect(off.headers.get('location')).toBe('/app/account?done=two-factor-off')
    expect(textOf(await (await portal.request('/app/account?done=two-factor-off')).text())).toContain(
      'A verificação em duas etapas está desativada.',
    )
  })

  it('lets the owner require it; a member without it is sent to the account page and nowhere else', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const viewerPortal = portalClient(db, { acceptLanguage: 'en' })
    await viewerPortal.login(viewer.email)

    const { secret } = await enrolTotp(db, owner.email)
    const ownerPortal = portalClient(db, { acceptLanguage: 'en' })
    const first = await ownerPortal.login(owner.email)
    await ownerPortal.request('/app/login/two-factor', {
      form: { challenge_token: challengeIn(await first.text()), code: await nextCode(secret) },
    })
    const page = textOf(await (await ownerPortal.request('/app/account')).text())
    expect(page).toContain('Optional for members.')
    const on = await ownerPortal.request('/app/account/two-factor/tenant', { form: { required: 'true' } })
    expect(on.status).toBe(200)
    expect(textOf(await on.text())).toContain('Members who have not set it up yet: 1.')

    // The viewer's next page is the account page, asking for the enrolment.
    const sent = await viewerPortal.request('/app')
    expect(sent.status).toBe(303)
    expect(sent.headers.get('location')).toBe('/app/account?required=totp')
    const account = textOf(await (await viewerPortal.request('/app/account?required=totp')).text())
    expect(account).toContain('Your account must sign in with a second factor')
    // The switch is not theirs: a forged post is refused beside the form.
    const forged = await viewerPortal.request('/app/account/two-factor/tenant', {
      form: { required: 'false' },
    })
    expect(forged.status).toBe(403)
  })

  it('works for operators in the admin central', async () => {
    const operator = await createOperator(db)
    const { secret } = await enrolTotp(db, operator.email)
    const portal = portalClient(db, { acceptLanguage: 'en' })
    const first = await portal.login(operator.email, 'admin')
    expect(first.status).toBe(200)
    const done = await portal.request('/admin/login/two-factor', {
      form: { challenge_token: challengeIn(await first.text()), code: await nextCode(secret) },
    })
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/admin')
    const page = textOf(await (await portal.request('/admin/account')).text())
    expect(page).toContain('On since')
    // No tenant switch for operators.
    expect(page).not.toContain('For everyone in the organization')
  })
})
