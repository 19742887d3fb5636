import { sql } from 'drizzle-orm'
import { errors, jwtVerify, SignJWT } from 'jose'
import { z } from 'zod'
import type { Tx } from '../../../db/client.ts'
import type { AppointmentStatus } from '../../../db/schema/index.ts'
import { keyForKid, type SigningKey } from '../../auth/jwt.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import { ApiError, notFound } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'
import { type CustomerInput, upsertCustomer } from '../customers/customers.ts'
import { tenantHasModuleSql } from '../licensing.ts'
import { queueSends } from '../messaging/outbox.ts'
import { changeStatus } from './appointments.ts'
import { availabilityOf } from './availability.ts'
import { book, moveAppointment, recordConsent } from './booking.ts'
import { publishSchedulingEvent } from './events.ts'
import { type NoticeLocale, noticeCustomer } from './notices.ts'
import { planReminders } from './reminders.ts'

/**
 * The public booking page's services (`/book/<tenant-slug>`): no login, so no principal. Each
 * call opens its own transaction, finds the tenant by its slug (active, with the scheduling
 * module), sets it for row-level security and exposes only the public catalogue: the tenant's
 * name, its active services (name, duration, price) and the names of who performs them. Holds and
 * confirmations are proven by signed tokens in the URL, never by ids alone.
 */

/** How long a visitor keeps a slot while filling the form. */
export const HOLD_MINUTES = 10
/** Live holds one visitor (address) may keep at once. */
export const MAX_HOLDS_PER_VISITOR = 3

type Tenant = { id: string; name: string; slug: string }

/** The tenant behind a slug, set for row-level security; null unless active with the module. */
async function openTenant(tx: Tx, slug: string, now: Date): Promise<Tenant | null> {
  const [row] = await tx
    .execute<{ id: string; name: string; slug: string; usable: boolean }>(sql`
      select t.id, t.name, t.slug, set_config('app.tenant_id', t.id, true),
        t.status = 'active' and ${tenantHasModuleSql(sql`t.id`, 'scheduling', now)} as usable
      from tenants t where t.slug = ${slug}`)
    .then((r) => r.rows)
  return row?.usable ? { id: row.id, name: row.name, slug: row.slug } : null
}

async function withTenant<T>(
  services: Services,
  slug: string,
  now: Date,
  work: (tx: Tx, tenant: Tenant) => Promise<T>,
) {
  return services.db.transaction(async (tx) => {
    const tenant = await openTenant(tx, slug, now)
    if (!tenant) throw notFound('booking page')
    return work(tx, tenant)
  })
}

export type PublicService = {
  id: string
  name: string
  description: string | null
  durationMinutes: number
  priceCents: number
  currency: string
  capacity: number
  professionals: { id: string; name: string }[]
}

/** The tenant's name and its bookable services with their professionals' names. */
export async function publicCatalogue(services: Services, slug: string, now: Date) {
  return withTenant(services, slug, now, async (tx, tenant) => {
    const rows = await tx
      .execute<{
        id: string
        name: string
        description: string | null
        duration_minutes: number
        price_cents: number
        currency: string
        capacity: number
        professionals: { id: string; name: string }[] | null
      }>(sql`
        select s.id, s.name, s.description, s.duration_minutes, s.price_cents, s.currency, s.capacity,
          (select json_agg(json_build_object('id', p.id, 'name', p.name) order by p.name)
           from scheduling_service_professionals sp
           join scheduling_professionals p on p.id = sp.professional_id and p.active
           where sp.service_id = s.id and sp.tenant_id = s.tenant_id) as professionals
        from scheduling_services s
        where s.tenant_id = ${tenant.id} and s.active
        order by s.name`)
      .then((r) => r.rows)
    const catalogue: PublicService[] = rows
      .filter((row) => (row.professionals ?? []).length > 0)
      .map((row) => ({
        id: row.id,
        name: row.name,
        description: row.description,
        durationMinutes: row.duration_minutes,
        priceCents: row.price_cents,
        currency: row.currency,
        capacity: row.capacity,
        professionals: row.professionals ?? [],
      }))
    return { tenant: { name: tenant.name, slug: tenant.slug }, services: catalogue }
  })
}

/** Free slots for the public page: notice and horizon enforced, labels in the visitor's zone. */
export async function publicAvailability(
  services: Services,
  slug: string,
  input: { serviceId: string; professionalId?: string; from: string; to: string; timeZone: string },
  now: Date,
) {
  return withTenant(services, slug, now, async (tx, tenant) => {
    const found = await availabilityOf(tx, tenant.id, input, now, { enforceNotice: true })
    if (!found?.service.active) throw notFound('service')
    return found.slots.map(({ startsAt, local, professionalId, seatsLeft }) => ({
      startsAt,
      local,
      professionalId,
      seatsLeft,
    }))
  })
}

