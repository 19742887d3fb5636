import { beforeAll, describe, expect, it } from 'vitest'
import { shopSetup } from '../../helpers/commerce.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember, createTenant } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const PAGE = '/app/commerce/campaigns'

async function signedIn(role: 'owner' | 'viewer', lang = 'en') {
  const fixture = await shopSetup(db)
  const member = await createMember(db, fixture.tenant.tenantId, role)
  const client = portalClient(db, { acceptLanguage: lang })
  await client.login(member.email)
  return { fixture, client }
}

const CREATE = {
  name: 'Semana do café',
  code: '',
  target: 'order',
  kind: 'percent',
  value: '10',
  minimum: '',
  starts: '2026-01-01',
  ends: '',
  budget_kind: 'spend',
  budget_limit: '150,00',
  per_customer: '',
}

describe('campaigns page', () => {
  it('creates a campaign from the form and shows it with its rule, budget and results, in both languages', async () => {
    const { client, fixture } = await signedIn('owner')
    const empty = textOf(await (await client.request(PAGE)).text())
    expect(empty).toContain('No campaigns yet.')
    const created = await client.request(PAGE, { form: { ...CREATE, product_ids: [], category_ids: [] } })
    expect(created.status).toBe(201)
    const text = textOf(await created.text())
    expect(text).toContain('Campaign created.')
    expect(text).toContain('Semana do café')
    expect(text).toContain('10% off the order')
    expect(text).toContain('R$150.00 left of R$150.00')
    expect(text).toContain('Running')
    // No raw ids on screen.
    expect(text).not.toMatch(/cmp_[0-9a-z]{20}/)
    const [row] = await db.owner<{ value: number; budget_limit: number; code: string | null }>(
      'select value, budget_limit, code from commerce_campaigns where tenant_id = $1',
      [fixture.tenant.tenantId],
    )
    expect(row).toEqual({ value: 10, budget_limit: 15_000, code: null })

    const pt = portalClient(db, { acceptLanguage: 'pt-BR' })
    const member = await createMember(db, fixture.tenant.tenantId, 'viewer')
    await pt.login(member.email)
    const ptText = textOf(await (await pt.request(PAGE)).text())
    expect(ptText).toContain('Campanhas e cupons')
    expect(ptText).toContain('10% de desconto no pedido')
    expect(ptText).toContain('Em andamento')
    // A viewer reads the results and has no forms.
    expect(ptText).not.toContain('Nova campanha')
    expect(ptText).not.toContain('Encerrar agora')
  })

  it('refuses bad values beside the field, a taken code with its message; ends a campaign', async () => {
    const { client } = await signedIn('owner')
    const bad = await client.request(PAGE, { form: { ...CREATE, value: '150' } })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('aria-invalid="true"')
    const coupon = { ...CREATE, code: 'CAFE10', budget_kind: 'none', budget_limit: '' }
    expect((await client.request(PAGE, { form: coupon })).status).toBe(201)
    const taken = await client.request(PAGE, { form: { ...coupon, code: 'cafe10' } })
    expect(taken.status).toBe(409)
    expect(textOf(await taken.text())).toContain('Another campaign already uses this coupon code.')
    const html = await (await client.request(PAGE)).text()
    const id = /\/app\/commerce\/campaigns\/(cmp_[0-9a-z]{20})\/end/.exec(html)?.[1]
    expect(id).toBeTruthy()
    const ended = await client.request(`${PAGE}/${id}/end`, { form: {} })
    expect(ended.status).toBe(303)
    expect(ended.headers.get('location')).toBe(`${PAGE}?done=ended`)
    const after = textOf(await (await client.request(`${PAGE}?done=ended`)).text())
    expect(after).toContain('Campaign ended.')
    expect(after).toContain('Ended')
  })

  it('edits the name and the budget; another tenant’s campaign is not found', async () => {
    const { client } = await signedIn('owner')
    await client.request(PAGE, { form: CREATE })
    const html = await (await client.request(PAGE)).text()
    const id = /\/app\/commerce\/campaigns\/(cmp_[0-9a-z]{20})\/end/.exec(html)?.[1]
    const saved = await client.request(`${PAGE}/${id}`, {
      form: { name: 'Semana do café II', ends: '2099-12-31', budget_limit: '200,00' },
    })
    expect(saved.headers.get('location')).toBe(`${PAGE}?done=saved`)
    const text = textOf(await (await client.request(PAGE)).text())
    expect(text).toContain('Semana do café II')
    expect(text).toContain('R$200.00 left of R$200.00')
    const other = await signedIn('owner')
    const foreign = await other.client.request(`${PAGE}/${id}/end`, { form: {} })
    expect(foreign.headers.get('location')).toBe(`${PAGE}?error=NOT_FOUND`)
  })

  it('is refused without the commerce module and without a session', async () => {
    const tenant = await createTenant(db, { modules: ['metrics'] })
    const member = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db)
    expect((await client.request(PAGE)).status).toBe(303)
    await client.login(member.email)
    expect((await client.request(PAGE)).status).toBe(403)
  })
})
