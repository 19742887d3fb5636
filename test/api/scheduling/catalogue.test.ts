import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase, withClient } from '../../helpers/env.ts'
import { as, createMember, errorCode, login } from '../../helpers/fixtures.ts'
import { book, clinic, created, createProfessional, schedulingSetup } from '../../helpers/scheduling.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

async function fieldPaths(response: Response): Promise<string[]> {
  const text = await response.text()
  expect(response.status, text).toBe(400)
  const body = JSON.parse(text) as { error: { code: string; fields: { path: string }[] } }
  expect(body.error.code).toBe('VALIDATION_FAILED')
  return body.error.fields.map((f) => f.path).sort()
}

type Slots = { slots: { starts_at: string; local: string; professional_id: string; seats_left: number }[] }

describe('services and professionals', () => {
  it('creates, lists, updates and deletes services, validating every field', async () => {
    const { call } = await schedulingSetup(db)
    const pro = await createProfessional(call)
    const service = await created<Record<string, unknown>>(
      await call('/api/v1/scheduling/services', {
        method: 'POST',
        json: {
          name: 'Limpeza de pele',
          duration_minutes: 90,
          buffer_after_minutes: 15,
          price_cents: 18000,
          professional_ids: [pro.id],
        },
      }),
    )
    expect(service).toMatchObject({
      id: expect.stringMatching(/^svc_/),
      currency: 'BRL',
      capacity: 1,
      min_notice_minutes: 60,
      professional_ids: [pro.id],
      active: true,
    })
    expect(
      await fieldPaths(
        await call('/api/v1/scheduling/services', {
          method: 'POST',
          json: { name: '', duration_minutes: 1, capacity: 0, currency: 'XYZ', professional_ids: ['x'] },
        }),
      ),
    ).toEqual([
      'json.capacity',
      'json.currency',
      'json.duration_minutes',
      'json.name',
      'json.professional_ids.0',
    ])
    const duplicate = await call('/api/v1/scheduling/services', {
      method: 'POST',
      json: { name: 'Limpeza de pele', duration_minutes: 30 },
    })
    expect(duplicate.status).toBe(409)
    expect(await errorCode(duplicate)).toBe('SERVICE_EXISTS')
    const unknownPro = await call('/api/v1/scheduling/services', {
      method: 'POST',
      json: { name: 'Outro', duration_minutes: 30, professional_ids: [`pro_${'0'.repeat(20)}`] },
    })
    expect(await fieldPaths(unknownPro)).toEqual(['json.professional_ids'])
    const updated = await created<Record<string, unknown>>(
      await call(`/api/v1/scheduling/services/${service.id}`, {
        method: 'PATCH',
        json: { price_cents: 20000, professional_ids: [] },
      }),
      200,
    )
    expect(updated).toMatchObject({ price_cents: 20000, professional_ids: [], duration_minutes: 90 })
    const list = await created<{ data: { id: string }[] }>(await call('/api/v1/scheduling/services'), 200)
    expect(list.data.map((s) => s.id)).toEqual([service.id])
    expect((await call(`/api/v1/scheduling/services/${service.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await call(`/api/v1/scheduling/services/${service.id}`)).status).toBe(404)

    // A service with appointments is kept for their history, deactivated.
    const { professional, service: used } = await clinic(call)
    await created(
      await book(call, {
        service_id: used.id,
        professional_id: professional.id,
        starts_at: '2027-03-01T09:00:00-03:00',
      }),
    )
    expect((await call(`/api/v1/scheduling/services/${used.id}`, { method: 'DELETE' })).status).toBe(204)
    expect(await created(await call(`/api/v1/scheduling/services/${used.id}`), 200)).toMatchObject({
      active: false,
    })
  })

  it('keeps a weekly plan with breaks, date exceptions and blocked periods, which availability follows', async () => {
    const { call } = await schedulingSetup(db)
    const pro = await created<{ id: string; time_zone: string }>(
      await call('/api/v1/scheduling/professionals', {
        method: 'POST',
        json: { name: 'Dr. Rui', time_zone: 'Europe/Lisbon' },
      }),
    )
    expect(pro.time_zone).toBe('Europe/Lisbon')
    expect(
      await fieldPaths(
        await call(`/api/v1/scheduling/professionals/${pro.id}/working-plan`, {
          method: 'PUT',
          json: {
            days: [
              { weekday: 7, hours: [] },
              {
                weekday: 1,
                hours: [
                  { start: '09:00', end: '13:00' },
                  { start: '12:00', end: '14:00' },
                ],
              },
              { weekday: 2, hours: [{ start: '18:00', end: '09:00' }] },
            ],
          },
        }),
      ),
    ).toEqual(['json.days.0.weekday', 'json.days.1.hours', 'json.days.2.hours.0.end'])
    const plan = await created<{ days: { weekday: number; hours: unknown[]; breaks: unknown[] }[] }>(
      await call(`/api/v1/scheduling/professionals/${pro.id}/working-plan`, {
        method: 'PUT',
        json: {
          days: [
            {
              weekday: 1,
              hours: [{ start: '09:00', end: '13:00' }],
              breaks: [{ start: '11:00', end: '11:30' }],
            },
          ],
        },
      }),
      200,
    )
    expect(plan.days[1]).toEqual({
      weekday: 1,
      hours: [{ start: '09:00', end: '13:00' }],
      breaks: [{ start: '11:00', end: '11:30' }],
    })
    const service = await created<{ id: string }>(
      await call('/api/v1/scheduling/services', {
        method: 'POST',
        json: {
          name: 'Fisioterapia',
          duration_minutes: 30,
          slot_interval_minutes: 30,
          professional_ids: [pro.id],
        },
      }),
    )
    // Monday 29 March 2027 is Lisbon's first day of summer time (UTC+1): 09:00 local is 08:00Z.
    const slots = async (date: string, zone = 'Europe/Lisbon') =>
      (
        await created<Slots>(
          await call(
            `/api/v1/scheduling/availability?service_id=${service.id}&from=${date}&to=${date}&time_zone=${encodeURIComponent(zone)}`,
          ),
          200,
        )
      ).slots
    const monday = await slots('2027-03-29')
    expect(monday.map((s) => s.local.slice(11))).toEqual([
      '09:00',
      '09:30',
      '10:00',
      '10:30',
      '11:30',
      '12:00',
      '12:30',
    ])
    expect(monday[0]?.starts_at).toBe('2027-03-29T08:00:00.000Z')
    // The same slots, labelled for a visitor in São Paulo (UTC−3): 05:00.
    expect((await slots('2027-03-29', 'America/Sao_Paulo'))[0]?.local).toBe('2027-03-29T05:00')
    // A week earlier (winter time, UTC+0): 09:00 local is 09:00Z.
    expect((await slots('2027-03-22'))[0]?.starts_at).toBe('2027-03-22T09:00:00.000Z')

    const off = await created<{ id: string; hours: null }>(
      await call(`/api/v1/scheduling/professionals/${pro.id}/exceptions`, {
        method: 'PUT',
        json: { date: '2027-03-29', kind: 'off', reason: 'Congresso' },
      }),
      200,
    )
    expect(await slots('2027-03-29')).toEqual([])
    const hours = await created<{ id: string; hours: { start: string; end: string } }>(
      await call(`/api/v1/scheduling/professionals/${pro.id}/exceptions`, {
        method: 'PUT',
        json: { date: '2027-03-29', kind: 'hours', hours: { start: '15:00', end: '16:00' } },
      }),
      200,
    )
    expect(hours.id).toBe(off.id)
    expect((await slots('2027-03-29')).map((s) => s.local.slice(11))).toEqual(['15:00', '15:30'])
    expect(
      await fieldPaths(
        await call(`/api/v1/scheduling/professionals/${pro.id}/exceptions`, {
          method: 'PUT',
          json: { date: '2027-03-30', kind: 'hours' },
        }),
      ),
    ).toEqual(['json.hours'])
    const listed = await created<{ data: { id: string }[] }>(
      await call(`/api/v1/scheduling/professionals/${pro.id}/exceptions?from=2027-03-01&to=2027-03-31`),
      200,
    )
    expect(listed.data.map((e) => e.id)).toEqual([off.id])
    expect(
      (await call(`/api/v1/scheduling/professionals/${pro.id}/exceptions/${off.id}`, { method: 'DELETE' }))
        .status,
    ).toBe(204)
    expect(
      (await call(`/api/v1/scheduling/professionals/${pro.id}/exceptions/${off.id}`, { method: 'DELETE' }))
        .status,
    ).toBe(404)

    const holiday = await created<{ id: string }>(
      await call('/api/v1/scheduling/blocked-periods', {
        method: 'POST',
        json: {
          starts_at: '2027-03-29T10:00:00+01:00',
          ends_at: '2027-03-30T00:00:00+01:00',
          reason: 'Feriado',
        },
      }),
    )
    expect((await slots('2027-03-29')).map((s) => s.local.slice(11))).toEqual(['09:00', '09:30'])
    expect(
      await fieldPaths(
        await call('/api/v1/scheduling/blocked-periods', {
          method: 'POST',
          json: { starts_at: '2027-03-29T10:00:00Z', ends_at: '2027-03-29T09:00:00Z' },
        }),
      ),
    ).toEqual(['json.ends_at'])
    const periods = await created<{ data: { id: string }[] }>(
      await call('/api/v1/scheduling/blocked-periods?from=2027-03-01T00:00:00Z'),
      200,
    )
    expect(periods.data.map((p) => p.id)).toEqual([holiday.id])
    expect(
      (await call(`/api/v1/scheduling/blocked-periods/${holiday.id}`, { method: 'DELETE' })).status,
    ).toBe(204)
    expect(
      await fieldPaths(
        await call(
          `/api/v1/scheduling/availability?service_id=${service.id}&from=2027-03-29&to=2027-05-29&time_zone=Mars/Base`,
        ),
      ),
    ).toEqual(['query.time_zone', 'query.to'])
  })

  it('refuses viewers’ changes, another tenant’s ids and tenants without the module', async () => {
    const { call, tenant, scoped } = await schedulingSetup(db)
    const { professional, service } = await clinic(call)
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const asViewer = as(scoped, (await login(db, viewer.email)).access_token)
    expect((await asViewer('/api/v1/scheduling/services')).status).toBe(200)
    const refused = await asViewer(`/api/v1/scheduling/professionals/${professional.id}/working-plan`, {
      method: 'PUT',
      json: { days: [] },
    })
    expect(refused.status).toBe(403)
    const other = await schedulingSetup(db)
    expect(
      (await other.call(`/api/v1/scheduling/professionals/${professional.id}/working-plan`)).status,
    ).toBe(404)
    expect(
      (
        await other.call(
          `/api/v1/scheduling/availability?service_id=${service.id}&from=2027-03-01&to=2027-03-02`,
        )
      ).status,
    ).toBe(404)
    const bare = await schedulingSetup(db, { modules: ['calendar'] })
    const gated = await bare.call('/api/v1/scheduling/services', {
      method: 'POST',
      json: { name: 'X', duration_minutes: 30 },
    })
    expect(gated.status).toBe(403)
    expect(await errorCode(gated)).toBe('MODULE_DISABLED')
  })
})

describe('the exclusion constraint on its own', () => {
  it('refuses an overlapping insert from a second transaction, which waits for the first (SQLSTATE 23P01)', async () => {
    const { call, tenant } = await schedulingSetup(db)
    const { professional, service } = await clinic(call)
    const insert = (id: string, start: string, end: string, slotKey = id) =>
      `insert into appointments (id, tenant_id, service_id, professional_id, starts_at, ends_at, blocked_from,
         blocked_until, slot_key, status, source)
       values ('${id}', '${tenant.tenantId}', '${service.id}', '${professional.id}', '${start}', '${end}', '${start}',
         '${end}', '${slotKey}', 'pending', 'api')`
    const [a, b, c] = [newId('apt'), newId('apt'), newId('apt')]
    // Two connections of the owner role, no application code: the first holds its row uncommitted.
    const outcome = await withClient(db.ownerUrl, async (first) => {
      await first('begin')
      await first(insert(a, '2027-04-05T12:00:00Z', '2027-04-05T13:00:00Z'))
      const second = withClient(db.ownerUrl, (query) =>
        query(insert(b, '2027-04-05T12:30:00Z', '2027-04-05T13:30:00Z')).then(
          () => 'inserted',
          (error: { code?: string }) => error.code,
        ),
      )
      await new Promise((resolve) => setTimeout(resolve, 300))
      await first('commit')
      return second
    })
    expect(outcome).toBe('23P01')
    // Back to back is no overlap; a cancelled row is out of the constraint.
    await db.owner(insert(c, '2027-04-05T13:00:00Z', '2027-04-05T14:00:00Z'))
    await db.owner(`update appointments set status = 'cancelled' where id = $1`, [a])
    await db.owner(insert(b, '2027-04-05T12:30:00Z', '2027-04-05T13:00:00Z'))
    await expect(
      db.owner(insert(newId('apt'), '2027-04-05T12:45:00Z', '2027-04-05T12:50:00Z')),
    ).rejects.toMatchObject({
      code: '23P01',
    })
  })
})
