import { beforeAll, describe, expect, it } from 'vitest'
import {
  calendarSetup,
  createBooking,
  createProperty,
  createSource,
  drain,
  fixture,
  newFeed,
  publishFeed,
} from '../helpers/calendar.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { createMember } from '../helpers/fixtures.ts'
import { portalClient, textOf } from '../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

describe('the calendar page of the client portal', () => {
  it('shows the month with conflicts highlighted, open conflicts and each feed’s sync status, in pt-BR and en', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const property = await createProperty(call, { name: 'Loft Centro' })
    const [airbnb, vrbo] = [newFeed(), newFeed()]
    await publishFeed(airbnb.id, await fixture('airbnb'))
    await publishFeed(vrbo.id, await fixture('vrbo'))
    await createSource(call, property.id, airbnb.url, 'airbnb')
    await createSource(call, property.id, vrbo.url, 'vrbo')
    const broken = await createSource(call, property.id, 'http://127.0.0.1:9/closed.ics', 'other')
    await drain(env, capture)
    await createBooking(call, { property_id: property.id, check_in: '2027-01-28', check_out: '2027-01-30' })

    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const browser = portalClient(db)
    expect((await browser.login(viewer.email)).status).toBe(303)
    const page = await browser.request('/app/calendar?month=2027-01')
    expect(page.status).toBe(200)
    const html = await page.text()
    const text = textOf(html)
    expect(text).toContain('Calendário')
    expect(text).toContain('janeiro de 2027')
    expect(text).toContain(
      'Crítico Loft Centro noites de 2027-01-11 a 2027-01-12 (check-out) (airbnb × vrbo)',
    )
    expect(text).toContain(
      'Crítico Loft Centro noites de 2027-01-12 a 2027-01-14 (check-out) (airbnb × vrbo)',
    )
    // 11–13 January have two stays; 8–10 one; 20–24 a block; 28–29 the manual stay.
    const cells = [...html.matchAll(/<td class="cal-day cal-(\w+)"/g)].map((m) => m[1])
    expect(cells).toHaveLength(31)
    expect(cells.slice(7, 15)).toEqual([
      'booked',
      'booked',
      'booked',
      'conflict',
      'conflict',
      'conflict',
      'booked',
      'free',
    ])
    expect(cells.slice(19, 24)).toEqual(['blocked', 'blocked', 'blocked', 'blocked', 'blocked'])
    expect(cells.slice(27, 30)).toEqual(['booked', 'booked', 'free'])
    expect(text).toContain('the calendar host could not be reached')
    expect(html).not.toContain(airbnb.id)
    expect(html).toContain(`${broken.ical_url}`)

    const english = portalClient(db, { acceptLanguage: 'en' })
    await english.login(viewer.email)
    const en = textOf(await (await english.request('/app/calendar?month=2027-01')).text())
    expect(en).toContain('Critical Loft Centro nights 2027-01-11 to 2027-01-12 (check-out)')
    expect(en).toContain('January 2027')
  })

  it('is refused to a tenant whose plan has no calendar, and sends the signed-out to login', async () => {
    const { tenant } = await calendarSetup(db, { modules: ['metrics'] })
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const browser = portalClient(db)
    expect((await browser.request('/app/calendar')).status).toBe(303)
    await browser.login(owner.email)
    expect((await browser.request('/app/calendar')).status).toBe(403)
  })
})
