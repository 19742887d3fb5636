import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember, createOperator, createTenant, PASSWORD } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const LIST = '/admin/privacy/erasure-requests'

/** A tenant whose owner asked for its erasure in the client portal. */
async function ownerRequest() {
  const tenant = await createTenant(db)
  const owner = await createMember(db, tenant.tenantId, 'owner')
  const client = portalClient(db, { acceptLanguage: 'en' })
  await client.login(owner.email)
  const asked = await client.request('/app/privacy/erasure', { form: { confirm: 'yes' } })
  expect(asked.headers.get('location')).toBe('/app/privacy?done=erasure')
  return tenant
}

async function signedInOperator(acceptLanguage: string) {
  const operator = await createOperator(db)
  const client = portalClient(db, { acceptLanguage })
  await client.login(operator.email, 'admin')
  return client
}

/** The row of one tenant's request in the page: its confirm or cancel form's action names the request. */
function requestIdOf(html: string, slug: string): string {
  const row = html.split('<tr').find((part) => part.includes(slug)) ?? ''
  const id = /\/admin\/privacy\/erasure-requests\/(era_[0-9a-z]{20})\//.exec(row)?.[1]
  if (!id) throw new Error(`no erasure request row for ${slug}`)
  return id
}

describe('admin central erasure requests page', () => {
  it('confirms with the slug and password typed again, then shows the time left and the cancel form', async () => {
    const tenant = await ownerRequest()
    const admin = await signedInOperator('en')
    const list = await admin.request(LIST)
    expect(list.status).toBe(200)
    const html = await list.text()
    const id = requestIdOf(html, tenant.slug)
    const text = textOf(html)
    expect(text).toContain('Erasure requests')
    expect(text).toContain('The whole tenant')
    expect(text).toContain('7 days after confirmation')
    expect(html).toContain('name="tenant_slug"')
    expect(html).toContain('name="password" type="password"')

    const confirm = (form: Record<string, string>, withoutToken = false) =>
      admin.request(`${LIST}/${id}/confirm`, { form, withoutToken })
    expect((await confirm({ tenant_slug: tenant.slug, password: PASSWORD }, true)).status).toBe(403)
    const wrongSlug = await confirm({ tenant_slug: 'another-tenant', password: PASSWORD })
    expect(wrongSlug.headers.get('location')).toBe(`${LIST}?error=TENANT_SLUG_MISMATCH`)
    expect(textOf(await (await admin.request(`${LIST}?error=TENANT_SLUG_MISMATCH`)).text())).toContain(
      "The slug typed does not match the tenant's.",
    )
    const wrongPassword = await confirm({ tenant_slug: tenant.slug, password: 'not the password' })
    expect(wrongPassword.headers.get('location')).toBe(`${LIST}?error=WRONG_PASSWORD`)
    const empty = await confirm({ tenant_slug: '', password: '' })
    expect(empty.headers.get('location')).toBe(`${LIST}?error=VALIDATION_FAILED`)
    const confirmed = await confirm({ tenant_slug: tenant.slug, password: PASSWORD })
    expect(confirmed.status).toBe(303)
    expect(confirmed.headers.get('location')).toBe(`${LIST}?done=confirmed`)

    // Scheduled: the time left and the deadline, and a cancel form with a reason; no ids on screen.
    const scheduled = await (await admin.request(`${LIST}?done=confirmed`)).text()
    const shown = textOf(scheduled)
    expect(shown).toContain('the tenant is suspended and will be deleted when the grace period ends')
    expect(shown).toContain('Scheduled')
    expect(shown).toMatch(/6 days and 23 hours left|7 days left/)
    // An operator without a zone of their own reads São Paulo's (GMT-3), never UTC.
    expect(scheduled).toMatch(/<time datetime="\d{4}-\d{2}-\d{2}T[\d:.]+Z">[^<]*GMT-3<\/time>/)
    expect(scheduled).toContain(`action="${LIST}/${id}/cancel"`)
    expect(scheduled).toContain('name="reason"')
    expect(shown).toContain('Cancel erasure')
    expect(shown).not.toMatch(/\b(era|ten|opr|usr)_[0-9a-z]{20}\b/)

    // In Portuguese, in the zone the operator chose (Manaus), wherever the request comes from.
    const pt = await signedInOperator('pt-BR')
    const saved = await pt.request('/admin/account/time-zone', { form: { time_zone: 'America/Manaus' } })
    expect(saved.headers.get('location')).toBe('/admin/account?done=time-zone#time-zone')
    const cookie = [...pt.jar].map(([name, value]) => `${name}=${value}`).join('; ')
    const zoned = await callWorker(db.env, LIST, {
      headers: { cookie, 'accept-language': 'pt-BR' },
      cf: { timezone: 'Asia/Tokyo' },
    } as RequestInit)
    const zonedText = textOf(await zoned.text())
    expect(zonedText).toContain('Pedidos de eliminação')
    expect(zonedText).toMatch(/faltam (6 dias e 23 horas|7 dias)/)
    expect(zonedText).toMatch(/\d{2}:\d{2} (AMT|GMT-4)/)
    expect(zonedText).not.toMatch(/GMT\+9|JST/)
    expect(zonedText).toContain('Cancelar eliminação')

    // Canceled with a reason: the tenant is back, the row says why.
    const noReason = await admin.request(`${LIST}/${id}/cancel`, { form: { reason: '' } })
    expect(noReason.headers.get('location')).toBe(`${LIST}?error=VALIDATION_FAILED`)
    const canceled = await admin.request(`${LIST}/${id}/cancel`, {
      form: { reason: 'Signed a new contract' },
    })
    expect(canceled.headers.get('location')).toBe(`${LIST}?done=canceled`)
    const after = textOf(await (await admin.request(`${LIST}?done=canceled`)).text())
    expect(after).toContain('Erasure canceled: everything is as it was before.')
    expect(after).toContain('Signed a new contract')
    expect(await db.owner('select status from tenants where id = $1', [tenant.tenantId])).toEqual([
      { status: 'active' },
    ])
    const again = await admin.request(`${LIST}/${id}/cancel`, { form: { reason: 'Once more' } })
    expect(again.headers.get('location')).toBe(`${LIST}?error=ERASURE_ALREADY_CANCELED`)
  })

  it('is for operators only', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const member = portalClient(db)
    await member.login(owner.email)
    expect((await member.request(LIST)).status).toBe(303)
  })
})
