import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { portalClient } from '../../helpers/portal.ts'
import { type LivePage, livePage, openEvents } from '../../helpers/realtime.ts'
import { book, clinic, schedulingSetup } from '../../helpers/scheduling.ts'

let db: TestDatabase
const pages: LivePage[] = []
beforeAll(async () => {
  db = await createTestDatabase()
})
afterEach(() => {
  for (const page of pages.splice(0)) page.close()
})

/** A member of `tenantId` signed in to the portal, with the `schedule` topic open. */
async function staffPage(tenantId: string, role: 'owner' | 'viewer' = 'owner') {
  const member = await createMember(db, tenantId, role)
  const browser = portalClient(db)
  expect((await browser.login(member.email)).status).toBe(303)
  const page = livePage(await openEvents(browser, 'schedule'))
  pages.push(page)
  return page
}

const locationOf = (response: Response) => response.headers.get('location') ?? ''

/** A visitor books the first free slot on the public page; returns the appointment's id. */
async function bookPublicly(slug: string, serviceId: string, professionalId: string) {
  const base = `/book/${slug}`
  const visitor = portalClient(db)
  const day = await (
    await visitor.request(`${base}?service=${serviceId}&professional=${professionalId}`)
  ).text()
  const [, startsAt] = /name="starts_at" value="([^"]+)"/.exec(day) ?? []
  const held = await visitor.request(`${base}/hold`, {
    form: { service: serviceId, professional: professionalId, starts_at: startsAt as string },
  })
  expect(held.status).toBe(303)
  const confirmed = await visitor.request(locationOf(held), {
    form: { name: 'Joana Lima', phone: '(11) 98765-1111', email: '', website: '' },
  })
  expect(confirmed.status).toBe(303)
  return startsAt as string
}

describe('staff hear bookings live on the schedule topic', () => {
  it('a booking on the public page reaches a subscribed staff socket, and only its tenant’s', async () => {
    const a = await schedulingSetup(db)
    const b = await schedulingSetup(db)
    const { professional, service } = await clinic(a.call)
    const staff = await staffPage(a.tenant.tenantId)
    const viewer = await staffPage(a.tenant.tenantId, 'viewer')
    const other = await staffPage(b.tenant.tenantId)

    const startsAt = await bookPublicly(a.tenant.slug, service.id, professional.id)
    const [row] = await db.owner<{ id: string }>(
      `select id from appointments where tenant_id = $1 and starts_at = $2 and status = 'confirmed'`,
      [a.tenant.tenantId, startsAt],
    )
    // The hold is not announced (no customer yet); the confirmation is.
    const heard = await staff.next()
    expect(heard).toMatchObject({ type: 'schedule.changed', appointmentId: row?.id, topics: ['schedule'] })
    expect(JSON.stringify(heard)).not.toContain('Joana')
    expect(await viewer.next()).toMatchObject({ appointmentId: row?.id })
    await other.silentFor(300)
  })

  it('a staff booking, a move and a cancel through the API are heard too', async () => {
    const a = await schedulingSetup(db)
    const { professional, service } = await clinic(a.call)
    const staff = await staffPage(a.tenant.tenantId)
    const monday = nextMonday()
    const created = await book(a.call, {
      service_id: service.id,
      professional_id: professional.id,
      starts_at: `${monday}T13:00:00Z`,
    })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    expect(await staff.next()).toMatchObject({ appointmentId: id })
    const moved = await a.call(`/api/v1/scheduling/appointments/${id}/reschedule`, {
      method: 'POST',
      json: { starts_at: `${monday}T16:00:00Z` },
    })
    expect(moved.status).toBe(200)
    expect(await staff.next()).toMatchObject({ appointmentId: id })
    const refused = await a.call(`/api/v1/scheduling/appointments/${id}/reschedule`, {
      method: 'POST',
      json: { starts_at: `${monday}T15:00:00Z` },
    })
    expect(refused.status).toBe(422)
    // 12:00 in São Paulo is lunch. A refused change rolled back: nothing is announced.
    await staff.silentFor(300)
  })

  it('refuses the topic to a tenant without the module (403 MODULE_DISABLED)', async () => {
    const plain = await schedulingSetup(db, { modules: ['metrics'] })
    const member = await createMember(db, plain.tenant.tenantId, 'owner')
    const browser = portalClient(db)
    expect((await browser.login(member.email)).status).toBe(303)
    const refused = await openEvents(browser, 'schedule')
    expect(refused.status).toBe(403)
    expect(refused.webSocket).toBeNull()
    expect(await refused.text()).toContain('Agenda não está no seu plano')
  })
})

/** The next Monday (UTC date) at least two days away, so no notice rule gets in the way. */
function nextMonday() {
  const day = new Date(Date.now() + 2 * 86_400_000)
  while (day.getUTCDay() !== 1) day.setUTCDate(day.getUTCDate() + 1)
  return day.toISOString().slice(0, 10)
}
