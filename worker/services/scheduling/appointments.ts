import { and, asc, eq, gte, lt, type SQL, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import {
  type AppointmentSource,
  type AppointmentStatus,
  appointments,
  customers,
  schedulingProfessionals,
  schedulingServices,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import type { CustomerInput } from '../customers/customers.ts'
import { afterCursor, key, nextPage, sortKey } from '../keyset.ts'
import { queueSends } from '../messaging/outbox.ts'
import { book, moveAppointment } from './booking.ts'
import { publishSchedulingEvent, type SchedulingEvent } from './events.ts'
import { type NoticeKind, noticeCustomer } from './notices.ts'
import { planReminders } from './reminders.ts'
import { addDays, zonedInstant } from './zones.ts'

export const COLUMNS = {
  id: appointments.id,
  serviceId: appointments.serviceId,
  serviceName: schedulingServices.name,
  professionalId: appointments.professionalId,
  professionalName: schedulingProfessionals.name,
  customerId: appointments.customerId,
  customerName: customers.name,
  customerPhone: customers.phone,
  customerEmail: customers.email,
  startsAt: appointments.startsAt,
  endsAt: appointments.endsAt,
  status: appointments.status,
  source: appointments.source,
  notes: appointments.notes,
  priceCents: appointments.priceCents,
  currency: appointments.currency,
  holdExpiresAt: appointments.holdExpiresAt,
  customerErasedAt: appointments.customerErasedAt,
  createdAt: appointments.createdAt,
  updatedAt: appointments.updatedAt,
}

const BY_START = [key.timestamp(appointments.startsAt), key.id(appointments.id, 'apt')]

/** Which status may follow which: done and no-show close a live appointment, nothing reopens one. */
const TRANSITIONS: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['done', 'no_show', 'cancelled'],
  cancelled: [],
  done: [],
  no_show: [],
}

const invalidTransition = (from: AppointmentStatus, to: AppointmentStatus) =>
  new ApiError(409, 'INVALID_TRANSITION', `An appointment that is ${from} cannot become ${to}.`)

/** The customer's e-mail notice with its invitation, in the verb's transaction; sent after commit. */
async function notice(ctx: ServiceContext, tenantId: string, id: string, kind: NoticeKind) {
  const messageId = await noticeCustomer(ctx.tx, ctx.services, tenantId, id, kind, ctx.now)
  if (messageId)
    ctx.afterCommit(async () => void (await queueSends(ctx.services.jobs, tenantId, [messageId])))
}

/** Publishes after the verb's transaction commits (never for work that rolls back). */
export function publishAfterCommit(ctx: ServiceContext, event: SchedulingEvent) {
  const tenantId = ctx.principal.tenantId
  if (tenantId) ctx.afterCommit(() => publishSchedulingEvent(ctx.services, tenantId, event))
}

const selectAppointments = (tx: Tx) =>
  tx
    .select(COLUMNS)
    .from(appointments)
    .innerJoin(schedulingServices, eq(schedulingServices.id, appointments.serviceId))
    .innerJoin(schedulingProfessionals, eq(schedulingProfessionals.id, appointments.professionalId))
    .leftJoin(customers, eq(customers.id, appointments.customerId))

export async function findAppointment(tx: Tx, tenantId: string, id: string) {
  const [row] = await selectAppointments(tx).where(
    and(eq(appointments.id, id), eq(appointments.tenantId, tenantId)),
  )
  return row ?? null
}

export async function getAppointment(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'scheduling.read')
  const row = await findAppointment(ctx.tx, ctx.principal.tenantId, id)
  if (!row) throw notFound('appointment')
  return row
}

export type AppointmentListInput = {
  limit: number
  cursor?: string
  /** A local date in `timeZone`: appointments starting that day (or in `days` days from it). */
  day?: string
  /** How many local days from `day` (1 when absent): the portal's week view reads 7. */
  days?: number
  timeZone: string
  professionalId?: string
  status?: AppointmentStatus
}

/** Appointments by start then id (keyset), optionally of one local day, professional or status. */
export async function listAppointments(ctx: ServiceContext, input: AppointmentListInput) {
  authorize(ctx.principal, 'scheduling.read')
  const conditions: (SQL | undefined)[] = [
    eq(appointments.tenantId, ctx.principal.tenantId),
    input.day ? gte(appointments.startsAt, zonedInstant(input.day, 0, input.timeZone)) : undefined,
    input.day
      ? lt(appointments.startsAt, zonedInstant(addDays(input.day, input.days ?? 1), 0, input.timeZone))
      : undefined,
    input.professionalId ? eq(appointments.professionalId, input.professionalId) : undefined,
    input.status ? eq(appointments.status, input.status) : undefined,
    afterCursor(BY_START, input.cursor, 'asc'),
  ]
  const rows = await ctx.tx
    .select({ ...COLUMNS, sortKey: sortKey(appointments.startsAt) })
    .from(appointments)
    .innerJoin(schedulingServices, eq(schedulingServices.id, appointments.serviceId))
    .innerJoin(schedulingProfessionals, eq(schedulingProfessionals.id, appointments.professionalId))
    .leftJoin(customers, eq(customers.id, appointments.customerId))
    .where(and(...conditions))
    .orderBy(asc(appointments.startsAt), asc(appointments.id))
    .limit(input.limit + 1)
  const page = nextPage(rows, input.limit, (row) => [row.sortKey, row.id])
  return { ...page, data: page.data.map(({ sortKey: _, ...row }) => row) }
}

export type CreateAppointmentInput = {
  serviceId: string
  professionalId?: string
  startsAt: Date
  customer: CustomerInput
  remindersConsent?: boolean
  notes?: string | null
  status: 'pending' | 'confirmed'
  source: Exclude<AppointmentSource, 'public'>
  timeZone: string
}

