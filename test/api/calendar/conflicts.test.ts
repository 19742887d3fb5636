import { beforeAll, describe, expect, it } from 'vitest'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import {
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
  syncNow,
  telegramControl,
  telegramMessages,
} from '../../helpers/calendar.ts'
import { runJobs } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { captureLogs } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type Conflict = {
  id: string
  severity: string
  status: string
  overlap_start: string
  overlap_end: string
  alerted_at: string | null
  resolved_at: string | null
  bookings: { id: string; channel: string; status: string }[]
}

async function conflicts(call: Awaited<ReturnType<typeof calendarSetup>>['call'], query = '') {
  const page = await json<{ data: Conflict[] }>(
    await call(`/api/v1/calendar/conflicts?limit=100&${query}`),
    200,
  )
  return page.data
}

/** The outbox messages alerting one conflict (one at most, ever). */
const alertsOf = (conflictId: string) =>
  db.owner<{
    id: string
    status: string
    error_code: string | null
    error_message: string | null
    attempts: number
  }>(
    `select id, status, error_code, error_message, attempts from outbound_messages
     where idempotency_key = $1 and purpose = 'calendar.conflict_alert'`,
    [`calendar.conflict:${conflictId}`],
  )

/** What a conflict is about, independent of ids and of which booking is `a`. */
const shape = (c: Conflict) => ({
  severity: c.severity,
  status: c.status,
  overlap: `${c.overlap_start}/${c.overlap_end}`,
  channels: c.bookings.map((b) => b.channel).sort(),
})
const byOverlap = (a: { overlap: string; channels: string[] }, b: { overlap: string; channels: string[] }) =>
  a.overlap.localeCompare(b.overlap) || a.channels.join().localeCompare(b.channels.join())

describe('overlaps, half-open', () => {
  it('sees no conflict in a same-day turnover and the exact overlap otherwise', async () => {
    const { call } = await calendarSetup(db)
    const property = await createProperty(call)
    const p = property.id
    const first = await createBooking(call, {
      property_id: p,
      check_in: '2027-05-10',
      check_out: '2027-05-15',
    })
    expect(first.conflicts).toEqual([])
    // Checks in the morning the first guest leaves: a turnover.
    const turnover = await createBooking(call, {
      property_id: p,
      check_in: '2027-05-15',
      check_out: '2027-05-18',
    })
    expect(turnover.conflicts).toEqual([])
    const before = await createBooking(call, {
      property_id: p,
      check_in: '2027-05-07',
      check_out: '2027-05-10',
    })
    expect(before.conflicts).toEqual([])
    // One night over each neighbour.
    const straddle = await createBooking(call, {
      property_id: p,
      check_in: '2027-05-14',
      check_out: '2027-05-16',
    })
    expect(straddle.conflicts.map((c) => shape(c as Conflict)).sort(byOverlap)).toEqual([
      { severity: 'info', status: 'open', overlap: '2027-05-14/2027-05-15', channels: ['direct', 'direct'] },
      { severity: 'info', status: 'open', overlap: '2027-05-15/2027-05-16', channels: ['direct', 'direct'] },
    ])
    // Entirely inside another stay; identical ranges.
    const inside = await createBooking(call, {
      property_id: p,
      check_in: '2027-05-11',
      check_out: '2027-05-12',
      status: 'blocked',
    })
    expect(inside.conflicts.map((c) => shape(c as Conflict))).toEqual([
      {
        severity: 'warning',
        status: 'open',
        overlap: '2027-05-11/2027-05-12',
        channels: ['direct', 'direct'],
      },
    ])
    const twin = await createBooking(call, {
      property_id: p,
      check_in: '2027-05-07',
      check_out: '2027-05-10',
    })
    expect(twin.conflicts.map((c) => shape(c as Conflict))).toEqual([
      { severity: 'info', status: 'open', overlap: '2027-05-07/2027-05-10', channels: ['direct', 'direct'] },
    ])
    // Two blocks over each other double-book nothing.
    const block = await createBooking(call, {
      property_id: p,
      check_in: '2027-06-01',
      check_out: '2027-06-05',
      status: 'blocked',
    })
    const overBlock = await createBooking(call, {
      property_id: p,
      check_in: '2027-06-03',
      check_out: '2027-06-08',
      status: 'blocked',
    })
    expect([block.conflicts, overBlock.conflicts]).toEqual([[], []])
    expect(await conflicts(call, `property_id=${p}`)).toHaveLength(4)
  })

  it('resolves a conflict when the overlap goes away, and reopens the same one if it comes back', async () => {
    const { call } = await calendarSetup(db)
    const p = (await createProperty(call)).id
    const stay = await createBooking(call, {
      property_id: p,
      check_in: '2027-07-01',
      check_out: '2027-07-05',
    })
    const other = await createBooking(call, {
      property_id: p,
      check_in: '2027-07-04',
      check_out: '2027-07-06',
    })
    const [conflict] = other.conflicts
    // Moved to the turnover day: no overlap left.
    const moved = await json<{ conflicts: unknown[] }>(
      await call(`/api/v1/calendar/bookings/${other.booking.id}`, {
        method: 'PATCH',
        json: { check_in: '2027-07-05' },
      }),
      200,
    )
    expect(moved.conflicts).toEqual([])
    const [resolved] = await conflicts(call, `property_id=${p}`)
    expect(resolved).toMatchObject({ id: conflict?.id, status: 'resolved', resolved_at: expect.any(String) })
    expect(await conflicts(call, `property_id=${p}&status=open`)).toEqual([])
    const back = await json<{ conflicts: Conflict[] }>(
      await call(`/api/v1/calendar/bookings/${other.booking.id}`, {
        method: 'PATCH',
        json: { check_in: '2027-07-03' },
      }),
      200,
    )
    expect(back.conflicts.map((c) => [c.id, c.status, c.overlap_start, c.overlap_end])).toEqual([
      [conflict?.id, 'open', '2027-07-03', '2027-07-05'],
    ])
    // Cancelling one of the two resolves it again; deleting removes it.
    await json(
      await call(`/api/v1/calendar/bookings/${stay.booking.id}`, {
        method: 'PATCH',
        json: { status: 'cancelled' },
      }),
      200,
    )
    expect((await conflicts(call, `property_id=${p}`))[0]?.status).toBe('resolved')
    expect((await call(`/api/v1/calendar/bookings/${stay.booking.id}`, { method: 'DELETE' })).status).toBe(
      204,
    )
    expect(await conflicts(call, `property_id=${p}`)).toEqual([])
  })
})

