import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { portalClient } from '../../helpers/portal.ts'
import { book, clinic, created, schedulingSetup } from '../../helpers/scheduling.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** Monday of last week (UTC date): past, so its appointments can be closed as attended or no-show. */
function lastMonday() {
  const day = new Date(Date.now() - 7 * 86_400_000)
  while (day.getUTCDay() !== 1) day.setUTCDate(day.getUTCDate() - 1)
  return day.toISOString().slice(0, 10)
}
const plus = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

type Stats = {
  by_status: Record<string, number>
  no_show_rate: number | null
  days: { date: string; appointments: number }[]
  professionals: { id: string; booked_minutes: number; working_minutes: number; occupancy: number | null }[]
  revenue: { service_id: string; revenue_cents: number; appointments: number; currency: string }[]
}

/**
 * A clinic (weekdays 9–18 with lunch, 8 h a day, in São Paulo) with last week's appointments:
 * two attended, one no-show, one cancelled, one still confirmed, and the Tuesday off.
 */
async function lastWeek() {
  const setup = await schedulingSetup(db)
  const { professional, service } = await clinic(setup.call, { price_cents: 15000 })
  const monday = lastMonday()
  const off = await setup.call(`/api/v1/scheduling/professionals/${professional.id}/exceptions`, {
    method: 'PUT',
    json: { date: plus(monday, 1), kind: 'off' },
  })
  expect(off.status).toBeLessThan(300)
  const at = async (day: number, utcHour: number, status?: string) => {
    const appointment = await created<{ id: string }>(
      await book(setup.call, {
        service_id: service.id,
        professional_id: professional.id,
        starts_at: `${plus(monday, day)}T${utcHour}:00:00.000Z`,
      }),
    )
    if (status)
      await created(
        await setup.call(`/api/v1/scheduling/appointments/${appointment.id}/status`, {
          method: 'POST',
          json: { status },
        }),
        200,
      )
    return appointment
  }
  await at(0, 13, 'done')
  await at(0, 17, 'no_show')
  await at(2, 13, 'cancelled')
  await at(3, 13)
  await at(4, 13, 'done')
  return { ...setup, professional, service, monday, sunday: plus(monday, 6) }
}

describe('GET /api/v1/scheduling/stats', () => {
  it('counts by status and day, the no-show rate, occupancy and revenue, in SQL', async () => {
    const { call, monday, sunday, professional, service } = await lastWeek()
    const response = await call(
      `/api/v1/scheduling/stats?from=${monday}&to=${sunday}&time_zone=America/Sao_Paulo`,
    )
    expect(response.status).toBe(200)
    const stats = (await response.json()) as Stats
    expect(stats.by_status).toEqual({ pending: 0, confirmed: 1, cancelled: 1, no_show: 1, done: 2 })
    expect(stats.no_show_rate).toBeCloseTo(1 / 3)
    expect(stats.days).toEqual([
      { date: monday, appointments: 2 },
      { date: plus(monday, 3), appointments: 1 },
      { date: plus(monday, 4), appointments: 1 },
    ])
    // Four weekdays of 8 hours (the Tuesday off); four hours kept (attended, no-show, confirmed).
    expect(stats.professionals).toEqual([
      expect.objectContaining({
        id: professional.id,
        booked_minutes: 240,
        working_minutes: 1920,
        occupancy: 0.125,
      }),
    ])
    expect(stats.revenue).toEqual([
      { service_id: service.id, name: service.name, currency: 'BRL', revenue_cents: 30000, appointments: 2 },
    ])

    // One day: Monday only.
    const monday1 = (await (
      await call(`/api/v1/scheduling/stats?from=${monday}&to=${monday}`)
    ).json()) as Stats
    expect(monday1.by_status).toEqual({ pending: 0, confirmed: 0, cancelled: 0, no_show: 1, done: 1 })
    expect(monday1.professionals[0]?.working_minutes).toBe(480)
  })

  it('answers 400 to bad ranges; 401 without a credential; another tenant counts only its own; module off 403', async () => {
    const { call, monday, sunday } = await lastWeek()
    for (const query of [
      `from=${sunday}&to=${monday}`,
      `from=2026-01-01&to=2027-06-01`,
      'from=tomorrow&to=2027-01-01',
      `from=${monday}`,
      `from=${monday}&to=${sunday}&time_zone=Mars/Olympus`,
    ]) {
      const response = await call(`/api/v1/scheduling/stats?${query}`)
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED')
    }
    expect((await callWorker(db.env, `/api/v1/scheduling/stats?from=${monday}&to=${sunday}`)).status).toBe(
      401,
    )
    const other = await schedulingSetup(db)
    const theirs = (await (
      await other.call(`/api/v1/scheduling/stats?from=${monday}&to=${sunday}`)
    ).json()) as Stats
    expect(theirs.by_status).toEqual({ pending: 0, confirmed: 0, cancelled: 0, no_show: 0, done: 0 })
    expect(theirs.revenue).toEqual([])
    const gated = await schedulingSetup(db, { modules: ['calendar'] })
    const off = await gated.call(`/api/v1/scheduling/stats?from=${monday}&to=${sunday}`)
    expect(off.status).toBe(403)
    expect(((await off.json()) as { error: { code: string } }).error.code).toBe('MODULE_DISABLED')
  })

  it('the week on /app/schedule shows the same numbers as the API', async () => {
    const { call, monday, sunday, tenant } = await lastWeek()
    const api = (await (await call(`/api/v1/scheduling/stats?from=${monday}&to=${sunday}`)).json()) as Stats
    const member = await createMember(db, tenant.tenantId, 'viewer')
    const browser = portalClient(db, { acceptLanguage: 'pt-BR' })
    await browser.login(member.email)
    // Any day of the week shows that week's numbers.
    const html = await (await browser.request(`/app/schedule?day=${plus(monday, 2)}`)).text()
    const stat = (name: string) => new RegExp(`data-stat="${name}"[^>]*>([^<]*)<`).exec(html)?.[1]
    for (const status of ['pending', 'confirmed', 'cancelled', 'no_show', 'done'])
      expect(stat(status)).toBe(String(api.by_status[status]))
    const value = (name: string) =>
      [...html.matchAll(new RegExp(`data-stat="${name}" data-value="([^"]*)"`, 'g'))].map((m) => m[1])
    expect(value('no_show_rate')).toEqual([String(api.no_show_rate)])
    expect(value('occupancy')).toEqual(api.professionals.map((p) => String(p.occupancy)))
    expect(value('revenue')).toEqual(api.revenue.map((r) => String(r.revenue_cents)))
    expect(html).toContain('33,3%')
    expect(html).toContain('12,5%')
    expect(html).toContain('R$&nbsp;300,00'.replace('&nbsp;', '\u00a0'))
  })
})
