import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import worker from '../../worker/index.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { fetchFeed } from '../../worker/services/calendar/fetch-feed.ts'
import { MalformedFeedError, parseFeed } from '../../worker/services/calendar/parse.ts'
import {
  bookingsOf,
  calendarSetup,
  createProperty,
  createSource,
  drain,
  feedRequests,
  feedScenario,
  fixture,
  json,
  newFeed,
  publishFeed,
  syncNow,
} from '../helpers/calendar.ts'
import { captureQueue, createTestDatabase, type TestDatabase } from '../helpers/env.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const SAO_PAULO = 'America/Sao_Paulo'

describe('parsing real-format feeds', () => {
  it('reads Airbnb: stays as confirmed, "Airbnb (Not available)" as a block, CRLF and folded lines', async () => {
    const text = await fixture('airbnb')
    expect(text).toContain('\r\n ')
    const events = await parseFeed(text, SAO_PAULO)
    expect(events.map((e) => [e.checkIn, e.checkOut, e.status, e.summary])).toEqual([
      ['2027-01-08', '2027-01-12', 'confirmed', 'Reserved'],
      ['2027-01-12', '2027-01-15', 'confirmed', 'Reserved'],
      ['2027-01-20', '2027-01-25', 'blocked', 'Airbnb (Not available)'],
    ])
    expect(events[0]?.uid).toBe('1418fb94e984-4f1c0d2b7a8e3c9d5b6a7f8e9d0c1b2a@airbnb.com')
    expect(events.every((e) => e.guestName === null)).toBe(true)
  })

  it('reads Booking.com ("CLOSED - Not available", LF line endings) as blocks', async () => {
    const text = await fixture('booking')
    expect(text).not.toContain('\r\n')
    const events = await parseFeed(text, SAO_PAULO)
    expect(events.map((e) => [e.checkIn, e.checkOut, e.status])).toEqual([
      ['2027-01-10', '2027-01-13', 'blocked'],
      ['2027-02-01', '2027-02-05', 'blocked'],
    ])
  })

  it('reads VRBO: a folded guest name, DURATION instead of DTEND, STATUS:CANCELLED', async () => {
    const events = await parseFeed(await fixture('vrbo'), SAO_PAULO)
    expect(events).toEqual([
      expect.objectContaining({
        checkIn: '2027-01-11',
        checkOut: '2027-01-14',
        status: 'confirmed',
        guestName: 'Maria Aparecida dos Santos Oliveira, family of four travelling from Belo Horizonte',
      }),
      expect.objectContaining({ checkIn: '2027-03-01', checkOut: '2027-03-04', status: 'blocked' }),
      expect.objectContaining({ checkIn: '2027-03-05', checkOut: '2027-03-08', status: 'cancelled' }),
    ])
  })

  it('turns timed events in any zone into dates in the property’s zone', async () => {
    const events = await parseFeed(await fixture('timezones'), SAO_PAULO)
    const byUid = Object.fromEntries(events.map((e) => [e.uid, [e.checkIn, e.checkOut, e.status]]))
    expect(byUid).toEqual({
      // 02:00 in Lisbon (UTC+0 in March) is 23:00 the evening before in São Paulo.
      'tz-lisbon@example.com': ['2027-02-28', '2027-03-03', 'confirmed'],
      // 01:30 UTC is 22:30 the day before in São Paulo.
      'tz-utc@example.com': ['2027-03-09', '2027-03-12', 'confirmed'],
      // A zone defined only by the feed's own VTIMEZONE.
      'tz-custom@example.com': ['2027-03-20', '2027-03-23', 'confirmed'],
      // A floating time within one day still takes that night.
      'tz-floating@example.com': ['2027-04-01', '2027-04-02', 'blocked'],
    })
    // The same Lisbon event seen from Lisbon keeps its own dates.
    const lisbon = await parseFeed(await fixture('timezones'), 'Europe/Lisbon')
    expect(lisbon.find((e) => e.uid === 'tz-lisbon@example.com')?.checkIn).toBe('2027-03-01')
  })

  it('refuses what is not iCalendar, saying why', async () => {
    await expect(parseFeed(await fixture('not-a-calendar'), SAO_PAULO)).rejects.toThrow(MalformedFeedError)
    await expect(parseFeed(await fixture('malformed'), SAO_PAULO)).rejects.toThrow(/not a readable iCalendar/)
    await expect(parseFeed('', SAO_PAULO)).rejects.toThrow(MalformedFeedError)
  })
})

