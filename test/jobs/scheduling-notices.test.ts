import { beforeAll, describe, expect, it } from 'vitest'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { runJobs } from '../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { emailsTo, type FakeEmail, newAddress } from '../helpers/messaging.ts'
import { portalClient } from '../helpers/portal.ts'
import { book, clinic, created, newPhone, schedulingSetup } from '../helpers/scheduling.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type Calendar = {
  props: Record<string, string>
  event: Record<string, string>
  params: Record<string, string>
}

/**
 * Reads an iCalendar text back (RFC 5545): CRLF line ends, folded lines unfolded, one VCALENDAR
 * holding one VEVENT, properties split at the first unquoted colon. Throws on anything else.
 */
function parseIcs(text: string): Calendar {
  expect(text.endsWith('\r\n')).toBe(true)
  expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
  const lines = text
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .slice(0, -1)
  for (const line of text.split('\r\n')) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75)
  const stack: string[] = []
  const props: Record<string, string> = {}
  const event: Record<string, string> = {}
  const params: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    const [name = '', ...rest] = line.slice(0, colon).split(';')
    const value = line.slice(colon + 1)
    if (name === 'BEGIN') stack.push(value)
    else if (name === 'END') expect(stack.pop()).toBe(value)
    else if (stack.join('/') === 'VCALENDAR') props[name] = value
    else if (stack.join('/') === 'VCALENDAR/VEVENT') {
      event[name] = value
      params[name] = rest.join(';')
    } else throw new Error(`unexpected line ${line}`)
  }
  expect(stack).toEqual([])
  return { props, event, params }
}

const invitationOf = (mail: FakeEmail | undefined) => {
  const file = mail?.attachments[0]
  expect(file?.filename).toBe('invite.ics')
  expect(file?.content_type).toBe('text/calendar')
  return parseIcs(
    new TextDecoder().decode(Uint8Array.from(atob(file?.content ?? ''), (c) => c.charCodeAt(0))),
  )
}

const basicUtc = (iso: string) => `${iso.replace(/[-:]/g, '').slice(0, 15)}Z`
const locationOf = (response: Response) => response.headers.get('location') ?? ''
const startsOf = (html: string) =>
  [...html.matchAll(/name="starts_at" value="([^"]+)"/g)].map((m) => m[1] as string)

describe('the customer’s notices carry an iCalendar invitation', () => {
  it('public booking in English: confirmation REQUEST, a move with the same UID and a higher SEQUENCE, then CANCEL; once each', async () => {
    const setup = await schedulingSetup(db)
    const { professional, service } = await clinic(setup.call)
    const base = `/book/${setup.tenant.slug}`
    const visitor = portalClient(setup.scoped)
    const starts = startsOf(
      await (
        await visitor.request(`${base}?service=${service.id}&professional=${professional.id}&lang=en`)
      ).text(),
    )
    const held = await visitor.request(`${base}/hold`, {
      form: { service: service.id, professional: professional.id, starts_at: starts[0] as string },
    })
    const address = newAddress()
    const confirmed = await visitor.request(locationOf(held), {
      form: { name: 'Mary Smith', phone: '11987651234', email: address },
    })
    expect(confirmed.status).toBe(303)
    const manage = locationOf(confirmed).replace('?new=1', '')
    const [appointment] = await db.owner<{ id: string }>('select id from appointments where tenant_id = $1', [
      setup.tenant.tenantId,
    ])
    const deliver = async () => {
      const sends = setup.capture.messages.splice(0) as JobMessage[]
      // Delivered twice: the outbox claim sends once.
      await runJobs(setup.env, sends)
      await runJobs(setup.env, sends)
    }
    await deliver()
    const [first] = await emailsTo(address)
    expect(first?.subject).toContain('Appointment confirmed')
    const booked = invitationOf(first)
    expect(booked.props.METHOD).toBe('REQUEST')
    expect(booked.props.VERSION).toBe('2.0')
    expect(booked.event.UID).toBe(`${appointment?.id}@integra`)
    expect(booked.event.DTSTART).toBe(basicUtc(starts[0] as string))
    expect(booked.event.DTEND).toBe(
      basicUtc(new Date(Date.parse(starts[0] as string) + 3_600_000).toISOString()),
    )
    expect(booked.event.SUMMARY).toContain(`${service.name} with ${professional.name}`)
    expect(booked.event.STATUS).toBe('CONFIRMED')
    expect(booked.event.ATTENDEE).toBe(`mailto:${address}`)
    expect(booked.params.ATTENDEE).toContain('CN=Mary Smith')

    const moved = await visitor.request(`${manage}/move`, { form: { starts_at: starts[4] as string } })
    expect(moved.status).toBe(303)
    await deliver()
    const cancelled = await visitor.request(`${manage}/cancel`, { form: {} })
    expect(cancelled.status).toBe(303)
    await deliver()

    const mails = await emailsTo(address)
    expect(mails).toHaveLength(3)
    const [, second, third] = mails
    const move = invitationOf(second)
    expect(move.props.METHOD).toBe('REQUEST')
    expect(move.event.UID).toBe(booked.event.UID)
    expect(move.event.DTSTART).toBe(basicUtc(starts[4] as string))
    expect(Number(move.event.SEQUENCE)).toBeGreaterThan(Number(booked.event.SEQUENCE))
    const cancel = invitationOf(third)
    expect(cancel.props.METHOD).toBe('CANCEL')
    expect(cancel.event.STATUS).toBe('CANCELLED')
    expect(cancel.event.UID).toBe(booked.event.UID)
    expect(Number(cancel.event.SEQUENCE)).toBeGreaterThan(Number(move.event.SEQUENCE))
    expect(third?.subject).toContain('cancelled')
  })

  it('staff booking: Portuguese by default; no e-mail address, no notice; a pending booking is not announced', async () => {
    const setup = await schedulingSetup(db)
    const { professional, service } = await clinic(setup.call)
    const address = newAddress()
    const slot = (hour: number) => {
      const day = new Date(Date.now() + 3 * 86_400_000)
      while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1)
      return `${day.toISOString().slice(0, 10)}T${hour}:00:00.000Z`
    }
    await created(
      await book(setup.call, {
        service_id: service.id,
        professional_id: professional.id,
        starts_at: slot(13),
        customer: { name: 'Rita Moura', phone: newPhone(), email: address },
      }),
    )
    await created(
      await book(setup.call, {
        service_id: service.id,
        professional_id: professional.id,
        starts_at: slot(16),
        customer: { name: 'Sem E-mail', phone: newPhone() },
      }),
    )
    const pendingAddress = newAddress()
    await created(
      await book(setup.call, {
        service_id: service.id,
        professional_id: professional.id,
        starts_at: slot(18),
        status: 'pending',
        customer: { name: 'Pendente', phone: newPhone(), email: pendingAddress },
      }),
    )
    await runJobs(setup.env, setup.capture.messages.splice(0))
    const [mail] = await emailsTo(address)
    expect(mail?.subject).toContain('Agendamento confirmado')
    expect(invitationOf(mail).event.SUMMARY).toContain(`${service.name} com ${professional.name}`)
    expect(await emailsTo(pendingAddress)).toHaveLength(0)
    const [count] = await db.owner<{ n: number }>(
      `select count(*)::int as n from outbound_messages where tenant_id = $1 and purpose like 'scheduling.%'`,
      [setup.tenant.tenantId],
    )
    expect(count?.n).toBe(1)
  })
})
