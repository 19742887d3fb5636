import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, login } from '../../helpers/fixtures.ts'
import { newAddress } from '../../helpers/messaging.ts'
import { book, clinic, created, newPhone, schedulingSetup } from '../../helpers/scheduling.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A weekday at `utcHour`, `days` or more ahead. */
function weekdayAhead(days: number, utcHour: number) {
  const day = new Date(Date.now() + days * 86_400_000)
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1)
  return `${day.toISOString().slice(0, 10)}T${utcHour}:00:00.000Z`
}

/** A customer with two appointments (notes, consent, reminders, confirmation e-mails) and another customer. */
async function withCustomer() {
  const setup = await schedulingSetup(db)
  const { professional, service } = await clinic(setup.call)
  await setup.call('/api/v1/scheduling/reminder-rules', { method: 'PUT', json: { minutes_before: [1440] } })
  const person = { name: 'Joana Dias', phone: newPhone(), email: newAddress() }
  const bookFor = async (customer: typeof person, utcHour: number) =>
    created<{ id: string; customer_id: string; starts_at: string }>(
      await book(setup.call, {
        service_id: service.id,
        professional_id: professional.id,
        starts_at: weekdayAhead(3, utcHour),
        customer,
        notes: 'Alergia a dipirona',
        reminders_consent: true,
      }),
    )
  const first = await bookFor(person, 13)
  const second = await bookFor(person, 16)
  const other = await bookFor({ name: 'Outra Pessoa', phone: newPhone(), email: newAddress() }, 18)
  return { ...setup, person, first, second, other, customerId: first.customer_id }
}

const erase = (call: (path: string, init?: { method?: string }) => Promise<Response>, id: string) =>
  call(`/api/v1/scheduling/customers/${id}/erasure`, { method: 'POST' })

describe('POST /api/v1/scheduling/customers/{id}/erasure', () => {
  it('anonymizes their appointments (times and counts kept), deletes their messages, facts and invitations; audited', async () => {
    const t = await withCustomer()
    const before = await db.owner<{ n: number }>(
      `select count(*)::int as n from outbound_messages where tenant_id = $1 and recipient = $2`,
      [t.tenant.tenantId, t.person.email],
    )
    expect(before[0]?.n).toBe(2)
    const invitations = async () =>
      (
        await t.env.FILES.list({ prefix: `tenants/${t.tenant.tenantId}/scheduling/invitations/` })
      ).objects.map((o) => o.key)
    expect(await invitations()).toHaveLength(3)

    const response = await erase(t.call, t.customerId)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ appointments: 2, outbound_messages: 2 })

    const rows = await db.owner<{
      id: string
      customer_id: string | null
      notes: string | null
      starts_at: Date
      status: string
      customer_erased_at: Date | null
    }>(
      `select id, customer_id, notes, starts_at, status, customer_erased_at from appointments
       where tenant_id = $1 order by starts_at`,
      [t.tenant.tenantId],
    )
    expect(rows.map((r) => [r.id, r.customer_id, r.notes, r.starts_at.toISOString(), r.status])).toEqual([
      [t.first.id, null, null, t.first.starts_at, 'confirmed'],
      [t.second.id, null, null, t.second.starts_at, 'confirmed'],
      [t.other.id, t.other.customer_id, 'Alergia a dipirona', t.other.starts_at, 'confirmed'],
    ])
    expect(rows.slice(0, 2).every((r) => r.customer_erased_at !== null)).toBe(true)
    const [left] = await db.owner<{ messages: number; facts: number; pending: number }>(
      `select (select count(*)::int from outbound_messages where tenant_id = $1 and recipient = $2) as messages,
         (select count(*)::int from scheduling_customer_facts where customer_id = $3) as facts,
         (select count(*)::int from scheduling_reminders where appointment_id = any($4) and status = 'pending') as pending`,
      [t.tenant.tenantId, t.person.email, t.customerId, [t.first.id, t.second.id]],
    )
    expect(left).toEqual({ messages: 0, facts: 0, pending: 0 })
    // The other customer's invitation stays.
    expect(await invitations()).toEqual([expect.stringContaining(`/${t.other.id}-`)])
    const [audit] = await db.owner<{ data: unknown }>(
      `select data from audit_log where tenant_id = $1 and action = 'scheduling.customer_erased'`,
      [t.tenant.tenantId],
    )
    expect(audit?.data).toEqual({ appointments: 2, outboundMessages: 2 })
    // Still counted in the statistics, and read as erased (no name) by the API.
    const day = t.first.starts_at.slice(0, 10)
    const stats = (await (await t.call(`/api/v1/scheduling/stats?from=${day}&to=${day}`)).json()) as {
      by_status: { confirmed: number }
    }
    expect(stats.by_status.confirmed).toBe(3)
    const read = (await (await t.call(`/api/v1/scheduling/appointments/${t.first.id}`)).json()) as Record<
      string,
      unknown
    >
    expect(read.customer_name).toBeNull()
    expect(read.customer_erased_at).not.toBeNull()

    // Again: nothing left of theirs to erase.
    const again = await erase(t.call, t.customerId)
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual({ appointments: 0, outbound_messages: 0 })
  })

  it('404 for an unknown or another tenant’s customer, 400 for a bad id, 403 for an analyst (API keys: the security matrix), 403 without the module', async () => {
    const a = await withCustomer()
    const b = await withCustomer()
    expect((await erase(a.call, b.customerId)).status).toBe(404)
    expect((await erase(a.call, newId('cus'))).status).toBe(404)
    expect((await erase(a.call, 'cus_bad')).status).toBe(400)
    const analyst = await createMember(db, a.tenant.tenantId, 'analyst')
    const asAnalyst = as(a.scoped, (await login(db, analyst.email)).access_token)
    expect((await erase(asAnalyst, a.customerId)).status).toBe(403)
    const [kept] = await db.owner<{ n: number }>(
      'select count(*)::int as n from appointments where customer_id = $1',
      [b.customerId],
    )
    expect(kept?.n).toBe(2)
    const gated = await schedulingSetup(db, { modules: ['calendar'] })
    const off = await erase(gated.call, newId('cus'))
    expect(off.status).toBe(403)
  })
})
