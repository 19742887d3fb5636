import { beforeAll, describe, expect, it } from 'vitest'
import { parseFeed } from '../../../worker/services/calendar/parse.ts'
import {
  bookingsOf,
  calendarSetup,
  createBooking,
  createProperty,
  createSource,
  drain,
  fixture,
  json,
  newBotToken,
  newChatId,
  newFeed,
  publishFeed,
} from '../../helpers/calendar.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

async function fieldPaths(response: Response): Promise<string[]> {
  expect(response.status).toBe(400)
  const body = (await response.json()) as { error: { code: string; fields: { path: string }[] } }
  expect(body.error.code).toBe('VALIDATION_FAILED')
  return body.error.fields.map((f) => f.path).sort()
}

describe('properties', () => {
  it('creates, lists, updates and deletes, validating every field', async () => {
    const { call } = await calendarSetup(db)
    const created = await json<Record<string, unknown>>(
      await call('/api/v1/calendar/properties', {
        method: 'POST',
        json: {
          name: 'Casa Azul',
          address: 'Rua das Flores 10, Paraty',
          timezone: 'America/Sao_Paulo',
          capacity: 6,
        },
      }),
      201,
    )
    expect(created).toMatchObject({
      id: expect.stringMatching(/^prp_/),
      name: 'Casa Azul',
      capacity: 6,
      ical_export: { enabled: false, created_at: null },
    })
    expect(
      await fieldPaths(
        await call('/api/v1/calendar/properties', {
          method: 'POST',
          json: { timezone: 'Mars/Olympus_Mons', capacity: 0 },
        }),
      ),
    ).toEqual(['json.capacity', 'json.name', 'json.timezone'])
    const duplicate = await call('/api/v1/calendar/properties', {
      method: 'POST',
      json: { name: 'Casa Azul', timezone: 'UTC' },
    })
    expect(duplicate.status).toBe(409)
    expect(await errorCode(duplicate)).toBe('PROPERTY_EXISTS')
    const updated = await json<Record<string, unknown>>(
      await call(`/api/v1/calendar/properties/${created.id}`, { method: 'PATCH', json: { capacity: 8 } }),
      200,
    )
    expect(updated).toMatchObject({ capacity: 8, name: 'Casa Azul' })
    expect(
      await fieldPaths(
        await call(`/api/v1/calendar/properties/${created.id}`, { method: 'PATCH', json: {} }),
      ),
    ).toEqual(['json'])
    const list = await json<{ data: { id: string }[] }>(await call('/api/v1/calendar/properties'), 200)
    expect(list.data.map((p) => p.id)).toEqual([created.id])
    expect((await call(`/api/v1/calendar/properties/${created.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await call(`/api/v1/calendar/properties/${created.id}`)).status).toBe(404)
    expect((await call('/api/v1/calendar/properties/nope')).status).toBe(400)
  })
})

describe('sources', () => {
  it('keeps the iCal URL in the vault and shows it masked; refuses bad URLs and duplicates', async () => {
    const { call, tenant, capture } = await calendarSetup(db)
    const property = await createProperty(call)
    const secret = 'https://www.airbnb.com/calendar/ical/12345678.ics?s=0123456789abcdef0123456789abcdef'
    const source = await json<Record<string, unknown>>(
      await call('/api/v1/calendar/sources', {
        method: 'POST',
        json: {
          property_id: property.id,
          channel: 'airbnb',
          ical_url: secret.replace('https://', 'webcal://'),
        },
      }),
      201,
    )
    expect(source).toMatchObject({
      channel: 'airbnb',
      status: 'active',
      ical_url: 'https://www.airbnb.com/…cdef',
      last_synced_at: null,
      last_error: null,
    })
    expect(JSON.stringify(source)).not.toContain('0123456789abcdef0123')
    const stored = await db.env.TOKENS.get(`vault/${tenant.tenantId}/${source.id}/ical_url`)
    expect(stored).toBeTruthy()
    expect(stored).not.toContain('airbnb')
    const [row] = await db.owner<Record<string, unknown>>('select * from calendar_sources where id = $1', [
      source.id,
    ])
    expect(JSON.stringify(row)).not.toContain('0123456789abcdef0123')
    expect(capture.messages).toHaveLength(1)

    const again = await call('/api/v1/calendar/sources', {
      method: 'POST',
      json: { property_id: property.id, channel: 'airbnb', ical_url: secret },
    })
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('SOURCE_EXISTS')
    for (const url of [
      'ftp://example.com/cal.ics',
      'http://example.com/cal.ics',
      'https://user:pw@example.com/x.ics',
    ]) {
      const refused = await call('/api/v1/calendar/sources', {
        method: 'POST',
        json: { property_id: property.id, channel: 'other', ical_url: url },
      })
      expect(await fieldPaths(refused)).toEqual(['json.ical_url'])
    }
    expect(
      await fieldPaths(
        await call('/api/v1/calendar/sources', { method: 'POST', json: { channel: 'expedia' } }),
      ),
    ).toEqual(['json.channel', 'json.ical_url', 'json.property_id'])
    const other = await calendarSetup(db)
    const foreign = await createProperty(other.call)
    const intoForeign = await call('/api/v1/calendar/sources', {
      method: 'POST',
      json: {
        property_id: foreign.id,
        channel: 'airbnb',
        ical_url: 'https://www.airbnb.com/calendar/ical/9.ics',
      },
    })
    expect(await fieldPaths(intoForeign)).toEqual(['json.property_id'])

    // A new URL becomes the next vault version; deleting removes the URL and the source's bookings.
    const renamed = await json<Record<string, unknown>>(
      await call(`/api/v1/calendar/sources/${source.id}`, {
        method: 'PATCH',
        json: { name: 'Anúncio principal', ical_url: `${secret}x` },
      }),
      200,
    )
    expect(renamed).toMatchObject({
      name: 'Anúncio principal',
      ical_url: 'https://www.airbnb.com/…def' + 'x',
    })
    const [version] = await db.owner<{ url_version: number }>(
      'select url_version from calendar_sources where id = $1',
      [source.id],
    )
    expect(version?.url_version).toBe(2)
    expect((await call(`/api/v1/calendar/sources/${source.id}`, { method: 'DELETE' })).status).toBe(204)
    expect(await db.env.TOKENS.get(`vault/${tenant.tenantId}/${source.id}/ical_url`)).toBeNull()
    expect((await call(`/api/v1/calendar/sources/${source.id}`)).status).toBe(404)
  })
})

describe('manual bookings', () => {
  it('validates dates and refuses to edit what a feed owns', async () => {
    const { call, env, capture } = await calendarSetup(db)
    const property = await createProperty(call)
    expect(
      await fieldPaths(
        await call('/api/v1/calendar/bookings', {
          method: 'POST',
          json: { property_id: property.id, check_in: '2027-02-30', check_out: '2027-03-01' },
        }),
      ),
    ).toEqual(['json.check_in'])
    // Year 0 passes the ISO pattern (its leap-year branch) but Postgres has no year 0: was a 500.
    expect(
      await fieldPaths(
        await call('/api/v1/calendar/bookings', {
          method: 'POST',
          json: { property_id: property.id, check_in: '0000-02-29', check_out: '0001-01-02' },
        }),
      ),
    ).toEqual(['json.check_in'])
    expect(
      await fieldPaths(
        await call('/api/v1/calendar/bookings', {
          method: 'POST',
          json: { property_id: property.id, check_in: '2027-03-05', check_out: '2027-03-05' },
        }),
      ),
    ).toEqual(['json.check_out'])
    expect(
      await fieldPaths(
        await call('/api/v1/calendar/bookings', {
          method: 'POST',
          json: {
            property_id: property.id,
            check_in: '2027-03-05',
            check_out: '2027-03-06',
            status: 'cancelled',
          },
        }),
      ),
    ).toEqual(['json.status'])
    const created = await createBooking(call, {
      property_id: property.id,
      check_in: '2027-03-01',
      check_out: '2027-03-04',
      guest_name: 'Ana',
    })
    expect(created.booking).toMatchObject({
      channel: 'direct',
      nights: 3,
      source_id: null,
      status: 'confirmed',
    })
    expect(
      await fieldPaths(
        await call(`/api/v1/calendar/bookings/${created.booking.id}`, {
          method: 'PATCH',
          json: { check_out: '2027-02-20' },
        }),
      ),
    ).toEqual(['json.check_out'])
    expect(
      await fieldPaths(
        await call(`/api/v1/calendar/bookings/${created.booking.id}`, {
          method: 'PATCH',
          json: { check_in: '0000-12-30' },
        }),
      ),
    ).toEqual(['json.check_in'])

    const feed = newFeed()
    await publishFeed(feed.id, await fixture('booking'))
    const source = await createSource(call, property.id, feed.url, 'booking')
    await drain(env, capture)
    const [fromFeed] = await bookingsOf(call, `source_id=${source.id}`)
    const edit = await call(`/api/v1/calendar/bookings/${fromFeed?.id}`, {
      method: 'PATCH',
      json: { notes: 'x' },
    })
    expect(edit.status).toBe(409)
    expect(await errorCode(edit)).toBe('BOOKING_FROM_FEED')
    expect((await call(`/api/v1/calendar/bookings/${fromFeed?.id}`, { method: 'DELETE' })).status).toBe(409)
    expect((await bookingsOf(call, 'source_id=manual')).map((b) => b.id)).toEqual([created.booking.id])
    expect(
      (await bookingsOf(call, `property_id=${property.id}&from=2027-01-01&to=2027-01-31`)).map(
        (b) => b.check_in,
      ),
    ).toEqual(['2027-01-10'])
  })
})

describe('statistics', () => {
  it('counts nights, occupancy, bookings by channel and average stay exactly', async () => {
    const { call, env, capture } = await calendarSetup(db)
    const manual = await createProperty(call, { name: 'A — Manual' })
    const feedProperty = await createProperty(call, { name: 'B — Airbnb' })
    const p = manual.id
    await createBooking(call, { property_id: p, check_in: '2027-02-01', check_out: '2027-02-05' }) // 4 nights
    await createBooking(call, { property_id: p, check_in: '2027-02-10', check_out: '2027-02-13' }) // 3 nights
    await createBooking(call, { property_id: p, check_in: '2027-02-11', check_out: '2027-02-12' }) // double-booked night
    await createBooking(call, {
      property_id: p,
      check_in: '2027-02-20',
      check_out: '2027-02-22',
      status: 'blocked',
    })
    await createBooking(call, { property_id: p, check_in: '2027-02-26', check_out: '2027-03-03' }) // 3 of 5 in Feb
    await createBooking(call, { property_id: p, check_in: '2027-01-20', check_out: '2027-01-25' }) // before
    const cancelled = await createBooking(call, {
      property_id: p,
      check_in: '2027-02-15',
      check_out: '2027-02-18',
    })
    await call(`/api/v1/calendar/bookings/${cancelled.booking.id}`, {
      method: 'PATCH',
      json: { status: 'cancelled' },
    })
    const feed = newFeed()
    await publishFeed(feed.id, await fixture('airbnb'))
    await createSource(call, feedProperty.id, feed.url, 'airbnb')
    await drain(env, capture)

    const february = await json<Record<string, unknown>>(
      await call('/api/v1/calendar/statistics?from=2027-02-01&to=2027-02-28'),
      200,
    )
    expect(february).toEqual({
      from: '2027-02-01',
      to: '2027-02-28',
      properties: [
        {
          property_id: manual.id,
          name: 'A — Manual',
          nights_in_period: 28,
          nights_booked: 10,
          nights_blocked: 2,
          occupancy_rate: 35.71,
          bookings: 4,
          bookings_by_channel: { direct: 4 },
          average_stay: 3.25,
        },
        {
          property_id: feedProperty.id,
          name: 'B — Airbnb',
          nights_in_period: 28,
          nights_booked: 0,
          nights_blocked: 0,
          occupancy_rate: 0,
          bookings: 0,
          bookings_by_channel: {},
          average_stay: null,
        },
      ],
      totals: {
        properties: 2,
        nights_in_period: 56,
        nights_booked: 10,
        nights_blocked: 2,
        occupancy_rate: 17.86,
        bookings: 4,
        bookings_by_channel: { direct: 4 },
        average_stay: 3.25,
      },
    })
    const january = await json<{ properties: Record<string, unknown>[] }>(
      await call(`/api/v1/calendar/statistics?from=2027-01-01&to=2027-01-31&property_id=${feedProperty.id}`),
      200,
    )
    expect(january.properties).toEqual([
      expect.objectContaining({
        nights_in_period: 31,
        nights_booked: 7,
        nights_blocked: 5,
        occupancy_rate: 22.58,
        bookings: 2,
        bookings_by_channel: { airbnb: 2 },
        average_stay: 3.5,
      }),
    ])
    expect(await fieldPaths(await call('/api/v1/calendar/statistics?from=2027-02-10&to=2027-02-01'))).toEqual(
      ['query.to'],
    )
    expect(await fieldPaths(await call('/api/v1/calendar/statistics?from=2020-01-01&to=2027-01-01'))).toEqual(
      ['query.to'],
    )
    expect(await fieldPaths(await call('/api/v1/calendar/statistics?from=2027-01-01'))).toEqual(['query.to'])
    expect(await fieldPaths(await call('/api/v1/calendar/statistics?from=0000-12-20&to=0001-01-10'))).toEqual(
      ['query.from'],
    )
  })
})

describe('iCal export', () => {
  it('exports stays and blocks as folded, escaped all-day VEVENTs that parse back to the same nights', async () => {
    const { call, env, capture } = await calendarSetup(db)
    const name = 'Casa Açaí; Praia, Vista \\ Mar — Suíte 🌊 com varanda e churrasqueira para oito pessoas'
    const property = await createProperty(call, { name })
    await createBooking(call, {
      property_id: property.id,
      check_in: '2027-04-01',
      check_out: '2027-04-05',
      guest_name: 'Fernanda Lima',
    })
    await createBooking(call, {
      property_id: property.id,
      check_in: '2027-04-05',
      check_out: '2027-04-07',
      status: 'blocked',
    })
    const gone = await createBooking(call, {
      property_id: property.id,
      check_in: '2027-04-10',
      check_out: '2027-04-12',
    })
    await call(`/api/v1/calendar/bookings/${gone.booking.id}`, {
      method: 'PATCH',
      json: { status: 'cancelled' },
    })

    const first = await json<{ ical_url: string }>(
      await call(`/api/v1/calendar/properties/${property.id}/ical-token`, { method: 'POST' }),
      201,
    )
    expect(first.ical_url).toMatch(/^https:\/\/integra\.test\/ical\/[A-Za-z0-9_-]{43}\.ics$/)
    const response = await callWorker(db.env, first.ical_url)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/calendar; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('private, no-store')
    const body = await response.text()
    const lines = body.split('\r\n')
    expect(lines.at(-1)).toBe('')
    for (const line of lines) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75)
    expect(body).toContain('\r\n ')
    expect(body).not.toContain('Fernanda')
    const events = await parseFeed(body, 'America/Sao_Paulo')
    expect(events.map((e) => [e.checkIn, e.checkOut, e.status])).toEqual([
      ['2027-04-01', '2027-04-05', 'blocked'],
      ['2027-04-05', '2027-04-07', 'blocked'],
    ])
    // Escaped on the way out (a backslash before ; , and \), folded, and read back exactly.
    expect(body).toContain('Açaí\\; Praia\\, Vista \\\\ Mar')
    expect(events[0]?.summary).toBe(`${name} - Not available`)
    const shown = await json<{ ical_export: { enabled: boolean } }>(
      await call(`/api/v1/calendar/properties/${property.id}`),
      200,
    )
    expect(shown.ical_export.enabled).toBe(true)

    // A channel importing the export sees exactly these nights as blocked.
    const mirror = await createProperty(call)
    const feed = newFeed()
    await publishFeed(feed.id, body)
    const source = await createSource(call, mirror.id, feed.url, 'other')
    await drain(env, capture)
    expect(
      (await bookingsOf(call, `source_id=${source.id}`)).map((b) => [b.check_in, b.check_out, b.status]),
    ).toEqual([
      ['2027-04-01', '2027-04-05', 'blocked'],
      ['2027-04-05', '2027-04-07', 'blocked'],
    ])

    // Rotating revokes the old URL; revoking ends the new one.
    const second = await json<{ ical_url: string }>(
      await call(`/api/v1/calendar/properties/${property.id}/ical-token`, { method: 'POST' }),
      201,
    )
    expect((await callWorker(db.env, first.ical_url)).status).toBe(404)
    expect((await callWorker(db.env, second.ical_url)).status).toBe(200)
    expect(
      (await call(`/api/v1/calendar/properties/${property.id}/ical-token`, { method: 'DELETE' })).status,
    ).toBe(204)
    expect((await callWorker(db.env, second.ical_url)).status).toBe(404)
    expect((await callWorker(db.env, '/ical/not-a-token.ics')).status).toBe(404)
  })

  it('answers 404 when the tenant’s plan no longer includes the calendar', async () => {
    const { call, tenant } = await calendarSetup(db)
    const property = await createProperty(call)
    const { ical_url } = await json<{ ical_url: string }>(
      await call(`/api/v1/calendar/properties/${property.id}/ical-token`, { method: 'POST' }),
      201,
    )
    expect((await callWorker(db.env, ical_url)).status).toBe(200)
    await db.owner(`update plans set modules = '{metrics}' where id = $1`, [tenant.planId])
    expect((await callWorker(db.env, ical_url)).status).toBe(404)
  })
})

describe('alert settings', () => {
  it('stores the bot token in the vault and never shows it again', async () => {
    const { call, tenant } = await calendarSetup(db)
    expect(await json(await call('/api/v1/calendar/alerts'), 200)).toEqual({
      telegram_chat_id: null,
      telegram_bot_token_set: false,
      updated_at: null,
    })
    const token = newBotToken()
    const chatId = newChatId()
    const saved = await json<Record<string, unknown>>(
      await call('/api/v1/calendar/alerts', {
        method: 'PUT',
        json: { telegram_bot_token: token, telegram_chat_id: chatId },
      }),
      200,
    )
    expect(saved).toMatchObject({ telegram_chat_id: chatId, telegram_bot_token_set: true })
    expect(JSON.stringify(saved)).not.toContain(token)
    const stored = await db.env.TOKENS.get(`vault/${tenant.tenantId}/calendar-alerts/bot_token`)
    expect(stored).not.toContain(token.split(':')[1])
    const audit = await db.owner<{ action: string; data: unknown }>(
      `select action, data from audit_log where tenant_id = $1 and action like 'calendar.alerts%'`,
      [tenant.tenantId],
    )
    expect(audit).toHaveLength(1)
    expect(JSON.stringify(audit)).not.toContain(token)
    expect(
      await fieldPaths(
        await call('/api/v1/calendar/alerts', {
          method: 'PUT',
          json: { telegram_bot_token: 'not-a-token', telegram_chat_id: 'chat' },
        }),
      ),
    ).toEqual(['json.telegram_bot_token', 'json.telegram_chat_id'])
  })
})

describe('security', () => {
  const routes: [string, string][] = [
    ['GET', '/api/v1/calendar/properties'],
    ['POST', '/api/v1/calendar/properties'],
    ['GET', '/api/v1/calendar/sources'],
    ['GET', '/api/v1/calendar/bookings'],
    ['GET', '/api/v1/calendar/conflicts'],
    ['GET', '/api/v1/calendar/statistics'],
    ['GET', '/api/v1/calendar/alerts'],
    ['PUT', '/api/v1/calendar/alerts'],
  ]

  it('answers 401 without credentials on every route', async () => {
    for (const [method, path] of routes) {
      const response = await callWorker(db.env, path, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      })
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 })
    }
  })

  it('lets viewers and analysts read, and only owners and admins change anything', async () => {
    const { call, tenant, scoped } = await calendarSetup(db)
    const property = await createProperty(call)
    const booking = await createBooking(call, {
      property_id: property.id,
      check_in: '2027-06-01',
      check_out: '2027-06-03',
    })
    for (const role of ['viewer', 'analyst'] as const) {
      const member = await createMember(db, tenant.tenantId, role)
      const reader = as(scoped, (await login(db, member.email)).access_token)
      for (const path of [
        '/api/v1/calendar/properties',
        `/api/v1/calendar/properties/${property.id}`,
        '/api/v1/calendar/bookings',
        '/api/v1/calendar/conflicts',
        '/api/v1/calendar/statistics',
        '/api/v1/calendar/alerts',
      ])
        expect({ role, path, status: (await reader(path)).status }).toEqual({ role, path, status: 200 })
      const writes: [string, string, unknown][] = [
        ['POST', '/api/v1/calendar/properties', { name: 'X', timezone: 'UTC' }],
        ['PATCH', `/api/v1/calendar/properties/${property.id}`, { capacity: 2 }],
        ['POST', `/api/v1/calendar/properties/${property.id}/ical-token`, undefined],
        [
          'POST',
          '/api/v1/calendar/bookings',
          { property_id: property.id, check_in: '2027-07-01', check_out: '2027-07-02' },
        ],
        ['DELETE', `/api/v1/calendar/bookings/${booking.booking.id}`, undefined],
        ['PUT', '/api/v1/calendar/alerts', { telegram_bot_token: newBotToken(), telegram_chat_id: '1' }],
      ]
      for (const [method, path, body] of writes) {
        const response = await reader(path, { method, json: body })
        expect({ role, method, path, status: response.status }).toEqual({ role, method, path, status: 403 })
      }
    }
    const admin = await createMember(db, tenant.tenantId, 'admin')
    const adminCall = as(scoped, (await login(db, admin.email)).access_token)
    expect(
      (
        await adminCall(`/api/v1/calendar/properties/${property.id}`, {
          method: 'PATCH',
          json: { capacity: 2 },
        })
      ).status,
    ).toBe(200)
  })

  it('hides another tenant’s rows (404) and refuses a plan without the calendar module (403)', async () => {
    const a = await calendarSetup(db)
    const b = await calendarSetup(db)
    const property = await createProperty(a.call)
    const source = await createSource(a.call, property.id, newFeed().url)
    const booking = await createBooking(a.call, {
      property_id: property.id,
      check_in: '2027-06-01',
      check_out: '2027-06-03',
    })
    for (const path of [
      `/api/v1/calendar/properties/${property.id}`,
      `/api/v1/calendar/sources/${source.id}`,
      `/api/v1/calendar/sources/${source.id}/runs`,
      `/api/v1/calendar/bookings/${booking.booking.id}`,
    ]) {
      const response = await b.call(path)
      expect({ path, status: response.status }).toEqual({ path, status: 404 })
    }
    expect((await b.call(`/api/v1/calendar/properties/${property.id}`, { method: 'DELETE' })).status).toBe(
      404,
    )
    expect((await b.call(`/api/v1/calendar/sources/${source.id}/sync`, { method: 'POST' })).status).toBe(404)
    expect(
      (
        await b.call(`/api/v1/calendar/bookings/${booking.booking.id}`, {
          method: 'PATCH',
          json: { notes: 'x' },
        })
      ).status,
    ).toBe(404)
    // Lists and filters only ever show the caller's own rows.
    const listed = await json<{ data: unknown[] }>(
      await b.call(`/api/v1/calendar/bookings?property_id=${property.id}`),
      200,
    )
    expect(listed.data).toEqual([])
    const stats = await json<{ properties: unknown[] }>(
      await b.call(`/api/v1/calendar/statistics?property_id=${property.id}`),
      200,
    )
    expect(stats.properties).toEqual([])

    const metricsOnly = await calendarSetup(db, { modules: ['metrics'] })
    const validBodies: Record<string, unknown> = {
      '/api/v1/calendar/properties': { name: 'X', timezone: 'UTC' },
      '/api/v1/calendar/alerts': { telegram_bot_token: newBotToken(), telegram_chat_id: '1' },
    }
    for (const [method, path] of routes) {
      const response = await metricsOnly.call(path, {
        method,
        json: method === 'GET' ? undefined : validBodies[path],
      })
      expect({ path, status: response.status, code: await errorCode(response) }).toEqual({
        path,
        status: 403,
        code: 'MODULE_DISABLED',
      })
    }
  })
})
