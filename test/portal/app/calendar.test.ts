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
} from '../../helpers/calendar.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

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

  it('shows the statistics of a period from seeded bookings: occupancy chart, nights, channels and average stay, in pt-BR and en', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const loft = await createProperty(call, { name: 'Loft Centro' })
    const beach = await createProperty(call, { name: 'Casa Praia' })
    const [airbnb, vrbo] = [newFeed(), newFeed()]
    await publishFeed(airbnb.id, await fixture('airbnb'))
    await publishFeed(vrbo.id, await fixture('vrbo'))
    await createSource(call, loft.id, airbnb.url, 'airbnb')
    await createSource(call, loft.id, vrbo.url, 'vrbo')
    await drain(env, capture)
    await createBooking(call, { property_id: loft.id, check_in: '2027-01-28', check_out: '2027-01-30' })
    await createBooking(call, { property_id: beach.id, check_in: '2027-01-05', check_out: '2027-01-13' })
    await createBooking(call, { property_id: beach.id, check_in: '2027-01-30', check_out: '2027-02-03' })

    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const browser = portalClient(db)
    await browser.login(viewer.email)
    const calendar = await (await browser.request('/app/calendar?month=2027-01')).text()
    expect(calendar).toContain('href="/app/calendar/statistics?month=2027-01"')
    const page = await browser.request('/app/calendar/statistics?month=2027-01')
    expect(page.status).toBe(200)
    const html = await page.text()
    const text = textOf(html)
    // Loft Centro: nights 8–14 and 28–29 booked (9 of 31), 20–24 blocked, stays of 3 nights on
    // average (airbnb 2, vrbo 1, manual 1). Casa Praia: 5–12 and 30–31 (10 of 31), stays of 8 and 4;
    // together 19 of 62 nights = 30.65%, shown to one decimal.
    expect(text).toContain('1 de jan. de 2027 a 31 de jan. de 2027 (31 noites)')
    expect(text).toContain(
      'Taxa de ocupação 30,7% Noites reservadas 19 de 62 Noites bloqueadas 5 Reservas 6 Estadia média 4 noites',
    )
    expect(text).toContain('Casa Praia 32,3% 10 0 2 6 noites Loft Centro 29% 9 5 4 3 noites')
    expect(text).toContain(
      'Reservas por canal Canal Reservas Participação direct 3 50% airbnb 2 33,3% vrbo 1 16,7%',
    )
    const bars = [...html.matchAll(/<rect class="bar c0"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1])
    expect(bars).toEqual([
      'Casa Praia: 32,3% (10 de 31 noites reservadas)',
      'Loft Centro: 29% (9 de 31 noites reservadas)',
    ])
    expect(html).toContain('<title id="occupancy-chart-title">Taxa de ocupação por propriedade</title>')

    const english = portalClient(db, { acceptLanguage: 'en' })
    await english.login(viewer.email)
    const enHtml = await (await english.request('/app/calendar/statistics?period=month&month=2027-01')).text()
    const en = textOf(enHtml)
    expect(en).toContain('Jan 1, 2027 to Jan 31, 2027 (31 nights)')
    expect(en).toContain(
      'Occupancy rate 30.7% Nights booked 19 of 62 Nights blocked 5 Bookings 6 Average stay 4 nights',
    )
    expect(en).toContain('Casa Praia 32.3% 10 0 2 6 nights Loft Centro 29% 9 5 4 3 nights')
    expect(en).toContain(
      'Bookings by channel Channel Bookings Share direct 3 50% airbnb 2 33.3% vrbo 1 16.7%',
    )
    expect(enHtml).toContain('Casa Praia: 32.3% (10 of 31 nights booked)')

    // The rolling periods end today: 30 and 90 nights, nothing booked then.
    const last30 = textOf(await (await english.request('/app/calendar/statistics?period=30')).text())
    expect(last30).toContain('(30 nights)')
    expect(last30).toContain('Nights booked 0 of 60')
    const last90 = textOf(await (await english.request('/app/calendar/statistics?period=90')).text())
    expect(last90).toContain('(90 nights)')
  })

  it('is refused to a tenant whose plan has no calendar, and sends the signed-out to login', async () => {
    const { tenant } = await calendarSetup(db, { modules: ['metrics'] })
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const browser = portalClient(db)
    expect((await browser.request('/app/calendar')).status).toBe(303)
    await browser.login(owner.email)
    expect((await browser.request('/app/calendar')).status).toBe(403)
    expect((await browser.request('/app/calendar/statistics')).status).toBe(403)
  })
})
