import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { isExclusionViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import type { AppointmentSource, AppointmentStatus } from '../../../db/schema/index.ts'
import { ApiError, invalidField } from '../../errors.ts'
import { snake } from '../../http.ts'
import { type CustomerInput, upsertCustomer } from '../customers/customers.ts'
import {
  computeSlots,
  groupSlotKey,
  type LoadedService,
  loadBlocked,
  loadProfessionals,
  loadService,
  nextFreeSlots,
  type SlotProfessional,
} from './availability.ts'

const MINUTE = 60_000

/** What any booking path (API, portal, public page) asks for. */
export type BookingRequest = {
  serviceId: string
  /** Undefined: any professional who performs the service and is free then. */
  professionalId?: string
  startsAt: Date
  /** Null for a public hold, which gets its customer when the visitor confirms. */
  customer: CustomerInput | null
  /** The customer's consent to reminders, recorded with its time and source when given. */
  remindersConsent?: boolean
  notes?: string | null
  status: Extract<AppointmentStatus, 'pending' | 'confirmed'>
  source: AppointmentSource
  /** A public visitor's hold: pending until it is confirmed or expires. */
  hold?: { expiresAt: Date; visitor: string }
  /** Minimum notice and horizon apply (the public page); staff may book past them. */
  enforceNotice: boolean
  /** The visitor's zone, for the labels of the alternatives offered after a 409. */
  timeZone: string
  createdBy: string | null
}

export type Booked = { id: string; professionalId: string; customerId: string | null; service: LoadedService }

/** 409 SLOT_TAKEN, carrying the next free slots so the person can pick another at once. */
export function slotTaken(next: { startsAt: Date; endsAt: Date; professionalId: string; local: string }[]) {
  return new ApiError(409, 'SLOT_TAKEN', 'This time was just taken; pick another.', {
    details: {
      next_slots: snake(
        next.map(({ startsAt, endsAt, professionalId, local }) => ({
          startsAt,
          endsAt,
          professionalId,
          local,
        })),
      ),
    },
  })
}

export const slotUnavailable = () =>
  new ApiError(
    422,
    'SLOT_UNAVAILABLE',
    'The professional does not work at this time (working plan, day off, blocked period, notice or horizon).',
  )

/**
 * Whether `startsAt` is one of the professional's slots by its plan, exceptions, the business's
 * blocked periods and (for the public page) notice and horizon. Existing appointments are not
 * looked at here: the exclusion constraint decides those, atomically.
 */
async function fitsPlan(
  tx: Tx,
  tenantId: string,
  service: LoadedService,
  professional: SlotProfessional,
  startsAt: Date,
  now: Date,
  enforceNotice: boolean,
): Promise<boolean> {
  const from = startsAt.getTime()
  const blocked = await loadBlocked(tx, tenantId, { from, to: from + 1 })
  const slots = computeSlots({
    service,
    professionals: [professional],
    busy: [],
    blocked,
    from,
    to: from + 1,
    now: now.getTime(),
    enforceNotice,
  })
  return slots.length > 0
}

/** The rows of the range a booking needs: start, end, and the range its buffers block. */
export function rangeOf(service: LoadedService, startsAt: Date) {
  const start = startsAt.getTime()
  const end = start + service.durationMinutes * MINUTE
  return {
    startsAt,
    endsAt: new Date(end),
    blockedFrom: new Date(start - service.bufferBeforeMinutes * MINUTE),
    blockedUntil: new Date(end + service.bufferAfterMinutes * MINUTE),
  }
}

/**
 * Public holds that have expired but still sit in the constraint's way (the cron sweep has not
 * reached them yet) are cancelled before a booking of an overlapping range, in its transaction.
 */
async function releaseExpiredHolds(
  tx: Tx,
  tenantId: string,
  professionalId: string,
  range: { blockedFrom: Date; blockedUntil: Date },
  now: Date,
) {
  await tx.execute(sql`
    update appointments set status = 'cancelled', cancelled_at = ${now}, updated_at = ${now}
    where tenant_id = ${tenantId} and professional_id = ${professionalId} and status = 'pending'
      and hold_expires_at is not null and hold_expires_at <= ${now}
      and blocked_from < ${range.blockedUntil} and blocked_until > ${range.blockedFrom}`)
}

/**
 * Makes writers of one professional's calendar take turns until their transactions end. The
 * exclusion constraint alone refuses every overlap, but two transactions inserting overlapping
 * rows at the same moment each find the other's uncommitted row and wait for it: Postgres breaks
 * that cycle with a deadlock error after a second. In turn, each insert finds the committed rows
 * and fails 23P01 at once. The lock only orders; the constraint is still what refuses, also for
 * a writer that does not take it.
 */
async function lockProfessional(tx: Tx, tenantId: string, professionalId: string) {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`scheduling:${tenantId}:${professionalId}`}, 0))`,
  )
}

/**
 * Whether a group class has a seat left, counted under the professional's lock (so the count and
 * the insert that follows are one step for concurrent bookings of the class).
 */
async function seatFree(
  tx: Tx,
  tenantId: string,
  professionalId: string,
  slotKey: string,
  capacity: number,
  now: Date,
) {
  const [row] = await tx
    .execute<{ taken: number }>(sql`
      select count(*)::int as taken from appointments
      where tenant_id = ${tenantId} and professional_id = ${professionalId} and slot_key = ${slotKey}
        and status in ('pending', 'confirmed') and (hold_expires_at is null or hold_expires_at > ${now})`)
    .then((r) => r.rows)
  return (row?.taken ?? 0) < capacity
}

/**
 * Books one appointment (or a public hold) in the caller's transaction. Postgres is what refuses a
 * double booking: the insert runs in a savepoint, and an exclusion violation (23P01) from a
 * concurrent or earlier booking rolls back just that savepoint; with "any professional" the next
 * one is tried, else 409 SLOT_TAKEN with the next free slots. Group classes count seats under an
 * lock. The customer is the shared one (`upsertCustomer`), and scheduling's consent fact
 * is kept beside it.
 */
export async function book(tx: Tx, tenantId: string, request: BookingRequest, now: Date): Promise<Booked> {
  const service = await loadService(tx, tenantId, request.serviceId)
  if (!service?.active)
    throw invalidField('json.service_id', 'no such service', 'The service does not exist.')
  const around = {
    from: request.startsAt.getTime() - 86_400_000,
    to: request.startsAt.getTime() + 86_400_000,
  }
  const professionals = await loadProfessionals(tx, tenantId, service.id, request.professionalId, around)
  if (request.professionalId && professionals.length === 0)
    throw invalidField(
      'json.professional_id',
      'does not perform this service',
      'The professional does not perform this service.',
    )
  const range = rangeOf(service, request.startsAt)
  const candidates: SlotProfessional[] = []
  for (const professional of professionals) {
    if (await fitsPlan(tx, tenantId, service, professional, request.startsAt, now, request.enforceNotice))
      candidates.push(professional)
  }
  if (candidates.length === 0) throw slotUnavailable()

  const customer = request.customer ? await upsertCustomer(tx, tenantId, request.customer) : null
  if (customer && request.remindersConsent !== undefined)
    await recordConsent(tx, tenantId, customer.id, request.remindersConsent, request.source, now)

  for (const professional of candidates) {
    await lockProfessional(tx, tenantId, professional.id)
    await releaseExpiredHolds(tx, tenantId, professional.id, range, now)
    const id = newId('apt')
    const slotKey = service.capacity > 1 ? groupSlotKey(service.id, request.startsAt) : id
    if (
      service.capacity > 1 &&
      !(await seatFree(tx, tenantId, professional.id, slotKey, service.capacity, now))
    )
      continue
    const inserted = await tx
      .transaction(async (savepoint) => {
        await savepoint.execute(sql`
          insert into appointments (id, tenant_id, service_id, professional_id, customer_id, starts_at, ends_at,
            blocked_from, blocked_until, slot_key, status, source, notes, hold_expires_at, hold_visitor,
            price_cents, currency, created_by)
          values (${id}, ${tenantId}, ${service.id}, ${professional.id}, ${customer?.id ?? null}, ${range.startsAt},
            ${range.endsAt}, ${range.blockedFrom}, ${range.blockedUntil}, ${slotKey}, ${request.status},
            ${request.source}, ${request.notes ?? null}, ${request.hold?.expiresAt ?? null},
            ${request.hold?.visitor ?? null}, ${service.priceCents}, ${service.currency}, ${request.createdBy})`)
        return true
      })
      .catch((error: unknown) => {
        if (isExclusionViolation(error)) return false
        throw error
      })
    if (inserted) return { id, professionalId: professional.id, customerId: customer?.id ?? null, service }
  }
  throw slotTaken(
    await nextFreeSlots(
      tx,
      tenantId,
      {
        serviceId: service.id,
        professionalId: request.professionalId,
        after: request.startsAt,
        timeZone: request.timeZone,
      },
      now,
      { enforceNotice: request.enforceNotice },
    ),
  )
}

/**
 * Moves a live appointment to `startsAt` (and optionally another professional) under the same
 * rules as a booking: the update runs in a savepoint and the exclusion constraint refuses an
 * overlap (409 SLOT_TAKEN with alternatives); a group seat moves only into a class with room.
 */
export async function moveAppointment(
  tx: Tx,
  tenantId: string,
  appointment: { id: string; serviceId: string; professionalId: string },
  target: { startsAt: Date; professionalId?: string; enforceNotice: boolean; timeZone: string },
  now: Date,
): Promise<void> {
  const service = await loadService(tx, tenantId, appointment.serviceId)
  if (!service) throw invalidField('json.starts_at', 'the service no longer exists')
  const professionalId = target.professionalId ?? appointment.professionalId
  const around = { from: target.startsAt.getTime() - 86_400_000, to: target.startsAt.getTime() + 86_400_000 }
  const [professional] = await loadProfessionals(tx, tenantId, service.id, professionalId, around)
  if (!professional)
    throw invalidField(
      'json.professional_id',
      'does not perform this service',
      'The professional does not perform this service.',
    )
  if (!(await fitsPlan(tx, tenantId, service, professional, target.startsAt, now, target.enforceNotice)))
    throw slotUnavailable()
  const range = rangeOf(service, target.startsAt)
  await lockProfessional(tx, tenantId, professional.id)
  await releaseExpiredHolds(tx, tenantId, professional.id, range, now)
  const slotKey = service.capacity > 1 ? groupSlotKey(service.id, target.startsAt) : appointment.id
  const taken = () =>
    nextFreeSlots(
      tx,
      tenantId,
      { serviceId: service.id, professionalId, after: target.startsAt, timeZone: target.timeZone },
      now,
      { enforceNotice: target.enforceNotice },
    ).then(slotTaken)
  if (
    service.capacity > 1 &&
    !(await seatFree(tx, tenantId, professional.id, slotKey, service.capacity, now))
  )
    throw await taken()
  const moved = await tx
    .transaction(async (savepoint) => {
      await savepoint.execute(sql`
        update appointments set professional_id = ${professional.id}, starts_at = ${range.startsAt},
          ends_at = ${range.endsAt}, blocked_from = ${range.blockedFrom}, blocked_until = ${range.blockedUntil},
          slot_key = ${slotKey}, updated_at = ${now}
        where tenant_id = ${tenantId} and id = ${appointment.id}`)
      return true
    })
    .catch((error: unknown) => {
      if (isExclusionViolation(error)) return false
      throw error
    })
  if (!moved) throw await taken()
}

/** Scheduling's consent fact for a customer: given or withdrawn, with when and through what. */
export async function recordConsent(
  tx: Tx,
  tenantId: string,
  customerId: string,
  consent: boolean,
  source: AppointmentSource,
  now: Date,
) {
  await tx.execute(sql`
    insert into scheduling_customer_facts (customer_id, tenant_id, reminders_consent, consent_at, consent_source)
    values (${customerId}, ${tenantId}, ${consent}, ${now}, ${source})
    on conflict (customer_id) do update set reminders_consent = excluded.reminders_consent,
      consent_at = excluded.consent_at, consent_source = excluded.consent_source, updated_at = ${now}`)
}
