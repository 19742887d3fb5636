import ICAL from 'ical.js'
import type { BookingStatus } from '../../../db/schema/index.ts'
import { isTimeZone } from '../../dates.ts'

/** A feed event as a booking: nights from `checkIn` to `checkOut` (exclusive) in the property's zone. */
export type FeedEvent = {
  uid: string
  checkIn: string
  checkOut: string
  status: BookingStatus
  summary: string | null
  guestName: string | null
}

export class MalformedFeedError extends Error {
  constructor(reason: string) {
    super(`the feed is not a readable iCalendar file: ${reason}`)
    this.name = 'MalformedFeedError'
  }
}

/**
 * Channels say "not a stay" in the SUMMARY: Airbnb "Airbnb (Not available)", Booking.com
 * "CLOSED - Not available" (Booking exports its own reservations this way too: they cannot be
 * told apart from closed dates), VRBO "Blocked". Everything else (Airbnb "Reserved", VRBO
 * "Reserved - Maria") is a stay.
 */
const BLOCK = /not available|unavailable|blocked|closed/i
/** "Reserved - Maria", "Booked: Maria": the only form in which feeds carry a guest's name. */
const NAMED_STAY = /^(?:reserved|booked|reservation)\s*[-:–]\s*(.+)$/i

const pad = (n: number) => String(n).padStart(2, '0')
const isoDate = (year: number, month: number, day: number) => `${year}-${pad(month)}-${pad(day)}`

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

const formatters = new Map<string, Intl.DateTimeFormat>()
/** An `en-US` 24-hour formatter of every wall-clock field in `timeZone`, one per zone and isolate. */
export function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, format)
  }
  return format
}

/** Wall-clock parts of an instant in `timeZone`. */
function partsIn(ms: number, timeZone: string) {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  )
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  }
}

/** The calendar date of an instant in `timeZone`. */
export function dateIn(ms: number, timeZone: string): string {
  const p = partsIn(ms, timeZone)
  return isoDate(p.year, p.month, p.day)
}

/** The instant at which the wall clock in `timeZone` shows the given time (the usual two-pass offset fix). */
function wallClockToInstant(t: ICAL.Time, timeZone: string): number {
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second)
  let guess = asUtc
  for (let i = 0; i < 2; i++) {
    const p = partsIn(guess, timeZone)
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
    guess += asUtc - shown
  }
  return guess
}

type Zones = Map<string, ICAL.Timezone>

/**
 * The date a DTSTART/DTEND falls on in the property's zone. All-day values are dates already.
 * A TZID is resolved with the feed's own VTIMEZONE when it has one (no global registration: the
 * isolate is shared by tenants), else as an IANA name; UTC values convert; floating times are the
 * property's local time.
 */
function dateOf(property: ICAL.Property, zones: Zones, propertyZone: string): string {
  const value = property.getFirstValue()
  if (!(value instanceof ICAL.Time) || !Number.isFinite(value.year) || !Number.isFinite(value.day))
    throw new MalformedFeedError(`${property.name.toUpperCase()} is not a date`)
  if (value.isDate) return isoDate(value.year, value.month, value.day)
  const tzid = property.getParameter('tzid')
  const zoneId = typeof tzid === 'string' ? tzid : null
  let instant: number | null = null
  const feedZone = zoneId ? zones.get(zoneId) : undefined
  if (feedZone) {
    const local = value.clone()
    local.zone = feedZone
    instant = local.toUnixTime() * 1000
  } else if (zoneId && isTimeZone(zoneId)) {
    instant = wallClockToInstant(value, zoneId)
  } else if (value.zone === ICAL.Timezone.utcTimezone) {
    instant = value.toUnixTime() * 1000
  }
  return instant === null ? isoDate(value.year, value.month, value.day) : dateIn(instant, propertyZone)
}

async function syntheticUid(parts: string[]): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(parts.join('|')))
  return `integra-nouid-${[...new Uint8Array(digest).slice(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

/**
 * Parses an iCalendar feed (CRLF or LF, folded lines) into one event per UID. Events whose dates
 * make no stay (end before start) are skipped; a file that is not iCalendar at all throws
 * MalformedFeedError so the caller keeps the bookings it has. Recurrence rules are not expanded:
 * rental feeds list each stay as its own event.
 */
export async function parseFeed(text: string, propertyZone: string): Promise<FeedEvent[]> {
  if (!/^\s*BEGIN:VCALENDAR/i.test(text))
    throw new MalformedFeedError('it does not start with BEGIN:VCALENDAR')
  let root: ICAL.Component
  try {
    root = new ICAL.Component(ICAL.parse(text) as unknown[])
  } catch (error) {
    throw new MalformedFeedError((error as Error).message.slice(0, 200))
  }
  if (root.name !== 'vcalendar') throw new MalformedFeedError('no VCALENDAR component')
  const zones: Zones = new Map()
  for (const component of root.getAllSubcomponents('vtimezone')) {
    const tzid = component.getFirstPropertyValue('tzid')
    if (typeof tzid === 'string') zones.set(tzid, new ICAL.Timezone(component))
  }
  const events = new Map<string, FeedEvent>()
  for (const vevent of root.getAllSubcomponents('vevent')) {
    const start = vevent.getFirstProperty('dtstart')
    if (!start) continue
    const summaryValue = vevent.getFirstPropertyValue('summary')
    const summary = typeof summaryValue === 'string' ? summaryValue.trim() || null : null
    const checkIn = dateOf(start, zones, propertyZone)
    const end = vevent.getFirstProperty('dtend')
    const duration = vevent.getFirstPropertyValue('duration')
    let checkOut: string
    if (end) checkOut = dateOf(end, zones, propertyZone)
    else if (duration instanceof ICAL.Duration) {
      checkOut = addDays(checkIn, Math.max(1, Math.floor(duration.toSeconds() / 86_400)))
    } else checkOut = addDays(checkIn, 1)
    // A timed event within one day still takes that night.
    const allDay = (start.getFirstValue() as ICAL.Time).isDate
    if (checkOut === checkIn && !allDay) checkOut = addDays(checkIn, 1)
    if (checkOut <= checkIn) continue
    const uidValue = vevent.getFirstPropertyValue('uid')
    const uid =
      typeof uidValue === 'string' && uidValue.trim()
        ? uidValue.trim()
        : await syntheticUid([checkIn, checkOut, summary ?? ''])
    const statusValue = vevent.getFirstPropertyValue('status')
    const cancelled = typeof statusValue === 'string' && statusValue.toUpperCase() === 'CANCELLED'
    const blocked = summary !== null && BLOCK.test(summary)
    const named = summary ? NAMED_STAY.exec(summary) : null
    events.set(uid, {
      uid,
      checkIn,
      checkOut,
      status: cancelled ? 'cancelled' : blocked ? 'blocked' : 'confirmed',
      summary: summary?.slice(0, 500) ?? null,
      guestName: !blocked && named?.[1] ? named[1].trim().slice(0, 200) : null,
    })
  }
  return [...events.values()]
}