// Booking links: HS256 with the access-token keys (rotated with them); a distinct type and
// audience keep them from ever passing as access tokens, and each other (a hold is not a manage link).
const ISSUER = 'integra'
const TOKEN_TYPE = 'integra-booking+jwt'
const linkClaims = z.object({ tid: z.string(), apt: z.string() })
type LinkPurpose = 'hold' | 'manage'

export async function signBookingLink(
  keys: SigningKey[],
  purpose: LinkPurpose,
  claims: { tenantId: string; appointmentId: string },
  expiresAt: Date,
): Promise<string> {
  const [key] = keys
  if (!key) throw new Error('signBookingLink: no signing key')
  return new SignJWT({ tid: claims.tenantId, apt: claims.appointmentId })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: TOKEN_TYPE })
    .setIssuer(ISSUER)
    .setAudience(`integra-booking-${purpose}`)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key.secret)
}

const invalidLink = () =>
  new ApiError(404, 'INVALID_MANAGE_LINK', 'This link is not valid, or it has expired.')

async function verifyBookingLink(keys: SigningKey[], purpose: LinkPurpose, token: string) {
  try {
    const { payload } = await jwtVerify(token, keyForKid(keys), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: `integra-booking-${purpose}`,
      typ: TOKEN_TYPE,
    })
    return linkClaims.parse(payload)
  } catch (error) {
    if (purpose === 'hold' && error instanceof errors.JWTExpired) throw holdExpired()
    throw invalidLink()
  }
}

const holdExpired = () =>
  new ApiError(
    409,
    'HOLD_EXPIRED',
    'The time you picked was held for 10 minutes and has been released; pick it again.',
  )

/** The visitor key a hold is counted under: a digest of their address, never the address itself. */
export const visitorOf = (meta: RequestMeta) => sha256Hex(`booking-visitor:${meta.ip ?? 'unknown'}`)

/**
 * Holds a slot for the visitor for HOLD_MINUTES: a pending appointment without a customer, which
 * the exclusion constraint protects like any booking (two visitors cannot hold the same last
 * slot). At most MAX_HOLDS_PER_VISITOR live holds per address (429 HOLD_LIMIT_REACHED). Returns
 * the signed hold link's token.
 */
export async function holdSlot(
  services: Services,
  meta: RequestMeta,
  slug: string,
  input: { serviceId: string; professionalId?: string; startsAt: Date; timeZone: string },
  now: Date,
) {
  const visitor = await visitorOf(meta)
  const expiresAt = new Date(now.getTime() + HOLD_MINUTES * 60_000)
  const held = await withTenant(services, slug, now, async (tx, tenant) => {
    const [count] = await tx
      .execute<{ n: number }>(sql`
        select count(*)::int as n from appointments
        where tenant_id = ${tenant.id} and hold_visitor = ${visitor} and status = 'pending' and hold_expires_at > ${now}`)
      .then((r) => r.rows)
    if ((count?.n ?? 0) >= MAX_HOLDS_PER_VISITOR)
      throw new ApiError(
        429,
        'HOLD_LIMIT_REACHED',
        'You are holding too many times at once; finish or wait a few minutes.',
        {
          headers: { 'Retry-After': String(HOLD_MINUTES * 60) },
        },
      )
    const booked = await book(
      tx,
      tenant.id,
      {
        ...input,
        customer: null,
        status: 'pending',
        source: 'public',
        hold: { expiresAt, visitor },
        enforceNotice: true,
        createdBy: null,
      },
      now,
    )
    return { tenantId: tenant.id, appointmentId: booked.id }
  })
  return signBookingLink(services.config.JWT_SIGNING_KEYS, 'hold', held, expiresAt)
}

type Managed = {
  id: string
  serviceId: string
  professionalId: string
  status: AppointmentStatus
  startsAt: Date
  endsAt: Date
  serviceName: string
  professionalName: string
  holdExpiresAt: Date | null
  cancelCutoffMinutes: number
  tenantName: string
}

async function readAppointment(tx: Tx, tenant: Tenant, id: string): Promise<Managed | null> {
  const [row] = await tx
    .execute<{
      id: string
      service_id: string
      professional_id: string
      status: AppointmentStatus
      starts_at: string
      ends_at: string
      service_name: string
      professional_name: string
      hold_expires_at: string | null
      cancel_cutoff_minutes: number
    }>(sql`
      select a.id, a.service_id, a.professional_id, a.status, a.starts_at, a.ends_at, s.name as service_name, p.name as professional_name,
        a.hold_expires_at, s.cancel_cutoff_minutes
      from appointments a
      join scheduling_services s on s.id = a.service_id
      join scheduling_professionals p on p.id = a.professional_id
      where a.tenant_id = ${tenant.id} and a.id = ${id}`)
    .then((r) => r.rows)
  if (!row) return null
  return {
    id: row.id,
    serviceId: row.service_id,
    professionalId: row.professional_id,
    status: row.status,
    startsAt: new Date(row.starts_at),
    endsAt: new Date(row.ends_at),
    serviceName: row.service_name,
    professionalName: row.professional_name,
    holdExpiresAt: row.hold_expires_at ? new Date(row.hold_expires_at) : null,
    cancelCutoffMinutes: row.cancel_cutoff_minutes,
    tenantName: tenant.name,
  }
}

