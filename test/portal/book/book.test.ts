import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'
import { clinic, schedulingSetup } from '../../helpers/scheduling.ts'
import { callWorker, TEST_ORIGIN } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A tenant with a clinic open on weekdays; its public page's path. */
async function openClinic() {
  const setup = await schedulingSetup(db)
  const { professional, service } = await clinic(setup.call)
  return { ...setup, professional, service, base: `/book/${setup.tenant.slug}` }
}

const startsOf = (html: string) =>
  [...html.matchAll(/name="starts_at" value="([^"]+)"/g)].map((m) => m[1] as string)
const locationOf = (response: Response) => response.headers.get('location') ?? ''

describe('the public booking page', () => {
  it('walks service → professional → day → slot → details → confirmation with a manage link', async () => {
    const { base, service, professional, tenant } = await openClinic()
    const visitor = portalClient(db, { acceptLanguage: 'pt-BR' })
    const home = await visitor.request(base)
    expect(home.status).toBe(200)
    const homeText = textOf(await home.text())
    expect(homeText).toContain(service.name)
    expect(homeText).toContain('R$')
    expect(homeText).not.toMatch(/svc_|pro_|ten_/)

    const pros = textOf(await (await visitor.request(`${base}?service=${service.id}`)).text())
    expect(pros).toContain('Qualquer profissional')
    expect(pros).toContain(professional.name)

    const day = await (await visitor.request(`${base}?service=${service.id}&professional=any`)).text()
    const starts = startsOf(day)
    expect(starts.length).toBeGreaterThan(0)
    expect(textOf(day)).not.toMatch(/svc_|pro_|apt_/)

    const held = await visitor.request(`${base}/hold`, {
      form: { service: service.id, professional: professional.id, starts_at: starts[0] as string },
    })
    expect(held.status).toBe(303)
    const holdPath = locationOf(held)
    expect(holdPath).toMatch(new RegExp(`^${base}/hold/`))
    const form = await visitor.request(holdPath)
    expect(form.status).toBe(200)
    expect(textOf(await form.text())).toContain('Seus dados')

    const invalid = await visitor.request(holdPath, { form: { name: 'Maria', phone: '123', email: '' } })
    expect(invalid.status).toBe(400)
    const confirmed = await visitor.request(holdPath, {
      form: {
        name: 'Maria Souza',
        phone: '(11) 98765-4321',
        email: 'Maria@Example.test',
        consent: 'yes',
        website: '',
      },
    })
    expect(confirmed.status).toBe(303)
    const managePath = locationOf(confirmed)
    expect(managePath).toMatch(new RegExp(`^${base}/manage/.+\\?new=1$`))
    const done = textOf(await (await visitor.request(managePath)).text())
    expect(done).toContain('Agendado!')
    expect(done).toContain(professional.name)

    const [row] = await db.owner<{
      status: string
      source: string
      phone: string
      email: string
      consent: boolean
    }>(
      `select a.status, a.source, c.phone, c.email, f.reminders_consent as consent
       from appointments a join customers c on c.id = a.customer_id
       join scheduling_customer_facts f on f.customer_id = c.id where a.tenant_id = $1`,
      [tenant.tenantId],
    )
    expect(row).toEqual({
      status: 'confirmed',
      source: 'public',
      phone: '+5511987654321',
      email: 'maria@example.test',
      consent: true,
    })
    // The same hold link cannot confirm twice.
    const again = await visitor.request(holdPath, {
      form: { name: 'Outra', phone: '11987654000', email: '' },
    })
    expect(again.status).toBe(409)

    const manageLink = managePath.replace('?new=1', '')
    const cancelled = await visitor.request(`${manageLink}/cancel`, { form: {} })
    expect(cancelled.status).toBe(303)
    expect(textOf(await (await visitor.request(manageLink)).text())).toContain('Cancelado')
    const [after] = await db.owner<{ status: string }>(
      'select status from appointments where tenant_id = $1',
      [tenant.tenantId],
    )
    expect(after?.status).toBe('cancelled')
    const [audit] = await db.owner<{ n: number }>(
      `select count(*)::int as n from audit_log where tenant_id = $1 and action in
        ('scheduling.appointment_booked_public', 'scheduling.appointment_cancelled_by_customer')`,
      [tenant.tenantId],
    )
    expect(audit?.n).toBe(2)
  })

  it('speaks English on ?lang=en, refuses forged posts, drops honeypot bookings, bounds holds per visitor', async () => {
    const { base, service, professional, tenant } = await openClinic()
    const visitor = portalClient(db)
    const english = textOf(await (await visitor.request(`${base}?service=${service.id}&lang=en`)).text())
    expect(english).toContain('Any professional')
    const starts = startsOf(
      await (await visitor.request(`${base}?service=${service.id}&professional=${professional.id}`)).text(),
    )
    const hold = (startsAt: string) =>
      visitor.request(`${base}/hold`, {
        form: { service: service.id, professional: professional.id, starts_at: startsAt },
      })
    const forged = await visitor.request(`${base}/hold`, {
      form: { service: service.id, professional: professional.id, starts_at: starts[0] as string },
      withoutToken: true,
    })
    expect(forged.status).toBe(403)

    const first = locationOf(await hold(starts[0] as string))
    const bot = await visitor.request(first, {
      form: { name: 'Bot', phone: '11987650000', email: '', website: 'https://spam.example' },
    })
    expect(bot.status).toBe(303)
    expect(locationOf(bot)).toBe(base)
    const [pending] = await db.owner<{ n: number }>(
      `select count(*)::int as n from appointments where tenant_id = $1 and status = 'pending' and customer_id is null`,
      [tenant.tenantId],
    )
    expect(pending?.n).toBe(1)

    // Every other start: 60-minute slots offered every 30 minutes would overlap their neighbours.
    await hold(starts[2] as string)
    await hold(starts[4] as string)
    const fourth = await hold(starts[6] as string)
    expect(fourth.status).toBe(303)
    expect(locationOf(fourth)).toContain('error=HOLD_LIMIT_REACHED')
    const [holds] = await db.owner<{ n: number }>(
      `select count(*)::int as n from appointments where tenant_id = $1 and status = 'pending'`,
      [tenant.tenantId],
    )
    expect(holds?.n).toBe(3)

    // A hold past its time confirms nothing, and its slot is free for the next visitor.
    await db.owner(
      `update appointments set hold_expires_at = now() - interval '1 minute' where tenant_id = $1`,
      [tenant.tenantId],
    )
    const late = await visitor.request(first, { form: { name: 'Ana', phone: '11987650001', email: '' } })
    expect(late.status).toBe(409)
    expect(textOf(await late.text())).toContain('10 minutes')
    const other = portalClient(db)
    await other.request(base)
    const retaken = await other.request(`${base}/hold`, {
      form: { service: service.id, professional: professional.id, starts_at: starts[0] as string },
      headers: { 'cf-connecting-ip': '203.0.113.9' },
    })
    expect(locationOf(retaken)).toMatch(/\/hold\//)
  })

  it('answers 404 for an unknown slug, a tenant without the module, and a link of another tenant', async () => {
    const visitor = portalClient(db)
    expect((await visitor.request('/book/no-such-business')).status).toBe(404)
    expect((await visitor.request('/book/Not_A_Slug')).status).toBe(404)
    const gated = await schedulingSetup(db, { modules: ['calendar'] })
    const page = await visitor.request(`/book/${gated.tenant.slug}`)
    expect(page.status).toBe(404)
    expect(page.headers.get('content-type')).toContain('text/html')

    const a = await openClinic()
    const b = await openClinic()
    const starts = startsOf(
      await (await visitor.request(`${a.base}?service=${a.service.id}&professional=any`)).text(),
    )
    const holdPath = locationOf(
      await visitor.request(`${a.base}/hold`, {
        form: { service: a.service.id, professional: a.professional.id, starts_at: starts[0] as string },
      }),
    )
    const crossed = holdPath.replace(a.base, b.base)
    expect((await visitor.request(crossed)).status).toBe(404)
    expect((await visitor.request(`${a.base}/manage/not-a-token`)).status).toBe(404)
  })

  it('50 visitors holding the same last slot at once: exactly 1 holds it, 49 are sent back with SLOT_TAKEN', async () => {
    const { base, service, professional, tenant } = await openClinic()
    const visitor = portalClient(db)
    const starts = startsOf(
      await (await visitor.request(`${base}?service=${service.id}&professional=${professional.id}`)).text(),
    )
    const token = visitor.jar.get('__Host-csrf') as string
    const body = new URLSearchParams({
      _csrf: token,
      service: service.id,
      professional: professional.id,
      starts_at: starts[0] as string,
    }).toString()
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        callWorker(db.env, `${base}/hold`, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            cookie: `__Host-csrf=${token}`,
            'content-type': 'application/x-www-form-urlencoded',
            origin: TEST_ORIGIN,
            'sec-fetch-site': 'same-origin',
            // Each its own visitor, so the per-visitor bound is not what refuses them.
            'cf-connecting-ip': `198.51.100.${i + 1}`,
          },
          body,
        }),
      ),
    )
    const locations = responses.map(locationOf)
    expect(responses.map((r) => r.status).every((s) => s === 303)).toBe(true)
    expect(locations.filter((l) => l.includes('/hold/'))).toHaveLength(1)
    expect(locations.filter((l) => l.includes('error=SLOT_TAKEN'))).toHaveLength(49)
    const [row] = await db.owner<{ n: number }>(
      `select count(*)::int as n from appointments where tenant_id = $1 and status = 'pending'`,
      [tenant.tenantId],
    )
    expect(row?.n).toBe(1)
  })
})
