import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'
import { book, clinic, created, schedulingSetup } from '../../helpers/scheduling.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** The next Monday (UTC date) at least two days away: inside the clinic's plan, outside any notice. */
function nextMonday() {
  const day = new Date(Date.now() + 2 * 86_400_000)
  while (day.getUTCDay() !== 1) day.setUTCDate(day.getUTCDate() + 1)
  return day.toISOString().slice(0, 10)
}

/** A clinic, one booked appointment on Monday 10:00 in São Paulo, and a signed-in member. */
async function open(role: 'owner' | 'viewer' = 'owner', lang = 'pt-BR') {
  const setup = await schedulingSetup(db)
  const { professional, service } = await clinic(setup.call)
  const monday = nextMonday()
  const appointment = await created<{ id: string }>(
    await book(setup.call, {
      service_id: service.id,
      professional_id: professional.id,
      starts_at: `${monday}T13:00:00Z`,
      customer: { name: 'Ana Beatriz', phone: '+5511987650001', email: 'ana@example.test' },
    }),
  )
  const member = await createMember(db, setup.tenant.tenantId, role)
  const browser = portalClient(db, { acceptLanguage: lang })
  expect((await browser.login(member.email)).status).toBe(303)
  return { ...setup, professional, service, monday, appointment, browser }
}

const locationOf = (response: Response) => response.headers.get('location') ?? ''
const statusOf = async (id: string) =>
  (
    await db.owner<{ status: string; starts_at: Date }>(
      'select status, starts_at from appointments where id = $1',
      [id],
    )
  )[0]