/** What a hold link shows: the slot being held, until when. */
export async function readHold(services: Services, slug: string, token: string, now: Date) {
  const claims = await verifyBookingLink(services.config.JWT_SIGNING_KEYS, 'hold', token)
  return withTenant(services, slug, now, async (tx, tenant) => {
    if (claims.tid !== tenant.id) throw invalidLink()
    const held = await readAppointment(tx, tenant, claims.apt)
    if (!held) throw invalidLink()
    if (held.status !== 'pending' || !held.holdExpiresAt || held.holdExpiresAt <= now) throw holdExpired()
    return held
  })
}

/**
 * Turns the visitor's hold into a confirmed appointment with their details: a conditional update
 * (still pending, still held), so an expired hold, or one confirmed already, changes nothing and
 * answers 409 HOLD_EXPIRED. Returns the manage link's token (valid until a day after the end).
 */
export async function confirmHold(
  services: Services,
  meta: RequestMeta,
  slug: string,
  token: string,
  input: { customer: CustomerInput; remindersConsent: boolean; locale: NoticeLocale },
  now: Date,
) {
  const claims = await verifyBookingLink(services.config.JWT_SIGNING_KEYS, 'hold', token)
  const confirmed = await withTenant(services, slug, now, async (tx, tenant) => {
    if (claims.tid !== tenant.id) throw invalidLink()
    const customer = await upsertCustomer(tx, tenant.id, input.customer)
    const [row] = await tx
      .execute<{ id: string; professional_id: string; starts_at: string; ends_at: string }>(sql`
        update appointments set customer_id = ${customer.id}, status = 'confirmed', hold_expires_at = null,
          updated_at = ${now}
        where tenant_id = ${tenant.id} and id = ${claims.apt} and status = 'pending'
          and hold_expires_at > ${now}
        returning id, professional_id, starts_at, ends_at`)
      .then((r) => r.rows)
    if (!row) throw holdExpired()
    await recordConsent(tx, tenant.id, customer.id, input.remindersConsent, 'public', now)
    await tx.execute(
      sql`update scheduling_customer_facts set language = ${input.locale} where customer_id = ${customer.id}`,
    )
    await planReminders(tx, tenant.id, row.id, now)
    const notice = await noticeCustomer(tx, services, tenant.id, row.id, 'confirmed', now)
    await writeAudit(tx, { type: 'anonymous', id: null }, meta, {
      action: 'scheduling.appointment_booked_public',
      tenantId: tenant.id,
      target: { type: 'appointment', id: row.id },
      data: { starts_at: new Date(row.starts_at).toISOString(), reminders_consent: input.remindersConsent },
    })
    return { tenantId: tenant.id, row, notice }
  })
  await sendNotice(services, confirmed.tenantId, confirmed.notice)
  await publishSchedulingEvent(services, confirmed.tenantId, {
    type: 'appointment.created',
    appointmentId: confirmed.row.id,
    professionalId: confirmed.row.professional_id,
    startsAt: new Date(confirmed.row.starts_at).toISOString(),
    source: 'public',
  })
  const validUntil = new Date(new Date(confirmed.row.ends_at).getTime() + 86_400_000)
  return signBookingLink(
    services.config.JWT_SIGNING_KEYS,
    'manage',
    { tenantId: confirmed.tenantId, appointmentId: confirmed.row.id },
    validUntil,
  )
}

/** Whether the customer may still cancel through the link: before the service's cut-off. */
export const cancellable = (appointment: Managed, now: Date) =>
  (appointment.status === 'confirmed' || appointment.status === 'pending') &&
  now.getTime() < appointment.startsAt.getTime() - appointment.cancelCutoffMinutes * 60_000

export async function readManaged(services: Services, slug: string, token: string, now: Date) {
  const claims = await verifyBookingLink(services.config.JWT_SIGNING_KEYS, 'manage', token)
  return withTenant(services, slug, now, async (tx, tenant) => {
    if (claims.tid !== tenant.id) throw invalidLink()
    const appointment = await readAppointment(tx, tenant, claims.apt)
    if (!appointment) throw invalidLink()
    return { appointment, cancellable: cancellable(appointment, now) }
  })
}

/** Queues the send of a notice written in a committed transaction. */
async function sendNotice(services: Services, tenantId: string, messageId: string | null) {
  if (messageId) await queueSends(services.jobs, tenantId, [messageId])
}

