import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember, createOperator, createTenant } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

/** `/admin/plans`: the attendance inbox's monthly messages, edited per plan in place. */
let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
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
