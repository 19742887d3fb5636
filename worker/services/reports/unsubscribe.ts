import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { timingSafeEqual } from '../../auth/tokens.ts'
import { notFound } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'

const encoder = new TextEncoder()

/**
 * The signature of one recipient's unsubscribe link: an HMAC-SHA-256 of the schedule and the
 * address under the schedule's own random key (`report_schedules.unsubscribe_key`). A link
 * therefore removes that address from that schedule only: another schedule's key, or another
 * address, gives another signature.
 */
export async function unsubscribeSignature(
  key: string,
  scheduleId: string,
  address: string,
): Promise<string> {
  const hmac = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', hmac, encoder.encode(`reports.unsubscribe:${scheduleId}:${address}`)),
  )
  return base64url(mac)
}

/** Bytes as unpadded base64url (the link's address and signature). */
export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** The public link (no sign-in) that removes `address` from the schedule, under the tenant's slug. */
export async function unsubscribeUrl(
  base: string,
  run: { tenant_slug: string; schedule_id: string; unsubscribe_key: string },
  address: string,
): Promise<string> {
  const sig = await unsubscribeSignature(run.unsubscribe_key, run.schedule_id, address)
  return `${base}/reports/${run.tenant_slug}/unsubscribe/${run.schedule_id}/${base64url(encoder.encode(address))}/${sig}`
}

export type UnsubscribeLink = { slug: string; scheduleId: string; address: string; sig: string }

type Found = { tenant_id: string; tenant_name: string; name: string; subscribed: boolean }

/**
 * The schedule a link names, in a transaction scoped to the tenant of the slug (row-level
 * security as for any tenant request): only when the signature is right. An unknown slug or
 * schedule, a forged signature or one made for another schedule are all the same 404.
 */
async function findSigned(tx: Tx, link: UnsubscribeLink, lock: boolean): Promise<Found> {
  // The tenant first, in a statement of its own: the policies read the setting it makes.
  const tenant = await tx.execute<{ id: string; name: string }>(sql`
    select t.id, t.name, set_config('app.tenant_id', t.id, true) from tenants t
    where t.slug = ${link.slug} and t.status = 'active'`)
  const owner = tenant.rows[0]
  if (!owner) throw notFound('report subscription')
  const found = await tx.execute<Found & { unsubscribe_key: string }>(sql`
    select s.tenant_id, ${owner.name}::text as tenant_name, s.name, s.unsubscribe_key,
      ${link.address}::text = any(s.recipients) as subscribed
    from report_schedules s
    where s.id = ${link.scheduleId} and s.tenant_id = ${owner.id}
    ${lock ? sql`for update` : sql``}`)
  const row = found.rows[0]
  if (
    !row ||
    !timingSafeEqual(await unsubscribeSignature(row.unsubscribe_key, link.scheduleId, link.address), link.sig)
  )
    throw notFound('report subscription')
  return {
    tenant_id: row.tenant_id,
    tenant_name: row.tenant_name,
    name: row.name,
    subscribed: row.subscribed,
  }
}

/** What the unsubscribe page shows before the click: the report's and the agency's names. */
export async function readSubscription(services: Services, link: UnsubscribeLink) {
  const row = await services.db.transaction((tx) => findSigned(tx, link, false))
  return { report: row.name, business: row.tenant_name, subscribed: row.subscribed }
}

/**
 * Removes the address from the schedule's recipients (RFC 8058's one-click POST, or the page's
 * button), audited in the same transaction. Clicking twice is harmless: the second finds nothing
 * to remove and writes nothing. A schedule left without recipients is paused, so nothing renders
 * a report for nobody.
 */
export async function unsubscribe(services: Services, meta: RequestMeta, link: UnsubscribeLink) {
  return services.db.transaction(async (tx) => {
    const row = await findSigned(tx, link, true)
    if (!row.subscribed) return { report: row.name, business: row.tenant_name, removed: false }
    const updated = await tx.execute<{ left: number }>(sql`
      update report_schedules
      set recipients = array_remove(recipients, ${link.address}),
        active = active and cardinality(array_remove(recipients, ${link.address})) > 0,
        updated_at = now()
      where id = ${link.scheduleId} and tenant_id = ${row.tenant_id}
      returning cardinality(recipients) as left`)
    await writeAudit(tx, { type: 'anonymous', id: null }, meta, {
      action: 'reports.recipient_unsubscribed',
      tenantId: row.tenant_id,
      target: { type: 'report_schedule', id: link.scheduleId },
      data: { recipient: link.address, recipients_left: updated.rows[0]?.left ?? 0 },
    })
    return { report: row.name, business: row.tenant_name, removed: true }
  })
}