/** The linked appointment, its row locked so two changes through the link take turns. */
async function lockManaged(tx: Tx, tenant: Tenant, claims: { tid: string; apt: string }) {
  if (claims.tid !== tenant.id) throw invalidLink()
  const [locked] = await tx
    .execute<{ id: string }>(
      sql`select id from appointments where tenant_id = ${tenant.id} and id = ${claims.apt} for update`,
    )
    .then((r) => r.rows)
  const appointment = locked ? await readAppointment(tx, tenant, claims.apt) : null
  if (!appointment) throw invalidLink()
  return appointment
}

/** The free times the customer may move their appointment to: same service and professional. */
export async function managedAvailability(
  services: Services,
  slug: string,
  token: string,
  input: { from: string; to: string; timeZone: string },
  now: Date,
) {
  const { appointment, cancellable: changeable } = await readManaged(services, slug, token, now)
  if (!changeable) throw rescheduleCutoffPassed()
  const slots = await publicAvailability(
    services,
    slug,
    { serviceId: appointment.serviceId, professionalId: appointment.professionalId, ...input },
    now,
  )
  return { appointment, slots }
}

const rescheduleCutoffPassed = () =>
  new ApiError(
    409,
    'RESCHEDULE_CUTOFF_PASSED',
    'It is too late to change this appointment online; please call the business.',
  )

/**
 * The customer moves their appointment through the link, until the service's cut-off (409
 * RESCHEDULE_CUTOFF_PASSED after), with the same professional and under the public page's rules
 * (notice, horizon). The exclusion constraint decides a race with another booking or move: the
 * loser gets 409 SLOT_TAKEN with the next free slots. Its reminders move with it.
 */
export async function rescheduleManaged(
  services: Services,
  meta: RequestMeta,
  slug: string,
  token: string,
  input: { startsAt: Date; timeZone: string },
  now: Date,
) {
  const claims = await verifyBookingLink(services.config.JWT_SIGNING_KEYS, 'manage', token)
  const moved = await withTenant(services, slug, now, async (tx, tenant) => {
    const appointment = await lockManaged(tx, tenant, claims)
    if (!cancellable(appointment, now)) throw rescheduleCutoffPassed()
    await moveAppointment(
      tx,
      tenant.id,
      appointment,
      { startsAt: input.startsAt, enforceNotice: true, timeZone: input.timeZone },
      now,
    )
    await planReminders(tx, tenant.id, appointment.id, now)
    const notice = await noticeCustomer(tx, services, tenant.id, appointment.id, 'rescheduled', now)
    await writeAudit(tx, { type: 'anonymous', id: null }, meta, {
      action: 'scheduling.appointment_rescheduled_by_customer',
      tenantId: tenant.id,
      target: { type: 'appointment', id: appointment.id },
      data: { from: appointment.startsAt.toISOString(), to: input.startsAt.toISOString() },
    })
    return { tenantId: tenant.id, professionalId: appointment.professionalId, notice }
  })
  await sendNotice(services, moved.tenantId, moved.notice)
  await publishSchedulingEvent(services, moved.tenantId, {
    type: 'appointment.rescheduled',
    appointmentId: claims.apt,
    professionalId: moved.professionalId,
    startsAt: input.startsAt.toISOString(),
  })
}

/** The customer cancels through their link, until the cut-off (409 CANCEL_CUTOFF_PASSED after). */
export async function cancelManaged(
  services: Services,
  meta: RequestMeta,
  slug: string,
  token: string,
  now: Date,
) {
  const claims = await verifyBookingLink(services.config.JWT_SIGNING_KEYS, 'manage', token)
  const cancelled = await withTenant(services, slug, now, async (tx, tenant) => {
    const appointment = await lockManaged(tx, tenant, claims)
    if (!cancellable(appointment, now))
      throw new ApiError(
        409,
        'CANCEL_CUTOFF_PASSED',
        'It is too late to cancel online; please call the business.',
      )
    await changeStatus(
      tx,
      tenant.id,
      { id: appointment.id, status: appointment.status, starts_at: appointment.startsAt.toISOString() },
      'cancelled',
      now,
    )
    await writeAudit(tx, { type: 'anonymous', id: null }, meta, {
      action: 'scheduling.appointment_cancelled_by_customer',
      tenantId: tenant.id,
      target: { type: 'appointment', id: appointment.id },
    })
    return {
      id: tenant.id,
      notice: await noticeCustomer(tx, services, tenant.id, appointment.id, 'cancelled', now),
    }
  })
  await sendNotice(services, cancelled.id, cancelled.notice)
  await publishSchedulingEvent(services, cancelled.id, {
    type: 'appointment.status_changed',
    appointmentId: claims.apt,
    status: 'cancelled',
  })
}
