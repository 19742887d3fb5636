import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember, createOperator, createTenant } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

/** `/admin/plans`: the attendance inbox's monthly messages, edited per plan in place. */
let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const storesLimitOf = async (planId: string) =>
  (await db.owner<{ stores_limit: number }>('select stores_limit from plans where id = $1', [planId]))[0]
    ?.stores_limit

async function operatorClient(lang = 'pt-BR') {
  const operator = await createOperator(db)
  const client = portalClient(db, { acceptLanguage: lang })
  expect((await client.login(operator.email, 'admin')).status).toBe(303)
  return client
}

describe('/admin/plans: the stores limit (commerce)', () => {
  it('shows each plan’s stores limit and lets an operator change it in place', async () => {
    const tenant = await createTenant(db, { modules: ['commerce'], storesLimit: 1 })
    const admin = await operatorClient()
    const page = await admin.request('/admin/plans')
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(textOf(html)).toContain('Lojas (comércio)')
    expect(html).toContain(`action="/admin/plans/${tenant.planId}/stores-limit"`)
    const saved = await admin.request(`/admin/plans/${tenant.planId}/stores-limit`, { form: { stores: '4' } })
    expect(saved.status).toBe(303)
    expect(saved.headers.get('location')).toBe('/admin/plans?done=stores')
    expect(await storesLimitOf(tenant.planId)).toBe(4)
    expect(textOf(await (await admin.request('/admin/plans?done=stores')).text())).toContain(
      'Limite de lojas salvo.',
    )
    const audit = await db.owner<{ action: string }>(
      `select action from audit_log where target_id = $1 order by created_at desc limit 1`,
      [tenant.planId],
    )
    expect(audit).toEqual([{ action: 'plan.updated' }])
  })

  it('refuses a bad number without a 500, and creates plans with a stores limit (English)', async () => {
    const tenant = await createTenant(db, { modules: ['commerce'], storesLimit: 2 })
    const admin = await operatorClient('en')
    for (const stores of ['-1', 'x', '', '100000']) {
      const refused = await admin.request(`/admin/plans/${tenant.planId}/stores-limit`, { form: { stores } })
      expect(refused.status).toBe(303)
      expect(refused.headers.get('location')).toBe('/admin/plans?error=VALIDATION_FAILED')
    }
    expect(await storesLimitOf(tenant.planId)).toBe(2)
    const unknown = await admin.request('/admin/plans/pln_00000000000000000000/stores-limit', {
      form: { stores: '3' },
    })
    expect(unknown.headers.get('location')).toBe('/admin/plans?error=NOT_FOUND')
    const code = `shop-${crypto.randomUUID().slice(0, 8)}`
    const created = await admin.request('/admin/plans', {
      form: {
        code,
        name: 'Shop',
        modules: 'commerce',
        users: '5',
        connections: '1',
        retention_days: '30',
        collection_interval_minutes: '60',
        stores: '7',
      },
    })
    expect(created.status).toBe(303)
    const [row] = await db.owner<{ stores_limit: number }>('select stores_limit from plans where code = $1', [
      code,
    ])
    expect(row?.stores_limit).toBe(7)
    expect(textOf(await (await admin.request('/admin/plans')).text())).toContain('Stores (commerce)')
  })

  it('is not a member’s to change, and refuses a post without the CSRF token', async () => {
    const tenant = await createTenant(db, { modules: ['commerce'], storesLimit: 1 })
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const member = portalClient(db)
    await member.login(owner.email)
    const tried = await member.request(`/admin/plans/${tenant.planId}/stores-limit`, {
      form: { stores: '50' },
    })
    expect(tried.status).toBe(303)
    expect(tried.headers.get('location')).not.toContain('done=')
    const admin = await operatorClient()
    const forged = await admin.request(`/admin/plans/${tenant.planId}/stores-limit`, {
      form: { stores: '50' },
      withoutToken: true,
    })
    expect(forged.status).toBe(403)
    expect(await storesLimitOf(tenant.planId)).toBe(1)
  })
})

const limitOf = async (planId: string) =>
  (
    await db.owner<{ n: number }>('select attendance_messages_limit as n from plans where id = $1', [planId])
  )[0]?.n

describe('/admin/plans: WhatsApp messages per month', () => {
  it('shows each plan’s limit and saves a new one, refusing what is not a count', async () => {
    const operator = await createOperator(db)
    const { planId } = await createTenant(db)
    for (const [language, heading] of [
      ['pt-BR', 'Mensagens de WhatsApp / mês'],
      ['en', 'WhatsApp messages / month'],
    ] as const) {
      const admin = portalClient(db, { acceptLanguage: language })
      await admin.login(operator.email, 'admin')
      const page = await admin.request('/admin/plans')
      expect(page.status).toBe(200)
      const html = await page.text()
      expect(textOf(html)).toContain(heading)
      expect(html).toContain(`action="/admin/plans/${planId}/attendance-limit"`)
    }
    const admin = portalClient(db, { acceptLanguage: 'en' })
    await admin.login(operator.email, 'admin')
    const saved = await admin.request(`/admin/plans/${planId}/attendance-limit`, {
      form: { attendance_messages: '250' },
    })
    expect(saved.status).toBe(303)
    expect(saved.headers.get('location')).toBe('/admin/plans?done=updated')
    expect(await limitOf(planId)).toBe(250)
    expect(textOf(await (await admin.request('/admin/plans?done=updated')).text())).toContain('Plan updated.')
    for (const value of ['-1', 'many', '1.5', '']) {
      const refused = await admin.request(`/admin/plans/${planId}/attendance-limit`, {
        form: { attendance_messages: value },
      })
      expect(refused.headers.get('location'), value).toBe('/admin/plans?error=VALIDATION_FAILED')
    }
    expect(await limitOf(planId)).toBe(250)
    const unknown = await admin.request('/admin/plans/pln_00000000000000000000/attendance-limit', {
      form: { attendance_messages: '5' },
    })
    expect(unknown.headers.get('location')).toBe('/admin/plans?error=NOT_FOUND')

    // A tenant member is no operator: the admin area refuses them.
    const { tenantId } = await createTenant(db)
    const owner = await createMember(db, tenantId, 'owner')
    const member = portalClient(db)
    await member.login(owner.email)
    const denied = await member.request(`/admin/plans/${planId}/attendance-limit`, {
      form: { attendance_messages: '9' },
    })
    expect([303, 403]).toContain(denied.status)
    expect(await limitOf(planId)).toBe(250)
  })
})
