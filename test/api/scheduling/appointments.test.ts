import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, errorCode, login } from '../../helpers/fixtures.ts'
import {
  book,
  clinic,
  created,
  createProfessional,
  createService,
  customer,
  schedulingSetup,
} from '../../helpers/scheduling.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

// Monday 1 March 2027 in São Paulo (UTC−3, no DST): 09:00 local is 12:00Z.
const MONDAY = '2027-03-01'
const at = (time: string) => `${MONDAY}T${time}:00-03:00`
const iso = (time: string) => new Date(at(time)).toISOString()

type Appointment = { id: string; status: string; starts_at: string; ends_at: string; professional_id: string }
type Envelope = { error: { code: string; details?: { next_slots: { starts_at: string; local: string }[] } } }

describe('booking an appointment', () => {
  it('books, lists by day, refuses the taken slot with the next free ones, allows back to back', async () => {
    const { call } = await schedulingSetup(db)
    const { professional, service } = await clinic(call)
    const first = await created<Appointment & { customer_phone: string; service_name: string }>(
      await book(call, { service_id: service.id, professional_id: professional.id, starts_at: at('09:00') }),
    )
    expect(first).toMatchObject({
      id: expect.stringMatching(/^apt_/),
      status: 'confirmed',
      source: 'portal',
      starts_at: iso('09:00'),
      ends_at: iso('10:00'),
      service_name: service.name,
      customer_name: 'Maria Silva',
      price_cents: 15000,
      currency: 'BRL',
    })

    const taken = await book(call, {
      service_id: service.id,
      professional_id: professional.id,
      starts_at: at('09:30'),
    })
    expect(taken.status).toBe(409)
    const envelope = (await taken.json()) as Envelope
    expect(envelope.error.code).toBe('SLOT_TAKEN')
    expect(envelope.error.details?.next_slots.map((s) => s.local)).toEqual([
      `${MONDAY}T10:00`,
      `${MONDAY}T10:30`,
      `${MONDAY}T11:00`,
    ])

    // Back to back: [09:00, 10:00) and [10:00, 11:00) do not overlap.
    await created(
      await book(call, { service_id: service.id, professional_id: professional.id, starts_at: at('10:00') }),
    )
    // Any professional: the one free then is chosen.
    const other = await createProfessional(call)
    await created(
      await call(`/api/v1/scheduling/services/${service.id}`, {
        method: 'PATCH',
        json: { professional_ids: [professional.id, other.id] },
      }),
      200,
    )
    const anyone = await created<Appointment>(
      await book(call, { service_id: service.id, starts_at: at('09:00') }),
    )
    expect(anyone.professional_id).toBe(other.id)

    const list = await created<{ data: Appointment[]; next_cursor: string | null }>(
      await call(`/api/v1/scheduling/appointments?day=${MONDAY}&limit=2`),
      200,
    )
    expect(list.data.map((a) => a.starts_at)).toEqual([iso('09:00'), iso('09:00')])
    const rest = await created<{ data: Appointment[]; next_cursor: string | null }>(
      await call(`/api/v1/scheduling/appointments?day=${MONDAY}&limit=2&cursor=${list.next_cursor}`),
      200,
    )
    expect(rest.data.map((a) => a.starts_at)).toEqual([iso('10:00')])
    expect(rest.next_cursor).toBeNull()
    const otherDay = await created<{ data: Appointment[] }>(
      await call('/api/v1/scheduling/appointments?day=2027-03-02'),
      200,
    )
    expect(otherDay.data).toEqual([])
    const byProfessional = await created<{ data: Appointment[] }>(
      await call(`/api/v1/scheduling/appointments?professional_id=${other.id}`),
      200,
    )
    expect(byProfessional.data.map((a) => a.id)).toEqual([anyone.id])
  })

  it('keeps buffers free, refuses times outside the plan, and frees a cancelled slot', async () => {
    const { call } = await schedulingSetup(db)
    const { professional, service } = await clinic(call, { buffer_after_minutes: 30 })
    const slot = { service_id: service.id, professional_id: professional.id }
    const first = await created<Appointment>(await book(call, { ...slot, starts_at: at('14:00') }))
    // 15:00 is inside the first one's 30-minute buffer.
    expect(await errorCode(await book(call, { ...slot, starts_at: at('15:00') }))).toBe('SLOT_TAKEN')
    await created(await book(call, { ...slot, starts_at: at('15:30') }))
    // Lunch, Sunday, before opening: not in the plan.
    for (const startsAt of [at('12:00'), '2027-02-28T10:00:00-03:00', at('08:00'), at('17:30')]) {
      const refused = await book(call, { ...slot, starts_at: startsAt })
      expect(refused.status, startsAt).toBe(422)
      expect(await errorCode(refused)).toBe('SLOT_UNAVAILABLE')
    }
    const cancelled = await created<Appointment>(
      await call(`/api/v1/scheduling/appointments/${first.id}/status`, {
        method: 'POST',
        json: { status: 'cancelled', reason: 'customer called' },
      }),
      200,
    )
    expect(cancelled.status).toBe('cancelled')
    await created(await book(call, { ...slot, starts_at: at('14:00') }))
  })

  it('reschedules under the same rules and follows the allowed status transitions', async () => {
    const { call } = await schedulingSetup(db)
    const { professional, service } = await clinic(call)
    const slot = { service_id: service.id, professional_id: professional.id }
    const a = await created<Appointment>(
      await book(call, { ...slot, starts_at: at('09:00'), status: 'pending' }),
    )
    await created(await book(call, { ...slot, starts_at: at('11:00') }))
    const move = (id: string, startsAt: string) =>
      call(`/api/v1/scheduling/appointments/${id}/reschedule`, {
        method: 'POST',
        json: { starts_at: startsAt },
      })
    expect(await errorCode(await move(a.id, at('11:00')))).toBe('SLOT_TAKEN')
    expect(await errorCode(await move(a.id, at('12:00')))).toBe('SLOT_UNAVAILABLE')
    const moved = await created<Appointment>(await move(a.id, at('10:00')), 200)
    expect(moved).toMatchObject({ starts_at: iso('10:00'), ends_at: iso('11:00') })
    // Moving onto its own old range is no conflict with itself.
    await created(await move(a.id, at('09:30')), 200)

    const status = (id: string, value: string) =>
      call(`/api/v1/scheduling/appointments/${id}/status`, { method: 'POST', json: { status: value } })
    // Not started yet: cannot be done or a no-show.
    expect(await errorCode(await status(a.id, 'done'))).toBe('INVALID_TRANSITION')
    expect((await created<Appointment>(await status(a.id, 'confirmed'), 200)).status).toBe('confirmed')
    expect((await created<Appointment>(await status(a.id, 'cancelled'), 200)).status).toBe('cancelled')
    expect(await errorCode(await status(a.id, 'confirmed'))).toBe('INVALID_TRANSITION')
    expect(await errorCode(await move(a.id, at('15:00')))).toBe('INVALID_TRANSITION')

    // A past appointment (written as the owner role, as history would be) can be closed.
    const past = await created<Appointment>(await book(call, { ...slot, starts_at: at('16:00') }))
    await db.owner(
      `update appointments set starts_at = now() - interval '2 hours', ends_at = now() - interval '1 hour',
         blocked_from = now() - interval '2 hours', blocked_until = now() - interval '1 hour' where id = $1`,
      [past.id],
    )
    expect((await created<Appointment>(await status(past.id, 'no_show'), 200)).status).toBe('no_show')
    expect(await errorCode(await status(past.id, 'done'))).toBe('INVALID_TRANSITION')
  })

  it('answers 400 for invalid input, never 500', async () => {
    const { call } = await schedulingSetup(db)
    const { service } = await clinic(call)
    const bad = await call('/api/v1/scheduling/appointments', {
      method: 'POST',
      json: {
        service_id: service.id,
        starts_at: '2027-03-01 09:00',
        customer: { name: '', phone: '123' },
        status: 'done',
      },
    })
    expect(bad.status).toBe(400)
    const fields = ((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields.map(
      (f) => f.path,
    )
    expect(fields.sort()).toEqual([
      'json.customer.name',
      'json.customer.phone',
      'json.starts_at',
      'json.status',
    ])
    const unknownService = await book(call, { service_id: `svc_${'0'.repeat(20)}`, starts_at: at('09:00') })
    expect(unknownService.status).toBe(400)
    const badList = await call('/api/v1/scheduling/appointments?day=2027-02-30&status=lost&cursor=nope')
    expect(badList.status).toBe(400)
    expect((await call('/api/v1/scheduling/appointments/apt_x')).status).toBe(400)
    expect((await call(`/api/v1/scheduling/appointments/apt_${'0'.repeat(20)}`)).status).toBe(404)
  })
})

describe('no double booking, proven by racing real requests', () => {
  it('50 concurrent bookings of one slot: exactly 1 succeeds, 49 get 409 with alternatives, 0 errors', async () => {
    const { call } = await schedulingSetup(db)
    const { professional, service } = await clinic(call)
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        book(call, {
          service_id: service.id,
          professional_id: professional.id,
          starts_at: at('14:00'),
          customer: customer(`Cliente ${i}`),
        }),
      ),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(49)
    for (const response of responses.filter((r) => r.status === 409)) {
      const body = (await response.json()) as Envelope
      expect(body.error.code).toBe('SLOT_TAKEN')
      expect(body.error.details?.next_slots[0]?.local).toBe(`${MONDAY}T15:00`)
    }
    const [row] = await db.owner<{ n: number }>(
      `select count(*)::int as n from appointments where professional_id = $1 and status in ('pending', 'confirmed')`,
      [professional.id],
    )
    expect(row?.n).toBe(1)
  })

  it('a group class of capacity 5 under 50 concurrent bookings: exactly 5 seats', async () => {
    const { call } = await schedulingSetup(db)
    const professional = await createProfessional(call)
    const service = await createService(call, [professional.id], { name: 'Pilates em grupo', capacity: 5 })
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        book(call, {
          service_id: service.id,
          professional_id: professional.id,
          starts_at: at('16:00'),
          customer: customer(`Aluno ${i}`),
        }),
      ),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(5)
    expect(statuses.filter((s) => s === 409)).toHaveLength(45)
    // The class is full for everyone else, and an individual booking cannot overlap it.
    const solo = await createService(call, [professional.id], { name: 'Avaliação' })
    expect(
      await errorCode(
        await book(call, { service_id: solo.id, professional_id: professional.id, starts_at: at('16:30') }),
      ),
    ).toBe('SLOT_TAKEN')
  })
})

