import { and, asc, eq, gt, isNull, lte, type SQL, sql } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import { type BookingStatus, bookings, calendarSources, properties } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage } from '../keyset.ts'
import { sendAfterCommit } from '../messaging/outbox.ts'
import { alertConflicts } from './alerts.ts'
import { openConflictsOf, recomputeConflicts } from './conflicts.ts'

const COLUMNS = {
  id: bookings.id,
  propertyId: bookings.propertyId,
  sourceId: bookings.sourceId,
  channel: sql<string>`coalesce(${calendarSources.channel}, 'direct')`,
  uid: bookings.uid,
  guestName: bookings.guestName,
  checkIn: bookings.checkIn,
  checkOut: bookings.checkOut,
  nights: sql<number>`(${bookings.checkOut} - ${bookings.checkIn})::int`,
  status: bookings.status,
  summary: bookings.summary,
  notes: bookings.notes,
  createdAt: bookings.createdAt,
  updatedAt: bookings.updatedAt,
}

/** Bookings page by check-in day, then id. */
const BY_CHECK_IN = [key.date(bookings.checkIn), key.id(bookings.id, 'bkg')]

const readOnly = () =>
  new ApiError(
    409,
    'BOOKING_FROM_FEED',
    'This booking comes from a channel feed: change it on the channel, the next sync brings it here.',
  )

export type ManualBookingInput = {
  propertyId: string
  checkIn: string
  checkOut: string
  status: Exclude<BookingStatus, 'cancelled'>
  guestName?: string | null
  notes?: string | null
}

async function requireProperty(ctx: ServiceContext, tenantId: string, id: string, path: string) {
  const [property] = await ctx.tx
    .select({ id: properties.id })
    .from(properties)
    .where(and(eq(properties.id, id), eq(properties.tenantId, tenantId)))
  if (!property) throw invalidField(path, 'no such property', 'The property does not exist.')
}

/**
 * A booking entered by hand (a direct stay or an owner's block). Conflicts of the property are
 * recomputed in the same transaction; the answer carries the open conflicts the booking is in,
 * and each new one is queued for alerting.
 */
export async function createBooking(ctx: ServiceContext, input: ManualBookingInput) {
  authorize(ctx.principal, 'calendar.manage')
  const tenantId = ctx.principal.tenantId
  await requireProperty(ctx, tenantId, input.propertyId, 'json.property_id')
  const id = newId('bkg')
  await ctx.tx.insert(bookings).values({
    id,
    tenantId,
    propertyId: input.propertyId,
    checkIn: input.checkIn,
    checkOut: input.checkOut,
    status: input.status,
    guestName: input.guestName ?? null,
    notes: input.notes ?? null,
    createdBy: ctx.principal.id,
  })
  const { opened } = await recomputeConflicts(ctx.tx, tenantId, input.propertyId)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.booking_created',
    tenantId,
    target: { type: 'booking', id },
    data: {
      property_id: input.propertyId,
      check_in: input.checkIn,
      check_out: input.checkOut,
      status: input.status,
    },
  })
  sendAfterCommit(ctx, await alertConflicts(ctx.tx, tenantId, opened))
  return { booking: await getBooking(ctx, id), conflicts: await openConflictsOf(ctx.tx, tenantId, id) }
}

export async function listBookings(
  ctx: ServiceContext,
  input: {
    limit: number
    cursor?: string
    propertyId?: string
    sourceId?: string
    status?: BookingStatus
    from?: string
    to?: string
  },
) {
  authorize(ctx.principal, 'calendar.read')
  const conditions: (SQL | undefined)[] = [
    eq(bookings.tenantId, ctx.principal.tenantId),
    input.propertyId ? eq(bookings.propertyId, input.propertyId) : undefined,
    input.sourceId === 'manual'
      ? isNull(bookings.sourceId)
      : input.sourceId
        ? eq(bookings.sourceId, input.sourceId)
        : undefined,
    input.status ? eq(bookings.status, input.status) : undefined,
    // Stays with a night in [from, to]: check-out is exclusive.
    input.from ? gt(bookings.checkOut, input.from) : undefined,
    input.to ? lte(bookings.checkIn, input.to) : undefined,
    afterCursor(BY_CHECK_IN, input.cursor, 'asc'),
  ]
  const rows = await ctx.tx
    .select(COLUMNS)
    .from(bookings)
    .leftJoin(calendarSources, eq(calendarSources.id, bookings.sourceId))
    .where(and(...conditions))
    .orderBy(asc(bookings.checkIn), asc(bookings.id))
    .limit(input.limit + 1)
  return nextPage(rows, input.limit, (row) => [row.checkIn, row.id])
}

export async function getBooking(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'calendar.read')
  const [row] = await ctx.tx
    .select(COLUMNS)
    .from(bookings)
    .leftJoin(calendarSources, eq(calendarSources.id, bookings.sourceId))
    .where(and(eq(bookings.id, id), eq(bookings.tenantId, ctx.principal.tenantId)))
  if (!row) throw notFound('booking')
  return row
}

/** Changes a manual booking (dates, status incl. `cancelled`, guest, notes); feed bookings are read-only. */
export async function updateBooking(
  ctx: ServiceContext,
  id: string,
  input: Partial<Omit<ManualBookingInput, 'propertyId' | 'status'>> & { status?: BookingStatus },
) {
  authorize(ctx.principal, 'calendar.manage')
  const tenantId = ctx.principal.tenantId
  const before = await getBooking(ctx, id)
  if (before.sourceId) throw readOnly()
  const checkIn = input.checkIn ?? before.checkIn
  const checkOut = input.checkOut ?? before.checkOut
  if (checkOut <= checkIn)
    throw invalidField('json.check_out', 'must be after check_in', 'The dates make no stay.')
  await ctx.tx
    .update(bookings)
    .set({ ...input, updatedAt: ctx.now })
    .where(and(eq(bookings.id, id), eq(bookings.tenantId, tenantId)))
  const { opened } = await recomputeConflicts(ctx.tx, tenantId, before.propertyId)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.booking_updated',
    tenantId,
    target: { type: 'booking', id },
    data: {
      from: { check_in: before.checkIn, check_out: before.checkOut, status: before.status },
      to: { check_in: checkIn, check_out: checkOut, status: input.status ?? before.status },
    },
  })
  sendAfterCommit(ctx, await alertConflicts(ctx.tx, tenantId, opened))
  return { booking: await getBooking(ctx, id), conflicts: await openConflictsOf(ctx.tx, tenantId, id) }
}

/** Deletes a manual booking; its conflicts go with it (and the property's are recomputed). */
export async function deleteBooking(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'calendar.manage')
  const tenantId = ctx.principal.tenantId
  const before = await getBooking(ctx, id)
  if (before.sourceId) throw readOnly()
  await ctx.tx.delete(bookings).where(and(eq(bookings.id, id), eq(bookings.tenantId, tenantId)))
  await recomputeConflicts(ctx.tx, tenantId, before.propertyId)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.booking_deleted',
    tenantId,
    target: { type: 'booking', id },
    data: { property_id: before.propertyId, check_in: before.checkIn, check_out: before.checkOut },
  })
}
