import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'
import { book, clinic, schedulingSetup } from '../../helpers/scheduling.ts'
import { callWorker, TEST_ORIGIN } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const startsOf = (html: string) =>
  [...html.matchAll(/name="starts_at" value="([^"]+)"/g)].map((m) => m[1] as string)
const locationOf = (response: Response) => response.headers.get('location') ?? ''

async function openClinic(service: Record<string, unknown> = {}) {
  const setup = await schedulingSetup(db)
  const { professional, service: created } = await clinic(setup.call, service)
  return { ...setup, professional, service: created, base: `/book/${setup.tenant.slug}` }
}

type Clinic = Awaited<ReturnType<typeof openClinic>>

/** Books `startsAt` through the public page as a new visitor; returns the visitor and the manage link. */
async function bookOnPage(clinicOf: Clinic, startsAt: string, ip: string) {
  const visitor = portalClient(db, { acceptLanguage: 'pt-BR' })
  await visitor.request(clinicOf.base)
  const held = await visitor.request(`${clinicOf.base}/hold`, {
    form: { service: clinicOf.service.id, professional: clinicOf.professional.id, starts_at: startsAt },
    headers: { 'cf-connecting-ip': ip },
  })
  const confirmed = await visitor.request(locationOf(held), {
    form: { name: 'Maria Souza', phone: '11987654321', email: 'maria@example.test', consent: 'yes' },
    headers: { 'cf-connecting-ip': ip },
  })
  expect(confirmed.status).toBe(303)
  return { visitor, manage: locationOf(confirmed).replace('?new=1', '') }
}

/** The free starts offered to the professional's calendar (each 60 minutes, offered every 30). */
async function freeStarts(clinicOf: Clinic) {
  const visitor = portalClient(db)
  return startsOf(
    await (
      await visitor.request(
        `${clinicOf.base}?service=${clinicOf.service.id}&professional=${clinicOf.professional.id}`,
      )
    ).text(),
  )
}

/** A raw form post as its own visitor (address), so racing posts do not share a rate limit. */
function post(path: string, csrf: string, form: Record<string, string>, ip: string) {
  return callWorker(db.env, path, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie: `__Host-csrf=${csrf}`,
      'content-type': 'application/x-www-form-urlencoded',
      origin: TEST_ORIGIN,
      'sec-fetch-site': 'same-origin',
      'cf-connecting-ip': ip,
    },
    body: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
  })
}