/**
 * Staff book an appointment (API or portal). 409 SLOT_TAKEN with the next free slots when the
 * professional is taken (Postgres refused it), 422 SLOT_UNAVAILABLE outside their plan.
 */
export async function createAppointment(ctx: ServiceContext, input: CreateAppointmentInput) {
  authorize(ctx.principal, 'scheduling.book')
  const tenantId = ctx.principal.tenantId
  const booked = await book(
    ctx.tx,
    tenantId,
    { ...input, enforceNotice: false, createdBy: ctx.principal.id },
    ctx.now,
  )
  await planReminders(ctx.tx, tenantId, booked.id, ctx.now)
  if (input.status === 'confirmed') await notice(ctx, tenantId, booked.id, 'confirmed')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.appointment_created',
    tenantId,
    target: { type: 'appointment', id: booked.id },
    data: {
      service_id: input.serviceId,
      professional_id: booked.professionalId,
      starts_at: input.startsAt.toISOString(),
      status: input.status,
      source: input.source,
    },
  })
  publishAfterCommit(ctx, {
    type: 'appointment.created',
    appointmentId: booked.id,
    professionalId: booked.professionalId,
    startsAt: input.startsAt.toISOString(),
    source: input.source,
  })
  return getAppointment(ctx, booked.id)
}

/** Locks the appointment's row for a change, so two changes of one appointment take turns. */
async function lockAppointment(tx: Tx, tenantId: string, id: string) {
  const [row] = await tx
    .execute<{
      id: string
      service_id: string
      professional_id: string
      status: AppointmentStatus
      starts_at: string
    }>(sql`
      select id, service_id, professional_id, status, starts_at from appointments
      where tenant_id = ${tenantId} and id = ${id} for update`)
    .then((r) => r.rows)
  if (!row) throw notFound('appointment')
  return row
}

/** Moves a pending or confirmed appointment; the same conflict rules as booking. */
export async function rescheduleAppointment(
  ctx: ServiceContext,
  id: string,
  input: { startsAt: Date; professionalId?: string; timeZone: string },
) {
  authorize(ctx.principal, 'scheduling.book')
  const tenantId = ctx.principal.tenantId
  const before = await lockAppointment(ctx.tx, tenantId, id)
  if (before.status !== 'pending' && before.status !== 'confirmed')
    throw new ApiError(409, 'INVALID_TRANSITION', `An appointment that is ${before.status} cannot be moved.`)
  await moveAppointment(
    ctx.tx,
    tenantId,
    { id, serviceId: before.service_id, professionalId: before.professional_id },
    { ...input, enforceNotice: false },
    ctx.now,
  )
  await planReminders(ctx.tx, tenantId, id, ctx.now)
  if (before.status === 'confirmed') await notice(ctx, tenantId, id, 'rescheduled')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.appointment_rescheduled',
    tenantId,
    target: { type: 'appointment', id },
    data: {
      from: { starts_at: new Date(before.starts_at).toISOString(), professional_id: before.professional_id },
      to: {
        starts_at: input.startsAt.toISOString(),
        professional_id: input.professionalId ?? before.professional_id,
      },
    },
  })
  const after = await getAppointment(ctx, id)
  publishAfterCommit(ctx, {
    type: 'appointment.rescheduled',
    appointmentId: id,
    professionalId: after.professionalId,
    startsAt: after.startsAt.toISOString(),
  })
  return after
}

/**
 * Confirms, cancels or closes (done, no-show) an appointment, along TRANSITIONS; done and no-show
 * only once it has started. A cancelled appointment leaves the exclusion constraint at once, so
 * its time is free again.
 */
export async function setAppointmentStatus(
  ctx: ServiceContext,
  id: string,
  input: { status: Exclude<AppointmentStatus, 'pending'>; reason?: string | null },
) {
  authorize(ctx.principal, 'scheduling.book')
  const tenantId = ctx.principal.tenantId
  const before = await lockAppointment(ctx.tx, tenantId, id)
  await changeStatus(ctx.tx, tenantId, before, input.status, ctx.now)
  // A confirmed appointment's customer is told; a pending one's cancel was never promised them.
  if (input.status === 'confirmed' || (input.status === 'cancelled' && before.status === 'confirmed'))
    await notice(ctx, tenantId, id, input.status)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.appointment_status_changed',
    tenantId,
    target: { type: 'appointment', id },
    data: { from: before.status, to: input.status, ...(input.reason ? { reason: input.reason } : {}) },
  })
  publishAfterCommit(ctx, { type: 'appointment.status_changed', appointmentId: id, status: input.status })
  return getAppointment(ctx, id)
}

/** The status change itself, shared with the customer's own cancel through the manage link. */
export async function changeStatus(
  tx: Tx,
  tenantId: string,
  before: { id: string; status: AppointmentStatus; starts_at: string },
  status: AppointmentStatus,
  now: Date,
) {
  if (!TRANSITIONS[before.status].includes(status)) throw invalidTransition(before.status, status)
  if ((status === 'done' || status === 'no_show') && new Date(before.starts_at) > now)
    throw new ApiError(409, 'INVALID_TRANSITION', 'An appointment can be closed only once it has started.')
  await tx
    .update(appointments)
    .set({
      status,
      updatedAt: now,
      ...(status === 'cancelled' ? { cancelledAt: now } : {}),
      ...(status === 'confirmed' ? { holdExpiresAt: null } : {}),
    })
    .where(and(eq(appointments.id, before.id), eq(appointments.tenantId, tenantId)))
  // Confirmed: its reminders are planned; cancelled or closed: the pending ones are void.
  await planReminders(tx, tenantId, before.id, now)
}