describe('the conflicts list', () => {
  it('pages newest first with next_cursor, the spelling of every list, and refuses a forged cursor', async () => {
    const { call } = await calendarSetup(db)
    const property = await createProperty(call)
    // Three stays over the same nights: three pairs, three conflicts.
    for (const guest of ['Ana', 'Bia', 'Caio'])
      await createBooking(call, {
        property_id: property.id,
        check_in: '2027-08-01',
        check_out: '2027-08-04',
        guest_name: guest,
      })
    const seen: string[] = []
    let cursor: string | null = ''
    for (let pages = 0; cursor !== null; pages++) {
      expect(pages).toBeLessThan(4)
      const page: Record<string, unknown> & { data: Conflict[]; next_cursor: string | null } = await json(
        await call(`/api/v1/calendar/conflicts?limit=1${cursor ? `&cursor=${cursor}` : ''}`),
        200,
      )
      expect(Object.keys(page)).toEqual(['data', 'next_cursor'])
      seen.push(...page.data.map((c) => c.id))
      cursor = page.next_cursor
    }
    expect(new Set(seen).size).toBe(3)
    expect(seen).toEqual((await conflicts(call)).map((c) => c.id))
    const forged = btoa(JSON.stringify(['2027-08-01', 'cfl_00000000000000000000']))
    const refused = await call(`/api/v1/calendar/conflicts?cursor=${forged}`)
    expect(refused.status).toBe(400)
  })
})

