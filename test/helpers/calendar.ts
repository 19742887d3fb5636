import { expect } from 'vitest'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { runJobs, setup } from './connections.ts'
import { sharedEnv, type TestDatabase } from './env.ts'

/** A tenant on a plan with the calendar module, its owner signed in, its queue recorded. */
export const calendarSetup = (db: TestDatabase, options: Parameters<typeof setup>[1] = {}) =>
  setup(db, { modules: ['calendar'], ...options })

type Call = Awaited<ReturnType<typeof calendarSetup>>['call']
type Env = Awaited<ReturnType<typeof calendarSetup>>['env']
type Capture = Awaited<ReturnType<typeof calendarSetup>>['capture']

const fakes = () => sharedEnv.TEST_FAKE_PLATFORMS_URL

/** A feed id of this test's own on the fake iCal host, and its URL. */
export function newFeed() {
  const id = `feed-${crypto.randomUUID()}`
  return { id, url: `${fakes()}/ical/feeds/${id}.ics` }
}

/** Publishes (or republishes) the feed's body on the fake host: a new ETag and Last-Modified. */
export async function publishFeed(id: string, body: string): Promise<void> {
  const response = await fetch(`${fakes()}/ical/feeds/${id}`, { method: 'PUT', body })
  expect(response.status).toBe(200)
}

export async function feedScenario(id: string, scenario: string | null): Promise<void> {
  await fetch(`${fakes()}/ical/feeds/${id}/scenario`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scenario }),
  })
}

export async function feedRequests(id: string) {
  const response = await fetch(`${fakes()}/ical/feeds/${id}/requests`)
  return ((await response.json()) as { requests: { ifNoneMatch: string | null; status: number }[] }).requests
}

/** A file of db/local/fakes/fixtures, as the fake host serves it (byte for byte). */
export async function fixture(name: string): Promise<string> {
  const response = await fetch(`${fakes()}/ical/fixtures/${name}.ics`)
  expect(response.status).toBe(200)
  return response.text()
}

export async function telegramMessages(chatId: string) {
  const response = await fetch(`${fakes()}/telegram/__control/messages?chat_id=${encodeURIComponent(chatId)}`)
  return ((await response.json()) as { messages: { chat_id: string; text: string }[] }).messages
}

export async function telegramControl(path: string, body: unknown) {
  await fetch(`${fakes()}/telegram/__control/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

/** A chat id no other test uses. */
export const newChatId = () => String(100_000_000 + Math.floor(Math.random() * 1_000_000_000))
/** Shaped like BotFather's tokens, which the fake Telegram checks. */
export const newBotToken = () =>
  `${Math.floor(100000 + Math.random() * 899999)}:AA${crypto.randomUUID().replaceAll('-', '')}`

export async function json<T = Record<string, unknown>>(response: Response, status: number): Promise<T> {
  const text = await response.text()
  expect(response.status, text).toBe(status)
  return (text ? JSON.parse(text) : null) as T
}

export async function createProperty(call: Call, body: Record<string, unknown> = {}) {
  return json<{ id: string; name: string; timezone: string }>(
    await call('/api/v1/calendar/properties', {
      method: 'POST',
      json: { name: `Casa ${crypto.randomUUID().slice(0, 6)}`, timezone: 'America/Sao_Paulo', ...body },
    }),
    201,
  )
}

export async function createSource(call: Call, propertyId: string, url: string, channel = 'airbnb') {
  return json<{ id: string; ical_url: string; status: string }>(
    await call('/api/v1/calendar/sources', {
      method: 'POST',
      json: { property_id: propertyId, channel, ical_url: url },
    }),
    201,
  )
}

export async function createBooking(call: Call, body: Record<string, unknown>) {
  return json<{ booking: { id: string }; conflicts: { id: string; severity: string }[] }>(
    await call('/api/v1/calendar/bookings', { method: 'POST', json: { status: 'confirmed', ...body } }),
    201,
  )
}

/**
 * Runs what the test's queue holds (sync and alert messages) through the real consumer, again
 * and again until nothing new is queued (a sync queues alerts), and empties it.
 */
export async function drain(env: Env, capture: Capture) {
  const results = []
  for (let round = 0; round < 5 && capture.messages.length > 0; round++) {
    const batch = capture.messages.splice(0) as JobMessage[]
    const result = await runJobs(env, batch)
    expect(result.retryMessages, JSON.stringify(result.retryMessages)).toEqual([])
    results.push(result)
  }
  return results
}

/** Syncs one source now, as a "sync now" message would, and empties the queue after it. */
export async function syncNow(env: Env, capture: Capture, tenantId: string, sourceId: string) {
  capture.messages.push({ type: 'calendar.sync', v: 1, tenantId, sourceId, kind: 'manual' })
  return drain(env, capture)
}

export type BookingRow = {
  id: string
  uid: string | null
  check_in: string
  check_out: string
  status: string
  guest_name: string | null
  summary: string | null
}

export async function bookingsOf(call: Call, query: string) {
  const page = await json<{ data: BookingRow[] }>(
    await call(`/api/v1/calendar/bookings?limit=100&${query}`),
    200,
  )
  return page.data
}