describe('/app/schedule: the day and week views', () => {
  it('shows the day per professional in the viewer’s zone with names, service and status in words', async () => {
    const { browser, monday, professional, service } = await open()
    const page = await browser.request(`/app/schedule?day=${monday}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    const text = textOf(html)
    expect(text).toContain('Agenda')
    expect(text).toContain(professional.name)
    expect(text).toContain('Ana Beatriz')
    expect(text).toContain(service.name)
    expect(text).toContain('Confirmado')
    // 13:00 UTC is 10:00 in São Paulo, the zone staff read when Cloudflare names none.
    expect(text).toContain('10:00–11:00')
    expect(text).toContain('America/Sao_Paulo')
    expect(text).not.toMatch(/\b(apt|pro|svc|cus)_[0-9a-z]{20}\b/)
    // The board refreshes itself on the live topic, and polls without it.
    expect(html).toContain('data-live="schedule"')
    expect(html).toContain('live:schedule')
    // The menu has the module.
    expect(html).toContain('href="/app/schedule"')

    const week = textOf(await (await browser.request(`/app/schedule?view=week&day=${monday}`)).text())
    expect(week).toContain('Ana Beatriz')
    const otherDay = textOf(await (await browser.request(`/app/schedule?day=2001-01-01`)).text())
    expect(otherDay).not.toContain('Ana Beatriz')
  })

  it('speaks English, and a viewer sees the day but no forms', async () => {
    const { browser, monday } = await open('viewer', 'en')
    const text = textOf(await (await browser.request(`/app/schedule?day=${monday}`)).text())
    expect(text).toContain('Schedule')
    expect(text).toContain('Confirmed')
    expect(text).not.toContain('New appointment')
  })

  it('refuses a tenant whose plan lacks the module (403) and hides the menu entry', async () => {
    const plain = await schedulingSetup(db, { modules: ['metrics'] })
    const member = await createMember(db, plain.tenant.tenantId, 'owner')
    const browser = portalClient(db)
    await browser.login(member.email)
    const page = await browser.request('/app/schedule')
    expect(page.status).toBe(403)
    const home = await (await browser.request('/app')).text()
    expect(home).not.toContain('href="/app/schedule"')
  })
})

describe('/app/schedule: booking, moving, cancelling and closing through the verbs', () => {
  it('books from free times with a Brazilian phone, then moves, cancels — audited like the API', async () => {
    const { browser, monday, service, professional, tenant } = await open()
    const form = await browser.request(
      `/app/schedule/new?service=${service.id}&professional=${professional.id}&day=${monday}`,
    )
    const html = await form.text()
    const slots = [...html.matchAll(/name="slot" value="([^"]+)"/g)].map((m) => m[1] as string)
    // 10:00 is taken; lunch is not offered.
    expect(slots).not.toContain(`${monday}T13:00:00.000Z|${professional.id}`)
    expect(slots).not.toContain(`${monday}T15:00:00.000Z|${professional.id}`)
    expect(slots).toContain(`${monday}T14:00:00.000Z|${professional.id}`)

    const bad = await browser.request('/app/schedule/new', {
      form: {
        service: service.id,
        day: monday,
        professional: '',
        slot: slots[0] as string,
        name: 'X',
        phone: '123',
        email: '',
        notes: '',
      },
    })
    expect(bad.status).toBe(400)

    const booked = await browser.request('/app/schedule/new', {
      form: {
        service: service.id,
        day: monday,
        professional: professional.id,
        slot: `${monday}T14:00:00.000Z|${professional.id}`,
        name: 'Carlos Dias',
        phone: '(11) 91234-0000',
        email: '',
        notes: 'Primeira vez',
        consent: 'yes',
      },
    })
    expect(booked.status).toBe(303)
    const path = locationOf(booked)
    const id = /appointments\/(apt_[0-9a-z]{20})/.exec(path)?.[1] as string
    const [row] = await db.owner<{ phone: string; source: string; status: string }>(
      'select c.phone, a.source, a.status from appointments a join customers c on c.id = a.customer_id where a.id = $1',
      [id],
    )
    expect(row).toEqual({ phone: '+5511912340000', source: 'portal', status: 'confirmed' })
    expect(textOf(await (await browser.request(path)).text())).toContain('Agendamento criado.')

    // The same slot again: Postgres refuses it, the form says so (409), nothing is written.
    const again = await browser.request('/app/schedule/new', {
      form: {
        service: service.id,
        day: monday,
        professional: professional.id,
        slot: `${monday}T14:00:00.000Z|${professional.id}`,
        name: 'Outra Pessoa',
        phone: '11912340001',
        email: '',
        notes: '',
      },
    })
    expect(again.status).toBe(409)
    expect(textOf(await again.text())).toContain('Este horário acabou de ser ocupado')

    const moved = await browser.request(`/app/schedule/appointments/${id}/reschedule`, {
      form: { slot: `${monday}T19:00:00.000Z|${professional.id}` },
    })
    expect(locationOf(moved)).toBe(`/app/schedule/appointments/${id}?done=moved`)
    expect((await statusOf(id))?.starts_at.toISOString()).toBe(`${monday}T19:00:00.000Z`)

    const lunch = await browser.request(`/app/schedule/appointments/${id}/reschedule`, {
      form: { slot: `${monday}T15:00:00.000Z|${professional.id}` },
    })
    expect(locationOf(lunch)).toBe(`/app/schedule/appointments/${id}?error=SLOT_UNAVAILABLE`)

    const early = await browser.request(`/app/schedule/appointments/${id}/status`, {
      form: { status: 'no_show' },
    })
    expect(locationOf(early)).toBe(`/app/schedule/appointments/${id}?error=INVALID_TRANSITION`)
    const cancelled = await browser.request(`/app/schedule/appointments/${id}/status`, {
      form: { status: 'cancelled' },
    })
    expect(locationOf(cancelled)).toBe(`/app/schedule/appointments/${id}?done=status`)
    expect((await statusOf(id))?.status).toBe('cancelled')

    const [audit] = await db.owner<{ n: number }>(
      `select count(*)::int as n from audit_log where tenant_id = $1 and target_id = $2`,
      [tenant.tenantId, id],
    )
    expect(audit?.n).toBe(3)
  })

  it('marks an appointment that has started as attended', async () => {
    const { browser, call, service, professional } = await open()
    // A walk-in recorded in the past (staff may book any time of the plan).
    let day = new Date(Date.now() - 7 * 86_400_000)
    while (day.getUTCDay() !== 2) day = new Date(day.getTime() - 86_400_000)
    const past = await created<{ id: string }>(
      await book(call, {
        service_id: service.id,
        professional_id: professional.id,
        starts_at: `${day.toISOString().slice(0, 10)}T13:00:00Z`,
      }),
    )
    const page = textOf(await (await browser.request(`/app/schedule/appointments/${past.id}`)).text())
    expect(page).toContain('Compareceu')
    const done = await browser.request(`/app/schedule/appointments/${past.id}/status`, {
      form: { status: 'done' },
    })
    expect(locationOf(done)).toBe(`/app/schedule/appointments/${past.id}?done=status`)
    expect((await statusOf(past.id))?.status).toBe('done')
  })
})

describe('/app/schedule: who may do what', () => {
  it('answers a viewer’s forged posts with 403 and changes nothing', async () => {
    const { browser, appointment, service, professional, monday } = await open('viewer')
    const cancel = await browser.request(`/app/schedule/appointments/${appointment.id}/status`, {
      form: { status: 'cancelled' },
    })
    expect(cancel.status).toBe(403)
    const create = await browser.request('/app/schedule/new', {
      form: {
        service: service.id,
        day: monday,
        professional: professional.id,
        slot: `${monday}T14:00:00.000Z|${professional.id}`,
        name: 'Forjado',
        phone: '11912349999',
        email: '',
        notes: '',
      },
    })
    expect(create.status).toBe(403)
    const settings = await browser.request('/app/schedule/settings/professionals', {
      form: { name: 'Forjado', time_zone: 'America/Sao_Paulo' },
    })
    expect(settings.status).toBe(403)
    expect((await statusOf(appointment.id))?.status).toBe('confirmed')
  })

  it('answers another tenant’s appointment or professional like an unknown one (404)', async () => {
    const mine = await open()
    const theirs = await open()
    for (const path of [
      `/app/schedule/appointments/${theirs.appointment.id}`,
      `/app/schedule/professionals/${theirs.professional.id}`,
    ]) {
      expect((await mine.browser.request(path)).status).toBe(404)
    }
    const cancel = await mine.browser.request(`/app/schedule/appointments/${theirs.appointment.id}/status`, {
      form: { status: 'cancelled' },
    })
    expect(cancel.status).toBe(404)
    const plan = await mine.browser.request(`/app/schedule/professionals/${theirs.professional.id}/plan`, {
      form: { start_1: '08:00', end_1: '12:00' },
    })
    expect(plan.status).toBe(404)
    expect((await statusOf(theirs.appointment.id))?.status).toBe('confirmed')
    expect((await mine.browser.request('/app/schedule/appointments/apt_00000000000000000000')).status).toBe(
      404,
    )
  })

  it('refuses a post without the CSRF token', async () => {
    const { browser, appointment } = await open()
    const forged = await browser.request(`/app/schedule/appointments/${appointment.id}/status`, {
      form: { status: 'cancelled' },
      withoutToken: true,
    })
    expect(forged.status).toBe(403)
    expect((await statusOf(appointment.id))?.status).toBe('confirmed')
  })
})

describe('/app/schedule/settings: the catalogue for managers', () => {
  it('adds a service and a professional, sets a plan and a day off, closes a period', async () => {
    const { browser, professional, tenant } = await open()
    const page = textOf(await (await browser.request('/app/schedule/settings')).text())
    expect(page).toContain('Serviços e profissionais')

    const service = await browser.request('/app/schedule/settings/services', {
      form: {
        name: 'Limpeza de pele',
        duration: '45',
        price: '120,50',
        capacity: '1',
        professionals: [professional.id],
      },
    })
    expect(locationOf(service)).toBe('/app/schedule/settings?done=saved')
    const [svc] = await db.owner<{ price_cents: number; duration_minutes: number }>(
      `select price_cents, duration_minutes from scheduling_services where tenant_id = $1 and name = 'Limpeza de pele'`,
      [tenant.tenantId],
    )
    expect(svc).toEqual({ price_cents: 12050, duration_minutes: 45 })
    const duplicate = await browser.request('/app/schedule/settings/services', {
      form: { name: 'Limpeza de pele', duration: '45', price: '1', capacity: '1' },
    })
    expect(locationOf(duplicate)).toBe('/app/schedule/settings?error=SERVICE_EXISTS')
    const badPrice = await browser.request('/app/schedule/settings/services', {
      form: { name: 'Outro', duration: '45', price: 'abc', capacity: '1' },
    })
    expect(locationOf(badPrice)).toBe('/app/schedule/settings?error=VALIDATION_FAILED')

    const pro = await browser.request('/app/schedule/settings/professionals', {
      form: { name: 'Dr. Novo', time_zone: 'America/Manaus' },
    })
    expect(locationOf(pro)).toBe('/app/schedule/settings?done=saved')
    const badZone = await browser.request('/app/schedule/settings/professionals', {
      form: { name: 'Dr. Zona', time_zone: 'Mars/Olympus' },
    })
    expect(locationOf(badZone)).toBe('/app/schedule/settings?error=VALIDATION_FAILED')

    const back = `/app/schedule/professionals/${professional.id}`
    const plan = await browser.request(`${back}/plan`, {
      form: {
        start_6: '08:00',
        end_6: '12:00',
        start_1: '09:00',
        end_1: '17:00',
        break_start_1: '12:00',
        break_end_1: '13:00',
      },
    })
    expect(locationOf(plan)).toBe(`${back}?done=saved`)
    const [intervals] = await db.owner<{ n: number }>(
      'select count(*)::int as n from scheduling_plan_intervals where professional_id = $1',
      [professional.id],
    )
    expect(intervals?.n).toBe(3)
    const badPlan = await browser.request(`${back}/plan`, { form: { start_1: '17:00', end_1: '09:00' } })
    expect(locationOf(badPlan)).toBe(`${back}?error=VALIDATION_FAILED`)

    const off = await browser.request(`${back}/exceptions`, {
      form: { date: '2031-12-25', kind: 'off', start: '', end: '', reason: 'Natal' },
    })
    expect(locationOf(off)).toBe(`${back}?done=saved`)
    const planPage = textOf(await (await browser.request(back)).text())
    expect(planPage).toContain('2031-12-25')
    expect(planPage).toContain('Natal')

    const closed = await browser.request('/app/schedule/settings/blocked', {
      form: { starts_at: '2031-12-31T18:00', ends_at: '2032-01-01T23:59', reason: 'Réveillon' },
    })
    expect(locationOf(closed)).toBe('/app/schedule/settings?done=saved')
    const [blocked] = await db.owner<{ starts_at: Date }>(
      'select starts_at from scheduling_blocked_periods where tenant_id = $1',
      [tenant.tenantId],
    )
    // 18:00 on São Paulo's clock.
    expect(blocked?.starts_at.toISOString()).toBe('2031-12-31T21:00:00.000Z')
    const reversed = await browser.request('/app/schedule/settings/blocked', {
      form: { starts_at: '2031-12-31T18:00', ends_at: '2031-12-31T08:00', reason: '' },
    })
    expect(locationOf(reversed)).toBe('/app/schedule/settings?error=VALIDATION_FAILED')
  })
})

describe('/app/schedule/settings: reminders', () => {
  it('sets the default and a service’s reminder rules, and the WhatsApp template, through the verbs', async () => {
    const { browser, service, tenant } = await open()
    const templateId = newId('tpl')
    await db.owner(
      `insert into attendance_templates (id, tenant_id, waba_id, name, language, category, status, parameters)
       values ($1, $2, '1022', 'lembrete_consulta', 'pt_BR', 'UTILITY', 'APPROVED', '["1","2"]'::jsonb)`,
      [templateId, tenant.tenantId],
    )
    const page = textOf(await (await browser.request('/app/schedule/settings')).text())
    expect(page).toContain('Lembretes')
    expect(page).toContain('Sem lembretes')
    expect(page).toContain('lembrete_consulta (pt_BR)')
    expect(page).not.toMatch(/tpl_|svc_/)

    const rulesOf = () =>
      db.owner<{ service_id: string | null; minutes_before: number }>(
        `select service_id, minutes_before from scheduling_reminder_rules where tenant_id = $1
         order by service_id nulls first, minutes_before desc`,
        [tenant.tenantId],
      )
    const saved = await browser.request('/app/schedule/settings/reminders', {
      form: { scope: 'default', hours: '24 2' },
    })
    expect(locationOf(saved)).toBe('/app/schedule/settings?done=saved')
    const own = await browser.request('/app/schedule/settings/reminders', {
      form: { scope: service.id, hours: '0,5' },
    })
    expect(locationOf(own)).toBe('/app/schedule/settings?done=saved')
    expect(await rulesOf()).toEqual([
      { service_id: null, minutes_before: 1440 },
      { service_id: null, minutes_before: 120 },
      { service_id: service.id, minutes_before: 30 },
    ])
    const listed = textOf(await (await browser.request('/app/schedule/settings')).text())
    expect(listed).toContain('1 d antes, 2 h antes')
    expect(listed).toContain('30 min antes')

    for (const hours of ['abc', '0', '1 2 3 4 5 6', '400'])
      expect(
        locationOf(
          await browser.request('/app/schedule/settings/reminders', { form: { scope: 'default', hours } }),
        ),
      ).toBe('/app/schedule/settings?error=VALIDATION_FAILED#reminders')
    const other = await open()
    const theirs = await browser.request('/app/schedule/settings/reminders', {
      form: { scope: other.service.id, hours: '24' },
    })
    expect(locationOf(theirs)).toBe('/app/schedule/settings?error=VALIDATION_FAILED')
    expect(await rulesOf()).toHaveLength(3)

    const chosen = await browser.request('/app/schedule/settings/reminder-template', {
      form: { template: templateId },
    })
    expect(locationOf(chosen)).toBe('/app/schedule/settings?done=saved')
    const [setting] = await db.owner<{ reminder_template_id: string | null }>(
      'select reminder_template_id from scheduling_settings where tenant_id = $1',
      [tenant.tenantId],
    )
    expect(setting?.reminder_template_id).toBe(templateId)
    await db.owner(`update attendance_templates set status = 'PAUSED' where id = $1`, [templateId])
    expect(textOf(await (await browser.request('/app/schedule/settings')).text())).toContain(
      'não está mais aprovado',
    )
    const paused = await browser.request('/app/schedule/settings/reminder-template', {
      form: { template: templateId },
    })
    expect(locationOf(paused)).toBe('/app/schedule/settings?error=VALIDATION_FAILED')
    const emailOnly = await browser.request('/app/schedule/settings/reminder-template', {
      form: { template: '' },
    })
    expect(locationOf(emailOnly)).toBe('/app/schedule/settings?done=saved')
  })

  it('reads in English; a viewer reads the rules but a forged post is 403; module off is 403', async () => {
    const english = await open('owner', 'en')
    const page = textOf(await (await english.browser.request('/app/schedule/settings')).text())
    expect(page).toContain('Reminders')
    expect(page).toContain('None: e-mail only')

    const { browser, tenant } = await open('viewer')
    const read = await browser.request('/app/schedule/settings')
    expect(read.status).toBe(200)
    expect(textOf(await read.text())).toContain('Sem lembretes')
    const forged = await browser.request('/app/schedule/settings/reminders', {
      form: { scope: 'default', hours: '24' },
    })
    expect(forged.status).toBe(403)
    const template = await browser.request('/app/schedule/settings/reminder-template', {
      form: { template: '' },
    })
    expect(template.status).toBe(403)
    const [rules] = await db.owner<{ n: number }>(
      'select count(*)::int as n from scheduling_reminder_rules where tenant_id = $1',
      [tenant.tenantId],
    )
    expect(rules?.n).toBe(0)

    const gated = await schedulingSetup(db, { modules: ['calendar'] })
    const member = await createMember(db, gated.tenant.tenantId, 'owner')
    const outsider = portalClient(db)
    await outsider.login(member.email)
    const off = await outsider.request('/app/schedule/settings/reminders', {
      form: { scope: 'default', hours: '24' },
    })
    expect(off.status).toBe(403)
  })
})