describe('security', () => {
  it('no credential 401, viewers read but do not book, another tenant reads as unknown, module gate', async () => {
    const { call, tenant, scoped } = await schedulingSetup(db)
    const { professional, service } = await clinic(call)
    const mine = await created<Appointment>(
      await book(call, { service_id: service.id, professional_id: professional.id, starts_at: at('09:00') }),
    )
    const anonymous = await book(as(scoped, 'not-a-token'), {
      service_id: service.id,
      starts_at: at('10:00'),
    })
    expect(anonymous.status).toBe(401)

    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const asViewer = as(scoped, (await login(db, viewer.email)).access_token)
    expect((await asViewer(`/api/v1/scheduling/appointments/${mine.id}`)).status).toBe(200)
    const refused = await book(asViewer, {
      service_id: service.id,
      professional_id: professional.id,
      starts_at: at('10:00'),
    })
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('FORBIDDEN')

    const other = await schedulingSetup(db)
    expect((await other.call(`/api/v1/scheduling/appointments/${mine.id}`)).status).toBe(404)
    expect(
      (
        await other.call(`/api/v1/scheduling/appointments/${mine.id}/status`, {
          method: 'POST',
          json: { status: 'cancelled' },
        })
      ).status,
    ).toBe(404)
    expect((await other.call(`/api/v1/scheduling/services/${service.id}`)).status).toBe(404)
    // Another tenant's service in a body: as unknown as a made-up one.
    expect((await book(other.call, { service_id: service.id, starts_at: at('10:00') })).status).toBe(400)

    const bare = await schedulingSetup(db, { modules: ['metrics'] })
    const gated = await bare.call('/api/v1/scheduling/appointments')
    expect(gated.status).toBe(403)
    expect(await errorCode(gated)).toBe('MODULE_DISABLED')
  })
})
