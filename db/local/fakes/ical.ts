import { type Context, Hono } from 'hono'

/**
 * A channel's iCal host (Airbnb, Booking.com, VRBO export URLs), mounted at `/ical`:
 *
 * - `GET /ical/fixtures/<name>.ics`: the files in db/local/fakes/fixtures, byte for byte.
 * - `PUT /ical/feeds/<id>` (body: iCalendar text) publishes a feed a test owns, with a fresh
 *   ETag and Last-Modified; `GET /ical/feeds/<id>.ics` serves it, answering 304 to a matching
 *   If-None-Match or a not-older If-Modified-Since, as channels do.
 * - `POST /ical/feeds/<id>/scenario {scenario}`: `server_error` (503), `slow` (answers after
 *   3 s), `huge` (a 3 MiB body), `html` (a sign-in page with 200), or null to clear.
 * - `GET /ical/feeds/<id>/requests`: the conditional headers each GET carried and its status.
 * - `GET /ical/demo/<name>.ics`: the feeds of `npm run dev`'s demo properties, dated from today.
 *
 * Feeds are keyed by ids the tests choose (random), so files running in parallel never meet.
 */
export const fakeIcal = new Hono()

type Feed = { body: string; etag: string; lastModified: string; version: number }
type Scenario = 'server_error' | 'slow' | 'huge' | 'html'
const feeds = new Map<string, Feed>()
const scenarios = new Map<string, Scenario>()
const requests = new Map<
  string,
  { ifNoneMatch: string | null; ifModifiedSince: string | null; status: number }[]
>()

async function digest(text: string): Promise<string> {
  const bytes = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text))
  return [...new Uint8Array(bytes)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, 16)
}

/** Serves a calendar body with validators, or 304 when the client's copy is current. */
function serve(c: Context, body: string, etag: string, lastModified: string) {
  const ifNoneMatch = c.req.header('if-none-match')
  const ifModifiedSince = c.req.header('if-modified-since')
  const fresh = ifNoneMatch
    ? ifNoneMatch === etag
    : Boolean(ifModifiedSince && Date.parse(ifModifiedSince) >= Date.parse(lastModified))
  if (fresh) return c.body(null, 304, { ETag: etag, 'Last-Modified': lastModified })
  return c.body(body, 200, {
    'Content-Type': 'text/calendar; charset=utf-8',
    ETag: etag,
    'Last-Modified': lastModified,
  })
}

fakeIcal.get('/fixtures/:file', async (c) => {
  const name = c.req.param('file')
  if (!/^[a-z0-9-]+\.ics$/.test(name)) return c.text('not found', 404)
  // Only ever reached in the Node process that serves the fakes (never inside workerd).
  const fs = await import('node:fs/promises')
  const body = await fs.readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8').catch(() => null)
  if (body === null) return c.text('not found', 404)
  return serve(c, body, `"${await digest(body)}"`, 'Fri, 20 Nov 2026 10:15:00 GMT')
})

fakeIcal.put('/feeds/:id', async (c) => {
  const id = c.req.param('id')
  const body = await c.req.text()
  const version = (feeds.get(id)?.version ?? 0) + 1
  // Whole seconds, as HTTP dates are: a republished feed is always a second newer.
  const previous = feeds.get(id)?.lastModified
  const at = Math.max(Date.now(), previous ? Date.parse(previous) + 1000 : 0)
  feeds.set(id, {
    body,
    version,
    etag: `"v${version}-${await digest(body)}"`,
    lastModified: new Date(at).toUTCString(),
  })
  return c.json({ ok: true, version })
})

fakeIcal.post('/feeds/:id/scenario', async (c) => {
  const { scenario } = (await c.req.json()) as { scenario: Scenario | null }
  if (scenario) scenarios.set(c.req.param('id'), scenario)
  else scenarios.delete(c.req.param('id'))
  return c.json({ ok: true })
})

fakeIcal.get('/feeds/:id/requests', (c) => c.json({ requests: requests.get(c.req.param('id')) ?? [] }))