describe('conflicts between channels, alerted on Telegram', () => {
  it('finds critical and warning conflicts across feeds, alerts each once, and resolves them when a feed drops the stay', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const chatId = newChatId()
    await json(
      await call('/api/v1/calendar/alerts', {
        method: 'PUT',
        json: { telegram_bot_token: newBotToken(), telegram_chat_id: chatId },
      }),
      200,
    )
    const property = await createProperty(call, { name: 'Chalé da Serra' })
    const [airbnb, vrbo, booking] = [newFeed(), newFeed(), newFeed()]
    await publishFeed(airbnb.id, await fixture('airbnb'))
    await publishFeed(vrbo.id, await fixture('vrbo'))
    await publishFeed(booking.id, await fixture('booking'))
    await createSource(call, property.id, airbnb.url, 'airbnb')
    const vrboSource = await createSource(call, property.id, vrbo.url, 'vrbo')
    await drain(env, capture)

    // VRBO's stay of 11–14 January overlaps both Airbnb stays (8–12 and 12–15, a turnover between them).
    expect((await conflicts(call)).map(shape).sort(byOverlap)).toEqual([
      {
        severity: 'critical',
        status: 'open',
        overlap: '2027-01-11/2027-01-12',
        channels: ['airbnb', 'vrbo'],
      },
      {
        severity: 'critical',
        status: 'open',
        overlap: '2027-01-12/2027-01-14',
        channels: ['airbnb', 'vrbo'],
      },
    ])
    let messages = await telegramMessages(chatId)
    expect(messages).toHaveLength(2)
    for (const message of messages) {
      expect(message.text).toContain('CRITICAL: double booking at Chalé da Serra')
      expect(message.text).toMatch(/airbnb × vrbo|vrbo × airbnb/)
      // No guest's name leaves for Telegram.
      expect(message.text).not.toContain('Maria')
    }
    expect((await conflicts(call)).every((c) => c.alerted_at !== null)).toBe(true)

    // Booking.com's closed dates of 10–13 January are blocks over three stays.
    await createSource(call, property.id, booking.url, 'booking')
    await drain(env, capture)
    const warnings = (await conflicts(call, 'severity=warning')).map(shape).sort(byOverlap)
    expect(warnings).toEqual([
      {
        severity: 'warning',
        status: 'open',
        overlap: '2027-01-10/2027-01-12',
        channels: ['airbnb', 'booking'],
      },
      {
        severity: 'warning',
        status: 'open',
        overlap: '2027-01-11/2027-01-13',
        channels: ['booking', 'vrbo'],
      },
      {
        severity: 'warning',
        status: 'open',
        overlap: '2027-01-12/2027-01-13',
        channels: ['airbnb', 'booking'],
      },
    ])
    expect(await telegramMessages(chatId)).toHaveLength(5)

    // Every feed synced again (new ETags, same events): nothing new, nothing alerted twice.
    for (const feed of [airbnb, vrbo, booking])
      await publishFeed(feed.id, await fetch(feed.url).then((r) => r.text()))
    const sources = await json<{ data: { id: string }[] }>(await call('/api/v1/calendar/sources'), 200)
    for (const source of sources.data) await syncNow(env, capture, tenant.tenantId, source.id)
    expect(await conflicts(call, 'status=open')).toHaveLength(5)
    expect(await telegramMessages(chatId)).toHaveLength(5)

    // VRBO cancels its stay (it leaves the feed): its three conflicts resolve by themselves.
    const vrboText = await fixture('vrbo')
    await publishFeed(vrbo.id, vrboText.replace(/BEGIN:VEVENT\r\nUID:3f0a8c6e[\s\S]*?END:VEVENT\r\n/, ''))
    await syncNow(env, capture, tenant.tenantId, vrboSource.id)
    expect((await conflicts(call, 'status=open')).map(shape).sort(byOverlap)).toEqual([
      {
        severity: 'warning',
        status: 'open',
        overlap: '2027-01-10/2027-01-12',
        channels: ['airbnb', 'booking'],
      },
      {
        severity: 'warning',
        status: 'open',
        overlap: '2027-01-12/2027-01-13',
        channels: ['airbnb', 'booking'],
      },
    ])
    expect(await conflicts(call, 'status=resolved')).toHaveLength(3)
    // It comes back: the same three reopen, and were alerted already.
    await publishFeed(vrbo.id, vrboText)
    await syncNow(env, capture, tenant.tenantId, vrboSource.id)
    expect(await conflicts(call, 'status=open')).toHaveLength(5)
    expect(await telegramMessages(chatId)).toHaveLength(5)
    expect(await conflicts(call, `severity=critical&property_id=${property.id}`)).toHaveLength(2)

    // A manual booking that overlaps answers with the conflicts it caused, and is alerted too.
    const direct = await createBooking(call, {
      property_id: property.id,
      check_in: '2027-01-14',
      check_out: '2027-01-16',
      guest_name: 'Walk-in',
    })
    expect(direct.conflicts.map((c) => shape(c as Conflict))).toEqual([
      {
        severity: 'critical',
        status: 'open',
        overlap: '2027-01-14/2027-01-15',
        channels: ['airbnb', 'direct'],
      },
    ])
    // Its alert was written to the outbox with the booking; the send job is queued after the commit.
    const [alert] = await alertsOf(direct.conflicts[0]?.id as string)
    expect(capture.messages).toEqual([
      { type: 'messaging.send', v: 1, tenantId: tenant.tenantId, messageId: alert?.id },
    ])
    await drain(env, capture)
    messages = await telegramMessages(chatId)
    expect(messages).toHaveLength(6)
    expect(messages.at(-1)?.text).toContain('airbnb × direct')
  })

  it('sends an alert once even when its message is delivered twice, and retries Telegram’s throttling', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const chatId = newChatId()
    await call('/api/v1/calendar/alerts', {
      method: 'PUT',
      json: { telegram_bot_token: newBotToken(), telegram_chat_id: chatId },
    })
    const p = (await createProperty(call)).id
    await createBooking(call, { property_id: p, check_in: '2027-08-01', check_out: '2027-08-04' })
    await createBooking(call, { property_id: p, check_in: '2027-08-03', check_out: '2027-08-05' })
    const alert = capture.messages.splice(0) as JobMessage[]
    expect(alert).toHaveLength(1)
    expect(alert[0]?.type).toBe('messaging.send')

    await telegramControl('throttle', { chat_id: chatId })
    const { result: throttled, lines } = await captureLogs(() => runJobs(env, alert))
    expect(throttled.retryMessages).toHaveLength(1)
    // Telegram's own retry_after (7 s) wins over a shorter backoff.
    const retry = lines.find((line) => line.message === 'job failed, retrying')
    expect(retry?.delay_seconds).toBeGreaterThanOrEqual(7)
    expect(await telegramMessages(chatId)).toEqual([])

    // The redelivery, once the wait is over, sends it; a duplicate delivery after that sends nothing.
    await db.owner(`update outbound_messages set next_attempt_at = now() where tenant_id = $1`, [
      tenant.tenantId,
    ])
    await runJobs(env, alert)
    await runJobs(env, [...alert, ...alert])
    expect(await telegramMessages(chatId)).toHaveLength(1)
    const [row] = await db.owner<{ status: string; error_code: string | null; attempts: number }>(
      'select status, error_code, attempts from outbound_messages where tenant_id = $1',
      [tenant.tenantId],
    )
    expect(row).toEqual({ status: 'sent', error_code: null, attempts: 2 })
    expect((await conflicts(call))[0]?.alerted_at).not.toBeNull()
  })

  it('queues again, on the next tick, an alert whose message was lost', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const chatId = newChatId()
    await call('/api/v1/calendar/alerts', {
      method: 'PUT',
      json: { telegram_bot_token: newBotToken(), telegram_chat_id: chatId },
    })
    const p = (await createProperty(call)).id
    await createBooking(call, { property_id: p, check_in: '2027-11-01', check_out: '2027-11-04' })
    const {
      conflicts: [conflict],
    } = await createBooking(call, {
      property_id: p,
      check_in: '2027-11-02',
      check_out: '2027-11-05',
    })
    // The send job was lost (the queue dropped it, the Worker died after the commit): the alert
    // waits in the outbox, and the tick queues it again once it is more than a minute overdue.
    capture.messages.length = 0
    const [alert] = await alertsOf(conflict?.id as string)
    await db.owner(
      `update outbound_messages set next_attempt_at = now() - interval '5 minutes' where id = $1`,
      [alert?.id],
    )
    await runJobs(env, [{ type: 'cron.tick', v: 1, cron: '*/15 * * * *', scheduledTime: Date.now() }])
    const sends = (capture.messages as JobMessage[]).filter(
      (m) => m.type === 'messaging.send' && m.tenantId === tenant.tenantId,
    )
    expect(sends).toEqual([{ type: 'messaging.send', v: 1, tenantId: tenant.tenantId, messageId: alert?.id }])
    capture.messages.splice(0, capture.messages.length, ...sends)
    await drain(env, capture)
    expect(await telegramMessages(chatId)).toHaveLength(1)
    // Alerted: the next tick leaves it alone.
    await runJobs(env, [{ type: 'cron.tick', v: 1, cron: '*/15 * * * *', scheduledTime: Date.now() + 1 }])
    expect(
      (capture.messages as JobMessage[]).filter(
        (m) => m.type === 'messaging.send' && m.messageId === alert?.id,
      ),
    ).toEqual([])
  })

  it('sends an alert queued by a deploy before the outbox through the outbox, once', async () => {
    const { call, env, capture, tenant } = await calendarSetup(db)
    const chatId = newChatId()
    await call('/api/v1/calendar/alerts', {
      method: 'PUT',
      json: { telegram_bot_token: newBotToken(), telegram_chat_id: chatId },
    })
    const p = (await createProperty(call)).id
    await createBooking(call, { property_id: p, check_in: '2027-12-01', check_out: '2027-12-04' })
    const {
      conflicts: [conflict],
    } = await createBooking(call, { property_id: p, check_in: '2027-12-02', check_out: '2027-12-05' })
    await drain(env, capture)
    expect(await telegramMessages(chatId)).toHaveLength(1)
    // An old `calendar.alert` for the same conflict, delivered twice: nothing more is sent.
    const legacy = { type: 'calendar.alert', v: 1, tenantId: tenant.tenantId, conflictId: conflict?.id }
    expect((await runJobs(env, [legacy, legacy])).retryMessages).toEqual([])
    await drain(env, capture)
    expect(await telegramMessages(chatId)).toHaveLength(1)
    expect(await alertsOf(conflict?.id as string)).toHaveLength(1)
  })

  it('records Telegram’s refusals without retrying, and sends nothing without alert settings', async () => {
    const quiet = await calendarSetup(db)
    const q = (await createProperty(quiet.call)).id
    await createBooking(quiet.call, { property_id: q, check_in: '2027-09-01', check_out: '2027-09-04' })
    await createBooking(quiet.call, { property_id: q, check_in: '2027-09-02', check_out: '2027-09-03' })
    await drain(quiet.env, quiet.capture)
    expect((await conflicts(quiet.call))[0]?.alerted_at).toBeNull()

    const { call, env, capture } = await calendarSetup(db)
    const token = newBotToken()
    await call('/api/v1/calendar/alerts', {
      method: 'PUT',
      json: { telegram_bot_token: token, telegram_chat_id: '-404000111' },
    })
    const p = (await createProperty(call)).id
    await createBooking(call, { property_id: p, check_in: '2027-09-01', check_out: '2027-09-04' })
    await createBooking(call, { property_id: p, check_in: '2027-09-03', check_out: '2027-09-06' })
    await drain(env, capture)
    const [unknownChat] = await db.owner<{ id: string }>(
      `select id from calendar_conflicts where property_id = $1`,
      [p],
    )
    expect(await alertsOf(unknownChat?.id as string)).toEqual([
      expect.objectContaining({
        status: 'failed',
        error_code: 'RECIPIENT_INVALID',
        error_message: 'Bad Request: chat not found',
        attempts: 1,
      }),
    ])
    expect((await conflicts(call))[0]?.alerted_at).toBeNull()

    await telegramControl('revoke', { token })
    const chatId = newChatId()
    await call('/api/v1/calendar/alerts', {
      method: 'PUT',
      json: { telegram_bot_token: token, telegram_chat_id: chatId },
    })
    await createBooking(call, { property_id: p, check_in: '2027-10-01', check_out: '2027-10-04' })
    await createBooking(call, { property_id: p, check_in: '2027-10-02', check_out: '2027-10-03' })
    await drain(env, capture)
    const [revoked] = await db.owner<{ id: string }>(
      `select id from calendar_conflicts where property_id = $1 and overlap_start = '2027-10-02'`,
      [p],
    )
    expect(await alertsOf(revoked?.id as string)).toEqual([
      expect.objectContaining({
        status: 'failed',
        error_code: 'TOKEN_INVALID',
        error_message: 'Unauthorized',
      }),
    ])
    expect(await telegramMessages(chatId)).toEqual([])
  })
})
