import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import type { Services } from '../../runtime/ports.ts'
import { tenantHasModuleSql } from '../licensing.ts'
import { addDays } from './parse.ts'

/** Stays that ended more than this long ago are of no use to a channel importing blocks. */
export const EXPORT_PAST_DAYS = 30
const TOKEN = /^[A-Za-z0-9_-]{43}$/

const encoder = new TextEncoder()

/** RFC 5545 §3.3.11 TEXT: backslash, semicolon, comma and newlines escaped. */
export function escapeText(text: string): string {
  return text.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, '\\n')
}

/**
 * RFC 5545 §3.1: lines longer than 75 octets are folded with CRLF and one space, never inside
 * a UTF-8 sequence (cut at code points, counting their bytes).
 */
export function foldLine(line: string): string {
  const out: string[] = []
  let current = ''
  let octets = 0
  for (const char of line) {
    const size = encoder.encode(char).length
    // Continuation lines start with a space, which counts towards their 75.
    if (octets + size > 75) {
      out.push(current)
      current = ' '
      octets = 1
    }
    current += char
    octets += size
  }
  out.push(current)
  return out.join('\r\n')
}

const basicDate = (date: string) => date.replaceAll('-', '')
const stamp = (now: Date) => `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`

export type ExportBooking = { id: string; check_in: string; check_out: string; status: string }

/**
 * The property's calendar as iCalendar: one all-day VEVENT per confirmed stay or block, as
 * "Not available", so a channel importing it blocks those nights. Nothing about the guest or
 * the channel a stay came from leaves: the other channels need the dates only.
 */
export function renderCalendar(property: { id: string; name: string }, rows: ExportBooking[], now: Date) {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Integra//Calendar export 1.0//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(property.name)}`,
  ]
  for (const row of rows) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${row.id}@integra`,
      `DTSTAMP:${stamp(now)}`,
      `DTSTART;VALUE=DATE:${basicDate(row.check_in)}`,
      `DTEND;VALUE=DATE:${basicDate(row.check_out)}`,
      `SUMMARY:${escapeText(`${property.name} - Not available`)}`,
      'TRANSP:OPAQUE',
      'END:VEVENT',
    )
  }
  lines.push('END:VCALENDAR')
  return `${lines.map(foldLine).join('\r\n')}\r\n`
}

/**
 * Looks the token up (before the tenant is known, through `calendar_find_export`, which returns
 * one property for one SHA-256) and renders the property's calendar in the tenant's transaction.
 * Null for an unknown or revoked token, a tenant that is not active or whose license does not
 * include `calendar`: all of them read as 404, so the answer says nothing about why.
 */
export async function exportCalendar(services: Services, token: string, now: Date): Promise<string | null> {
  if (!TOKEN.test(token)) return null
  const hash = await sha256Hex(token)
  return services.db.transaction(async (tx: Tx) => {
    const [found] = await tx
      .execute<{ property_id: string; tenant_id: string; usable: boolean }>(sql`
        select f.property_id, f.tenant_id, set_config('app.tenant_id', f.tenant_id, true),
          exists (select 1 from tenants t where t.id = f.tenant_id and t.status = 'active')
          and ${tenantHasModuleSql(sql`f.tenant_id`, 'calendar', now)} as usable
        from calendar_find_export(${hash}) f`)
      .then((r) => r.rows)
    if (!found?.usable) return null
    const [property] = await tx
      .execute<{ id: string; name: string }>(
        sql`select id, name from properties where id = ${found.property_id} and tenant_id = ${found.tenant_id}`,
      )
      .then((r) => r.rows)
    if (!property) return null
    const since = addDays(now.toISOString().slice(0, 10), -EXPORT_PAST_DAYS)
    const rows = await tx.execute<ExportBooking>(sql`
      select id, check_in::text, check_out::text, status from bookings
      where tenant_id = ${found.tenant_id} and property_id = ${property.id}
        and status in ('confirmed', 'blocked') and check_out >= ${since}::date
      order by check_in, id`)
    return renderCalendar(property, rows.rows, now)
  })
}
