import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember, createOperator, createTenant } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const idIn = (location: string | null, prefix: string) =>
  new RegExp(`${prefix}_[0-9a-z]{20}`).exec(location ?? '')?.[0]

describe('admin central', () => {
  it('creates a tenant, a license and an owner who can then sign in to /app', async () => {
    const operator = await createOperator(db)
    const { planId } = await createTenant(db) // a plan to sell
    const admin = portalClient(db, { acceptLanguage: 'en' })
    expect((await admin.login(operator.email, 'admin')).headers.get('location')).toBe('/admin')
    const dashboard = await admin.request('/admin')
    expect(dashboard.status).toBe(200)
    expect(textOf(await dashboard.text())).toContain('Latest collection failures')

    const slug = `story-${crypto.randomUUID().slice(0, 6)}`
    const created = await admin.request('/admin/tenants', { form: { name: 'Story Ltda', slug } })
    expect(created.status).toBe(303)
    const tenantId = idIn(created.headers.get('location'), 'ten') as string
    expect(tenantId).toBeDefined()

    const taken = await admin.request('/admin/tenants', { form: { name: 'Again', slug } })
    expect(taken.status).toBe(409)
    expect(textOf(await taken.text())).toContain('Another tenant already uses this slug.')

    const license = await admin.request('/admin/licenses', {
      form: {
        tenant_id: tenantId,
        plan_id: planId,
        status: 'active',
        days: '30',
        back: `/admin/tenants/${tenantId}`,
      },
    })
    expect(license.status).toBe(303)
    const user = await admin.request(`/admin/tenants/${tenantId}/users`, {
      form: {
        name: 'Story Owner',
        email: `${slug}@example.test`,
        role: 'owner',
        password: 'a long enough password',
      },
    })
    expect(user.status).toBe(303)
    const page = textOf(await (await admin.request(`/admin/tenants/${tenantId}`)).text())
    expect(page).toContain(`${slug}@example.test`)
    expect(page).toContain('Active')

    const owner = portalClient(db)
    const signIn = await owner.login(`${slug}@example.test`, 'app', 'a long enough password')
    // The operator typed that password: the owner's first stop is changing it (issue 20).
    expect(signIn.headers.get('location')).toBe('/app/account?required=password')

    const audit = textOf(
      await (await admin.request(`/admin/audit?tenant_id=${tenantId}&action=license.`)).text(),
    )
    expect(audit).toContain('license.created')
    expect(audit).not.toContain('tenant.created')

    // Suspension ends the owner's session: their next page asks them to sign in again.
    expect((await admin.request(`/admin/tenants/${tenantId}/suspend`, { form: {} })).status).toBe(303)
    const after = await owner.request('/app/team')
    expect(after.status).toBe(303)
    expect(after.headers.get('location')).toContain('/app/login')
  })

  it('filters licenses and shows a refused transition as a message, not an envelope', async () => {
    const operator = await createOperator(db)
    const tenant = await createTenant(db, { licenseStatus: 'canceled' })
    const admin = portalClient(db, { acceptLanguage: 'en' })
    await admin.login(operator.email, 'admin')
    const list = await admin.request('/admin/licenses?status=canceled')
    expect(list.status).toBe(200)
    const html = await list.text()
    expect(html).toContain(tenant.slug)
    expect(html).not.toContain('/activate"')
    const refused = await admin.request(`/admin/licenses/${tenant.licenseId}/activate`, {
      form: { back: '/admin/licenses' },
    })
    expect(refused.headers.get('location')).toBe('/admin/licenses?error=INVALID_TRANSITION')
    const shown = textOf(await (await admin.request('/admin/licenses?error=INVALID_TRANSITION')).text())
    expect(shown).toContain('That change is not possible from the current status.')
  })

  it('keeps members out of /admin and operators out of /app', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const member = portalClient(db)
    await member.login(owner.email)
    const response = await member.request('/admin/tenants')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/app')
    const forged = await member.request('/admin/tenants', { form: { name: 'x', slug: 'x-member' } })
    expect(forged.status).toBe(303)
    const [row] = await db.owner<{ n: number }>(
      "select count(*)::int as n from tenants where slug = 'x-member'",
    )
    expect(row?.n).toBe(0)
  })
})

describe('client portal pages', () => {
  it('shows a new API key once, then only its prefix; revokes it', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db)
    await client.login(owner.email)
    const created = await client.request('/app/api-keys', { form: { name: 'bi', role: 'viewer' } })
    expect(created.status).toBe(201)
    expect(created.headers.get('cache-control')).toBe('no-store')
    const key = /ik_[0-9a-z]{20}_[A-Za-z0-9_-]{43}/.exec(await created.text())?.[0] as string
    expect(key).toBeDefined()
    const listed = await (await client.request('/app/api-keys')).text()
    expect(listed).not.toContain(key)
    const id = `key_${key.slice(3, 23)}`
    const revoked = await client.request(`/app/api-keys/${id}/revoke`, { form: {} })
    expect(revoked.headers.get('location')).toBe('/app/api-keys?done=revoked')
    const [row] = await db.owner<{ revoked: boolean }>(
      'select revoked_at is not null as revoked from api_keys where id = $1',
      [id],
    )
    expect(row?.revoked).toBe(true)
  })

  it('lists the person’s sessions and ends another one', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const laptop = portalClient(db)
    const phone = portalClient(db)
    await laptop.login(owner.email)
    await phone.login(owner.email)
    const html = await (await laptop.request('/app/sessions')).text()
    const other = [
      ...new Set([...html.matchAll(/\/app\/sessions\/(ses_[0-9a-z]{20})\/revoke/g)].map((m) => m[1])),
    ]
    expect(other).toHaveLength(1)
    const revoke = await laptop.request(`/app/sessions/${other[0]}/revoke`, { form: {} })
    expect(revoke.status).toBe(303)
    expect((await phone.request('/app/team')).headers.get('location')).toContain('/app/login')
    expect((await laptop.request('/app/team')).status).toBe(200)
  })

  it('changes the password only with the current one, inline errors otherwise', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    const wrong = await client.request('/app/account/password', {
      form: {
        current_password: 'nope',
        new_password: 'another long password',
        confirm_password: 'another long password',
      },
    })
    expect(wrong.status).toBe(400)
    expect(textOf(await wrong.text())).toContain('The current password is incorrect.')
    const mismatch = await client.request('/app/account/password', {
      form: {
        current_password: 'correct horse battery staple',
        new_password: 'another long password',
        confirm_password: 'different',
      },
    })
    expect(textOf(await mismatch.text())).toContain('The two new passwords differ.')
    const ok = await client.request('/app/account/password', {
      form: {
        current_password: 'correct horse battery staple',
        new_password: 'another long password',
        confirm_password: 'another long password',
      },
    })
    expect(ok.status).toBe(303)
    expect(ok.headers.get('location')).toBe('/app/account?done=password&ended=0')
  })

  it('invites a member within the plan’s seats and explains the limit when it is reached', async () => {
    const tenant = await createTenant(db, { usersLimit: 2 })
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    const form = (email: string) => ({
      name: 'New',
      email,
      role: 'analyst',
      password: 'a long enough password',
    })
    expect((await client.request('/app/team', { form: form(`a-${tenant.slug}@example.test`) })).status).toBe(
      303,
    )
    const full = await client.request('/app/team', { form: form(`b-${tenant.slug}@example.test`) })
    expect(full.status).toBe(403)
    expect(textOf(await full.text())).toContain('The plan has no free seat')
  })
})
