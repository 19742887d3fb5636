import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'
import { book, clinic, created, schedulingSetup } from '../../helpers/scheduling.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A weekday at least two days away (UTC date), inside the clinic's plan and outside any notice. */
function nextMonday() {
  const day = new Date(Date.now() + 2 * 86_400_000)
  while (day.getUTCDay() !== 1) day.setUTCDate(day.getUTCDate() + 1)
  return day.toISOString().slice(0, 10)
}

/** A clinic with one appointment at 13:00 UTC (10:00 in São Paulo), and two signed-in members. */
async function clinicDay() {
  const setup = await schedulingSetup(db)
  const { professional, service } = await clinic(setup.call)
  const monday = nextMonday()
  await created(
    await book(setup.call, {
      service_id: service.id,
      professional_id: professional.id,
      starts_at: `${monday}T13:00:00Z`,
      customer: { name: 'Ana Beatriz', phone: '+5511987650001' },
    }),
  )
  const signIn = async (role: 'owner' | 'viewer') => {
    const member = await createMember(db, setup.tenant.tenantId, role)
    const browser = portalClient(db, { acceptLanguage: 'en' })
    expect((await browser.login(member.email)).status).toBe(303)
    return browser
  }
  return { ...setup, monday, owner: await signIn('owner'), viewer: await signIn('viewer') }
}

const day = async (browser: Awaited<ReturnType<typeof clinicDay>>['owner'], monday: string) =>
  textOf(
    await (
      await browser.request(`/app/schedule?day=${monday}`, {
        // 24-hour times; and Cloudflare would place this request in Chicago (wrangler dev does).
        headers: { 'accept-language': 'pt-BR' },
        cf: { timezone: 'America/Chicago' },
      })
    ).text(),
  )

describe('times on screen: the member’s zone, else the business’s, never the request’s', () => {
  it('reads the business zone wherever the request comes from, and follows the owner’s change', async () => {
    const { owner, viewer, monday } = await clinicDay()
    // 05:00 in Chicago, 10:00 at the clinic.
    const before = await day(viewer, monday)
    expect(before).toContain('10:00–11:00')
    expect(before).not.toContain('05:00')

    const settings = textOf(await (await owner.request('/app/settings')).text())
    expect(settings).toContain('Time zone of the business')
    const saved = await owner.request('/app/settings/time-zone', { form: { time_zone: 'America/Manaus' } })
    expect(saved.headers.get('location')).toBe('/app/settings?done=zone')
    expect(textOf(await (await owner.request('/app/settings?done=zone')).text())).toContain(
      'Time zone of the business saved.',
    )
    // Manaus is an hour behind São Paulo: every member without a zone of their own moves with it.
    expect(await day(viewer, monday)).toContain('09:00–10:00')
  })

  it('lets each person choose their own zone on the account page, or go back to automatic', async () => {
    const { viewer, monday } = await clinicDay()
    const account = await (await viewer.request('/app/account')).text()
    expect(textOf(account)).toContain('Automatic: America/Sao Paulo')
    expect(account).toContain('<option value="Europe/Lisbon">Europe/Lisbon</option>')

    const saved = await viewer.request('/app/account/time-zone', { form: { time_zone: 'Europe/Lisbon' } })
    expect(saved.headers.get('location')).toBe('/app/account?done=time-zone#time-zone')
    const notice = await (await viewer.request('/app/account?done=time-zone')).text()
    expect(textOf(notice)).toContain('Times are now shown in Europe/Lisbon.')
    expect(notice).toMatch(/<option value="Europe\/Lisbon" selected="">/)
    // 13:00 UTC is 13:00 or 14:00 in Lisbon (winter or summer time).
    expect(await day(viewer, monday)).toMatch(/1[34]:00–1[45]:00/)

    await viewer.request('/app/account/time-zone', { form: { time_zone: '' } })
    expect(await day(viewer, monday)).toContain('10:00–11:00')
  })

  it('refuses a zone that is not one, a forged post, and a viewer changing the business’s zone', async () => {
    const { tenant, viewer } = await clinicDay()
    const bad = await viewer.request('/app/account/time-zone', { form: { time_zone: 'Mars/Olympus_Mons' } })
    expect(bad.headers.get('location')).toBe('/app/account#time-zone')
    const forged = await viewer.request('/app/account/time-zone', {
      form: { time_zone: 'UTC' },
      withoutToken: true,
    })
    expect(forged.status).toBe(403)
    const zones = await db.owner<{ time_zone: string | null }>(
      'select time_zone from users where tenant_id = $1',
      [tenant.tenantId],
    )
    expect(zones.every((row) => row.time_zone === null)).toBe(true)

    const business = await viewer.request('/app/settings/time-zone', { form: { time_zone: 'UTC' } })
    expect(business.status).toBe(403)
    expect(await db.owner('select time_zone from tenants where id = $1', [tenant.tenantId])).toEqual([
      { time_zone: 'America/Sao_Paulo' },
    ])
  })
})