describe('syncing a source through the queue', () => {
  it('upserts bookings by UID; a repeated sync changes nothing; an event that disappears is cancelled', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const feed = newFeed()
    await publishFeed(feed.id, await fixture('airbnb'))
    const property = await createProperty(call)
    const source = await createSource(call, property.id, feed.url)
    // The URL is a secret: answers show a masked form only.
    expect(source.ical_url).not.toContain(feed.id)
    expect(source.ical_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…/)
    expect(capture.messages).toEqual([
      { type: 'calendar.sync', v: 1, tenantId: tenant.tenantId, sourceId: source.id, kind: 'manual' },
    ])
    await drain(env, capture)

    const first = await bookingsOf(call, `source_id=${source.id}`)
    expect(first.map((b) => [b.check_in, b.check_out, b.status])).toEqual([
      ['2027-01-08', '2027-01-12', 'confirmed'],
      ['2027-01-12', '2027-01-15', 'confirmed'],
      ['2027-01-20', '2027-01-25', 'blocked'],
    ])
    const runs = await json<{ data: Record<string, unknown>[] }>(
      await call(`/api/v1/calendar/sources/${source.id}/runs`),
      200,
    )
    expect(runs.data[0]).toMatchObject({
      status: 'succeeded',
      events: 3,
      created: 3,
      updated: 0,
      cancelled: 0,
    })

    // The same feed again, unconditionally (a republish with the same body): nothing changes.
    await publishFeed(feed.id, await fixture('airbnb'))
    await syncNow(env, capture, tenant.tenantId, source.id)
    expect(await bookingsOf(call, `source_id=${source.id}`)).toEqual(first)
    const again = await json<{ data: Record<string, unknown>[] }>(
      await call(`/api/v1/calendar/sources/${source.id}/runs`),
      200,
    )
    expect(again.data[0]).toMatchObject({ status: 'succeeded', created: 0, updated: 0, cancelled: 0 })

    // The second stay disappears from the feed: cancelled, kept, same id.
    const withoutSecond = (await fixture('airbnb')).replace(
      /BEGIN:VEVENT\r\nDTEND;VALUE=DATE:20270115[\s\S]*?END:VEVENT\r\n/,
      '',
    )
    await publishFeed(feed.id, withoutSecond)
    await syncNow(env, capture, tenant.tenantId, source.id)
    const after = await bookingsOf(call, `source_id=${source.id}`)
    expect(after.map((b) => [b.id, b.status])).toEqual([
      [first[0]?.id, 'confirmed'],
      [first[1]?.id, 'cancelled'],
      [first[2]?.id, 'blocked'],
    ])
    // And comes back: the same booking is confirmed again.
    await publishFeed(feed.id, await fixture('airbnb'))
    await syncNow(env, capture, tenant.tenantId, source.id)
    expect((await bookingsOf(call, `source_id=${source.id}`)).map((b) => b.status)).toEqual([
      'confirmed',
      'confirmed',
      'blocked',
    ])
  })

  it('sends the feed’s validators back and takes 304 as “nothing changed”', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const feed = newFeed()
    await publishFeed(feed.id, await fixture('booking'))
    const property = await createProperty(call)
    const source = await createSource(call, property.id, feed.url, 'booking')
    await drain(env, capture)
    await syncNow(env, capture, tenant.tenantId, source.id)
    const requests = await feedRequests(feed.id)
    expect(requests.map((r) => r.status)).toEqual([200, 304])
    expect(requests[0]?.ifNoneMatch).toBeNull()
    expect(requests[1]?.ifNoneMatch).toMatch(/^"v1-/)
    const runs = await json<{ data: { status: string; http_status: number }[] }>(
      await call(`/api/v1/calendar/sources/${source.id}/runs`),
      200,
    )
    expect(runs.data.map((r) => [r.status, r.http_status])).toEqual([
      ['not_modified', 304],
      ['succeeded', 200],
    ])
    expect(await bookingsOf(call, `source_id=${source.id}`)).toHaveLength(2)
    const [row] = await db.owner<{ etag: string; last_synced_at: Date }>(
      'select etag, last_synced_at from calendar_sources where id = $1',
      [source.id],
    )
    expect(row?.etag).toMatch(/^"v1-/)
  })

  it('keeps every booking when the feed is unreachable, failing, malformed, too large or not a calendar', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const feed = newFeed()
    await publishFeed(feed.id, await fixture('airbnb'))
    const property = await createProperty(call)
    const source = await createSource(call, property.id, feed.url)
    await drain(env, capture)
    const before = await bookingsOf(call, `source_id=${source.id}`)
    expect(before).toHaveLength(3)

    const malformed = await fixture('malformed')
    const failures: [string | null, () => Promise<void>, RegExp][] = [
      ['server_error', async () => {}, /HTTP 503/],
      ['html', async () => {}, /not a readable iCalendar file: it does not start with BEGIN:VCALENDAR/],
      ['huge', async () => {}, /larger than 2 MiB/],
      [null, () => publishFeed(feed.id, malformed), /not a readable iCalendar/],
    ]
    for (const [scenario, prepare, message] of failures) {
      await prepare()
      await feedScenario(feed.id, scenario)
      await syncNow(env, capture, tenant.tenantId, source.id)
      await feedScenario(feed.id, null)
      const shown = await json<{ last_error: string | null }>(
        await call(`/api/v1/calendar/sources/${source.id}`),
        200,
      )
      expect(shown.last_error).toMatch(message)
      expect(await bookingsOf(call, `source_id=${source.id}`)).toEqual(before)
    }
    const runs = await json<{ data: { status: string; error: string | null }[] }>(
      await call(`/api/v1/calendar/sources/${source.id}/runs`),
      200,
    )
    expect(runs.data.slice(0, 4).map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed'])
    // The URL never shows up in an error.
    expect(JSON.stringify(runs)).not.toContain(feed.id)

    // Unreachable: nothing listens on the port.
    await call(`/api/v1/calendar/sources/${source.id}`, {
      method: 'PATCH',
      json: { ical_url: 'http://127.0.0.1:9/closed.ics' },
    })
    await syncNow(env, capture, tenant.tenantId, source.id)
    const shown = await json<{ last_error: string }>(await call(`/api/v1/calendar/sources/${source.id}`), 200)
    expect(shown.last_error).toBe('the calendar host could not be reached')
    expect(await bookingsOf(call, `source_id=${source.id}`)).toEqual(before)

    // Fixed: the next sync clears the error.
    await publishFeed(feed.id, await fixture('airbnb'))
    await call(`/api/v1/calendar/sources/${source.id}`, { method: 'PATCH', json: { ical_url: feed.url } })
    await syncNow(env, capture, tenant.tenantId, source.id)
    const healed = await json<{ last_error: string | null; last_synced_at: string }>(
      await call(`/api/v1/calendar/sources/${source.id}`),
      200,
    )
    expect(healed.last_error).toBeNull()
  })

  it('gives up on a feed that does not answer in time', async () => {
    const feed = newFeed()
    await publishFeed(feed.id, await fixture('booking'))
    await feedScenario(feed.id, 'slow')
    await expect(fetchFeed(feed.url, { etag: null, lastModified: null }, { timeoutMs: 200 })).rejects.toThrow(
      /did not answer within 200 ms/,
    )
    await feedScenario(feed.id, null)
  })

  it('refuses a body over the size limit', async () => {
    const feed = newFeed()
    await publishFeed(feed.id, await fixture('airbnb'))
    await expect(fetchFeed(feed.url, { etag: null, lastModified: null }, { maxBytes: 100 })).rejects.toThrow(
      /larger than/,
    )
    const ok = await fetchFeed(feed.url, { etag: null, lastModified: null })
    expect(ok).toMatchObject({ kind: 'ok', httpStatus: 200 })
  })

  it('skips a paused source, and a tenant whose plan lost the calendar module', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const feed = newFeed()
    await publishFeed(feed.id, await fixture('airbnb'))
    const property = await createProperty(call)
    const source = await createSource(call, property.id, feed.url)
    capture.messages.length = 0
    await json(
      await call(`/api/v1/calendar/sources/${source.id}`, { method: 'PATCH', json: { status: 'paused' } }),
      200,
    )
    await syncNow(env, capture, tenant.tenantId, source.id)
    expect(await feedRequests(feed.id)).toEqual([])
    const refused = await call(`/api/v1/calendar/sources/${source.id}/sync`, { method: 'POST' })
    expect(refused.status).toBe(409)
    await json(
      await call(`/api/v1/calendar/sources/${source.id}`, { method: 'PATCH', json: { status: 'active' } }),
      200,
    )
    await db.owner(`update plans set modules = '{metrics}' where id = $1`, [tenant.planId])
    await syncNow(env, capture, tenant.tenantId, source.id)
    expect(await feedRequests(feed.id)).toEqual([])
  })

  it('"sync now" queues a manual sync, at most once a minute', async () => {
    const { call, capture, tenant } = await calendarSetup(db)
    const property = await createProperty(call)
    const source = await createSource(call, property.id, newFeed().url)
    capture.messages.length = 0
    expect(
      await json(await call(`/api/v1/calendar/sources/${source.id}/sync`, { method: 'POST' }), 202),
    ).toEqual({
      queued: true,
    })
    expect(capture.messages).toEqual([
      { type: 'calendar.sync', v: 1, tenantId: tenant.tenantId, sourceId: source.id, kind: 'manual' },
    ])
    const again = await call(`/api/v1/calendar/sources/${source.id}/sync`, { method: 'POST' })
    expect(again.status).toBe(429)
    expect(again.headers.get('retry-after')).toBe('60')
  })
})