describe('rescheduling through the manage link', () => {
  it('offers the free times, moves the appointment and its reminders, and audits it', async () => {
    const clinicOf = await openClinic()
    const starts = await freeStarts(clinicOf)
    const { visitor, manage } = await bookOnPage(clinicOf, starts[0] as string, '192.0.2.10')
    const page = textOf(await (await visitor.request(manage)).text())
    expect(page).toContain('Mudar horário')

    const picker = await visitor.request(`${manage}/move`)
    expect(picker.status).toBe(200)
    const html = await picker.text()
    expect(textOf(html)).toContain('Escolha um novo horário')
    expect(textOf(html)).not.toMatch(/svc_|pro_|apt_/)
    const offered = startsOf(html)
    // Its own time and the overlapping neighbours are not offered.
    expect(offered).not.toContain(starts[0])
    expect(offered).not.toContain(starts[1])
    const target = starts[4] as string
    expect(offered).toContain(target)

    const moved = await visitor.request(`${manage}/move`, { form: { starts_at: target } })
    expect(moved.status).toBe(303)
    expect(locationOf(moved)).toBe(`${manage}?moved=1`)
    expect(textOf(await (await visitor.request(locationOf(moved))).text())).toContain('novo horário')

    const [row] = await db.owner<{ starts_at: Date; status: string; due: Date[] }>(
      `select a.starts_at, a.status,
         (select array_agg(r.due_at order by r.due_at) from scheduling_reminders r
          where r.appointment_id = a.id and r.status = 'pending') as due
       from appointments a where a.tenant_id = $1`,
      [clinicOf.tenant.tenantId],
    )
    expect(row?.starts_at.toISOString()).toBe(target)
    expect(row?.status).toBe('confirmed')
    const [audit] = await db.owner<{ data: { from: string; to: string } }>(
      `select data from audit_log where tenant_id = $1 and action = 'scheduling.appointment_rescheduled_by_customer'`,
      [clinicOf.tenant.tenantId],
    )
    expect(audit?.data).toEqual({ from: starts[0], to: target })
    // Any reminder still pending is due before the new start, none at the old one's offsets.
    for (const due of row?.due ?? []) expect(new Date(due).getTime()).toBeLessThan(new Date(target).getTime())
  })

  it('refuses a taken time (409 with the picker again), a forged post, another tenant, a bad form, and after the cut-off', async () => {
    const clinicOf = await openClinic({ cancel_cutoff_minutes: 60 })
    const starts = await freeStarts(clinicOf)
    const { visitor, manage } = await bookOnPage(clinicOf, starts[0] as string, '192.0.2.20')
    await bookOnPage(clinicOf, starts[4] as string, '192.0.2.21')

    const taken = await visitor.request(`${manage}/move`, { form: { starts_at: starts[4] as string } })
    expect(taken.status).toBe(409)
    const takenText = textOf(await taken.text())
    expect(takenText).toContain('Este horário acabou de ser ocupado')
    expect(takenText).toContain('Escolha um novo horário')

    const outside = await visitor.request(`${manage}/move`, {
      form: { starts_at: '2020-01-01T03:00:00.000Z' },
    })
    expect(outside.status).toBe(422)

    expect((await visitor.request(`${manage}/move`, { form: { starts_at: 'tomorrow' } })).status).toBe(400)
    const forged = await visitor.request(`${manage}/move`, {
      form: { starts_at: starts[6] as string },
      withoutToken: true,
    })
    expect(forged.status).toBe(403)

    const other = await openClinic()
    const crossed = manage.replace(clinicOf.base, other.base)
    expect((await visitor.request(`${crossed}/move`)).status).toBe(404)
    expect(
      (await visitor.request(`${crossed}/move`, { form: { starts_at: starts[6] as string } })).status,
    ).toBe(404)
    expect((await visitor.request(`${clinicOf.base}/manage/not-a-token/move`)).status).toBe(404)

    // Inside the service's cut-off the link shows the appointment but no longer changes it.
    await db.owner(
      `update appointments set starts_at = now() + interval '30 minutes', ends_at = now() + interval '90 minutes',
         blocked_from = now() + interval '30 minutes', blocked_until = now() + interval '90 minutes'
       where tenant_id = $1 and starts_at = $2`,
      [clinicOf.tenant.tenantId, starts[0]],
    )
    const late = await visitor.request(`${manage}/move`)
    expect(late.status).toBe(409)
    expect(textOf(await late.text())).toContain('Não é mais possível mudar')
    const latePost = await visitor.request(`${manage}/move`, { form: { starts_at: starts[6] as string } })
    expect(latePost.status).toBe(409)
    expect(textOf(await (await visitor.request(manage)).text())).not.toContain('Mudar horário')
  })

  it('two customers moving into one slot at once: exactly one wins, the other gets 409 with the picker', async () => {
    const clinicOf = await openClinic()
    const starts = await freeStarts(clinicOf)
    const a = await bookOnPage(clinicOf, starts[0] as string, '192.0.2.30')
    const b = await bookOnPage(clinicOf, starts[2] as string, '192.0.2.31')
    const target = starts[6] as string
    const csrf = (client: typeof a.visitor) => client.jar.get('__Host-csrf') as string
    const responses = await Promise.all([
      post(`${a.manage}/move`, csrf(a.visitor), { starts_at: target }, '198.51.100.1'),
      post(`${b.manage}/move`, csrf(b.visitor), { starts_at: target }, '198.51.100.2'),
    ])
    const statuses = responses.map((r) => r.status).sort()
    expect(statuses).toEqual([303, 409])
    const loser = responses.find((r) => r.status === 409) as Response
    expect(textOf(await loser.text())).toContain('Este horário acabou de ser ocupado')
    const [live] = await db.owner<{ n: number }>(
      `select count(*)::int as n from appointments where tenant_id = $1 and starts_at = $2 and status in ('pending', 'confirmed')`,
      [clinicOf.tenant.tenantId, target],
    )
    expect(live?.n).toBe(1)
  })

  it('a customer moving into a slot while staff book it: exactly one of the two gets it', async () => {
    const clinicOf = await openClinic()
    const starts = await freeStarts(clinicOf)
    const a = await bookOnPage(clinicOf, starts[0] as string, '192.0.2.40')
    const target = starts[6] as string
    const [moved, booked] = await Promise.all([
      post(
        `${a.manage}/move`,
        a.visitor.jar.get('__Host-csrf') as string,
        { starts_at: target },
        '198.51.100.3',
      ),
      book(clinicOf.call, {
        service_id: clinicOf.service.id,
        professional_id: clinicOf.professional.id,
        starts_at: target,
      }),
    ])
    const outcome = [moved.status, booked.status]
    expect([
      [303, 409],
      [409, 201],
    ]).toContainEqual(outcome)
    if (booked.status === 409) {
      const body = (await booked.json()) as { error: { code: string; details: { next_slots: unknown[] } } }
      expect(body.error.code).toBe('SLOT_TAKEN')
      expect(body.error.details.next_slots.length).toBeGreaterThan(0)
    }
    const [live] = await db.owner<{ n: number }>(
      `select count(*)::int as n from appointments where tenant_id = $1 and starts_at = $2 and status in ('pending', 'confirmed')`,
      [clinicOf.tenant.tenantId, target],
    )
    expect(live?.n).toBe(1)
  })
})