fakeIcal.get('/feeds/:file', async (c) => {
  const id = c.req.param('file').replace(/\.ics$/, '')
  const seen = requests.get(id) ?? []
  requests.set(id, seen)
  const record = (status: number) =>
    seen.push({
      ifNoneMatch: c.req.header('if-none-match') ?? null,
      ifModifiedSince: c.req.header('if-modified-since') ?? null,
      status,
    })
  const scenario = scenarios.get(id)
  if (scenario === 'server_error') {
    record(503)
    return c.text('Service Unavailable', 503)
  }
  if (scenario === 'html') {
    record(200)
    return c.html('<!DOCTYPE html><html><body>Please sign in.</body></html>')
  }
  if (scenario === 'huge') {
    record(200)
    return c.body(
      `BEGIN:VCALENDAR\r\n${'X-PADDING:0123456789abcdef\r\n'.repeat(120_000)}END:VCALENDAR\r\n`,
      200,
      {
        'Content-Type': 'text/calendar',
      },
    )
  }
  if (scenario === 'slow') await new Promise((resolve) => setTimeout(resolve, 3_000))
  const feed = feeds.get(id)
  if (!feed) {
    record(404)
    return c.text('not found', 404)
  }
  const response = serve(c, feed.body, feed.etag, feed.lastModified)
  record(response.status)
  return response
})

const day = (offset: number) => {
  const today = new Date()
  const date = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + offset))
  return date.toISOString().slice(0, 10).replaceAll('-', '')
}

/** One all-day VEVENT in the channel's own wording. */
const event = (uid: string, from: number, to: number, summary: string) =>
  [
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTAMP:${day(0)}T080000Z`,
    `DTSTART;VALUE=DATE:${day(from)}`,
    `DTEND;VALUE=DATE:${day(to)}`,
    `SUMMARY:${summary}`,
    'END:VEVENT',
  ].join('\r\n')

const calendar = (prodId: string, events: string[]) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${prodId}`,
    'CALSCALE:GREGORIAN',
    ...events,
    'END:VCALENDAR',
    '',
  ].join('\r\n')

/**
 * `npm run dev`'s demo: Casa da Praia on Airbnb and Booking.com, turnovers on the same day and
 * no conflict; Loft Centro on Airbnb and VRBO, where one VRBO stay overlaps an Airbnb stay by two
 * nights: the one real (critical) conflict of the demo.
 */
const DEMO_FEEDS: Record<string, () => string> = {
  'casa-airbnb': () =>
    calendar('-//Airbnb Inc//Hosting Calendar 1.0//EN', [
      event('demo-casa-a1@airbnb.com', 2, 6, 'Reserved'),
      event('demo-casa-a2@airbnb.com', 9, 13, 'Reserved'),
      event('demo-casa-a3@airbnb.com', 20, 23, 'Airbnb (Not available)'),
    ]),
  'casa-booking': () =>
    calendar('-//admin.booking.com//NONSGML Booking.com Calendar//EN', [
      // Checks in the day the Airbnb guest leaves: a turnover, not a conflict.
      event('demo-casa-b1@booking.com', 6, 9, 'CLOSED - Not available'),
      event('demo-casa-b2@booking.com', 14, 18, 'CLOSED - Not available'),
    ]),
  'loft-airbnb': () =>
    calendar('-//Airbnb Inc//Hosting Calendar 1.0//EN', [
      event('demo-loft-a1@airbnb.com', 1, 4, 'Reserved'),
      event('demo-loft-a2@airbnb.com', 10, 14, 'Reserved'),
    ]),
  'loft-vrbo': () =>
    calendar('-//HomeAway.com, Inc.//EN', [
      event('demo-loft-v1', 4, 8, 'Reserved - Ana'),
      event('demo-loft-v2', 12, 15, 'Reserved - Carlos'),
    ]),
}

fakeIcal.get('/demo/:file', async (c) => {
  const render = DEMO_FEEDS[c.req.param('file').replace(/\.ics$/, '')]
  if (!render) return c.text('not found', 404)
  const body = render()
  // Dated from today: the validators change with the day.
  const today = new Date()
  const midnight = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()))
  return serve(c, body, `"${await digest(body)}"`, midnight.toUTCString())
})