describe('the cron fan-out', () => {
  async function tick(env: Record<string, unknown>, scheduledTime: number) {
    const capture = captureQueue()
    const batch = createMessageBatch('integra-jobs', [
      {
        id: `tick-${scheduledTime}-${Math.random()}`,
        timestamp: new Date(),
        attempts: 1,
        body: { type: 'cron.tick', v: 1, cron: '*/15 * * * *', scheduledTime },
      },
    ])
    const ctx = createExecutionContext()
    await worker.queue(batch, { ...(env as typeof db.env), JOBS: capture.queue }, ctx)
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1)
    return (capture.messages as JobMessage[]).flatMap((m) => (m.type === 'calendar.sync' ? [m.sourceId] : []))
  }

  it('sends one calendar.sync per due source of a licensed tenant, leased for the interval', async () => {
    const { call, tenant } = await calendarSetup(db)
    const property = await createProperty(call)
    const due = await createSource(call, property.id, newFeed().url)
    const paused = await createSource(call, property.id, newFeed().url)
    await call(`/api/v1/calendar/sources/${paused.id}`, { method: 'PATCH', json: { status: 'paused' } })
    const other = await calendarSetup(db, { modules: ['metrics'] })
    const [otherProperty] = await db.owner<{ id: string }>(
      `insert into properties (id, tenant_id, name, timezone) values ('prp_' || substr(md5(random()::text), 1, 20), $1, 'x', 'UTC') returning id`,
      [other.tenant.tenantId],
    )
    const [unlicensed] = await db.owner<{ id: string }>(
      `insert into calendar_sources (id, tenant_id, property_id, channel, url_masked, url_digest, next_sync_at)
       values ('src_' || substr(md5(random()::text), 1, 20), $1, $2, 'airbnb', 'x', 'y', now() - interval '1 minute')
       returning id`,
      [other.tenant.tenantId, otherProperty?.id],
    )
    await db.owner(
      `update calendar_sources set next_sync_at = now() - interval '1 minute' where tenant_id = $1`,
      [tenant.tenantId],
    )
    const time = Date.now()
    const sent = await tick(db.env, time)
    expect(sent.filter((id) => [due.id, paused.id, unlicensed?.id].includes(id))).toEqual([due.id])
    // The same slot again does nothing; a later tick finds the source leased.
    expect(await tick(db.env, time)).toEqual([])
    expect(await tick(db.env, time + 60_000)).not.toContain(due.id)
    const [row] = await db.owner<{ minutes: number }>(
      `select round(extract(epoch from next_sync_at - now()) / 60)::int as minutes from calendar_sources where id = $1`,
      [due.id],
    )
    expect(row?.minutes).toBeGreaterThanOrEqual(29)
  })
})
