import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import type { ServiceContext } from '../context.ts'
import { addDays, weekdayOf, zonedDate, zonedInstant, zonedLabel } from './zones.ts'

const MINUTE = 60_000
const DAY = 86_400_000

/**
 * A list of strings as one bound parameter, a Postgres `text[]` (drizzle would expand a JS
 * array into one parameter per element).
 */
export const textArray = (values: readonly string[]) =>
  sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`

/** The longest range one availability read covers. */
export const MAX_AVAILABILITY_DAYS = 31

export type SlotService = {
  id: string
  durationMinutes: number
  bufferBeforeMinutes: number
  bufferAfterMinutes: number
  capacity: number
  minNoticeMinutes: number
  horizonDays: number
  slotIntervalMinutes: number
}

type Interval = { start: number; end: number }
type PlanRow = { weekday: number; kind: 'work' | 'break'; start: number; end: number }
type ExceptionRow = { date: string; kind: 'off' | 'hours'; start: number | null; end: number | null }

export type SlotProfessional = {
  id: string
  name: string
  timeZone: string
  plan: PlanRow[]
  exceptions: Map<string, ExceptionRow>
}

/** A live appointment: pending (an unexpired hold or a booking awaiting confirmation) or confirmed. */
export type BusyRange = { professionalId: string; from: number; until: number; slotKey: string }

export type Slot = {
  startsAt: Date
  endsAt: Date
  professionalId: string
  /** Seats still free (1 for individual services). */
  seatsLeft: number
}

/** The seats of one group class share this key (see `appointments.slot_key`). */
export const groupSlotKey = (serviceId: string, startsAt: Date) =>
  `grp:${serviceId}:${startsAt.toISOString()}`

/** `intervals` minus `cuts`, all in minutes of one local day. */
function subtract(intervals: Interval[], cuts: Interval[]): Interval[] {
  let result = intervals
  for (const cut of cuts) {
    result = result.flatMap((piece) => {
      if (cut.end <= piece.start || cut.start >= piece.end) return [piece]
      const kept: Interval[] = []
      if (cut.start > piece.start) kept.push({ start: piece.start, end: cut.start })
      if (cut.end < piece.end) kept.push({ start: cut.end, end: piece.end })
      return kept
    })
  }
  return result
}

/** The professional's working intervals of one local date, in minutes: plan or exception, less breaks. */
export function workingMinutes(professional: SlotProfessional, date: string): Interval[] {
  const exception = professional.exceptions.get(date)
  if (exception) {
    return exception.kind === 'hours' && exception.start !== null && exception.end !== null
      ? [{ start: exception.start, end: exception.end }]
      : []
  }
  const weekday = weekdayOf(date)
  const rows = professional.plan.filter((row) => row.weekday === weekday)
  const work = rows.filter((row) => row.kind === 'work').sort((a, b) => a.start - b.start)
  return subtract(
    work,
    rows.filter((row) => row.kind === 'break'),
  )
}

export type SlotQuery = {
  service: SlotService
  professionals: SlotProfessional[]
  blocked: Interval[]
  busy: BusyRange[]
  /** Instants (ms): slots starting in [from, to). */
  from: number
  to: number
  now: number
  /** Staff may book inside minimum notice, in the past and beyond the horizon; the public page may not. */
  enforceNotice: boolean
}

/**
 * Every free slot, computed on read: for each professional and each local date of the range, the
 * working plan (or that date's exception) less its breaks, turned into instants in the
 * professional's zone, stepped by the service's slot interval; less business-wide blocked
 * periods, the minimum notice and the booking horizon, and less every live appointment whose
 * blocked range (with both services' buffers) would overlap. Stepping happens on instants, so a
 * plan crossing a DST change has the real number of hours that night. A group class keeps a slot
 * while seats remain.
 */
export function computeSlots(query: SlotQuery): Slot[] {
  const { service } = query
  const duration = service.durationMinutes * MINUTE
  const step = service.slotIntervalMinutes * MINUTE
  const before = service.bufferBeforeMinutes * MINUTE
  const after = service.bufferAfterMinutes * MINUTE
  // Staff may also record a past appointment (a walk-in entered afterwards).
  const earliest = query.enforceNotice
    ? query.now + service.minNoticeMinutes * MINUTE
    : Number.NEGATIVE_INFINITY
  const latest = query.enforceNotice ? query.now + service.horizonDays * DAY : Number.POSITIVE_INFINITY
  const slots: Slot[] = []
  for (const professional of query.professionals) {
    const busy = query.busy.filter((range) => range.professionalId === professional.id)
    const firstDate = zonedDate(new Date(query.from), professional.timeZone)
    const lastDate = zonedDate(new Date(query.to), professional.timeZone)
    for (let date = firstDate; date <= lastDate; date = addDays(date, 1)) {
      for (const interval of workingMinutes(professional, date)) {
        const open = zonedInstant(date, interval.start, professional.timeZone).getTime()
        const close = zonedInstant(date, interval.end, professional.timeZone).getTime()
        for (let start = open; start + duration <= close; start += step) {
          if (start < query.from || start >= query.to || start < earliest || start > latest) continue
          const end = start + duration
          if (query.blocked.some((b) => b.start < end && b.end > start)) continue
          const key = service.capacity > 1 ? groupSlotKey(service.id, new Date(start)) : null
          const taken = busy.filter((range) => range.from < end + after && range.until > start - before)
          if (taken.some((range) => range.slotKey !== key)) continue
          const seatsLeft = service.capacity - taken.length
          if (seatsLeft <= 0) continue
          slots.push({
            startsAt: new Date(start),
            endsAt: new Date(end),
            professionalId: professional.id,
            seatsLeft,
          })
        }
      }
    }
  }
  return slots.sort(
    (a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.professionalId.localeCompare(b.professionalId),
  )
}

type ServiceRow = {
  id: string
  name: string
  duration_minutes: number
  buffer_before_minutes: number
  buffer_after_minutes: number
  capacity: number
  min_notice_minutes: number
  horizon_days: number
  slot_interval_minutes: number
  price_cents: number
  currency: string
  cancel_cutoff_minutes: number
  active: boolean
}

export type LoadedService = SlotService & {
  name: string
  priceCents: number
  currency: string
  cancelCutoffMinutes: number
  active: boolean
}

export async function loadService(
  tx: Tx,
  tenantId: string,
  serviceId: string,
): Promise<LoadedService | null> {
  const [row] = await tx
    .execute<ServiceRow>(sql`
      select id, name, duration_minutes, buffer_before_minutes, buffer_after_minutes, capacity,
        min_notice_minutes, horizon_days, slot_interval_minutes, price_cents, currency,
        cancel_cutoff_minutes, active
      from scheduling_services where tenant_id = ${tenantId} and id = ${serviceId}`)
    .then((r) => r.rows)
  if (!row) return null
  return {
    id: row.id,
    name: row.name,
    durationMinutes: row.duration_minutes,
    bufferBeforeMinutes: row.buffer_before_minutes,
    bufferAfterMinutes: row.buffer_after_minutes,
    capacity: row.capacity,
    minNoticeMinutes: row.min_notice_minutes,
    horizonDays: row.horizon_days,
    slotIntervalMinutes: row.slot_interval_minutes,
    priceCents: row.price_cents,
    currency: row.currency,
    cancelCutoffMinutes: row.cancel_cutoff_minutes,
    active: row.active,
  }
}

/**
 * The active professionals performing the service (one when `professionalId` is given), with
 * their plans and the exceptions of the dates around [from, to), in two statements.
 */
export async function loadProfessionals(
  tx: Tx,
  tenantId: string,
  serviceId: string,
  professionalId: string | undefined,
  range: { from: number; to: number },
): Promise<SlotProfessional[]> {
  const rows = await tx
    .execute<{ id: string; name: string; time_zone: string; plan: PlanRow[] | null }>(sql`
      select p.id, p.name, p.time_zone,
        (select json_agg(json_build_object('weekday', i.weekday, 'kind', i.kind, 'start', i.start_minute, 'end', i.end_minute))
         from scheduling_plan_intervals i where i.professional_id = p.id and i.tenant_id = p.tenant_id) as plan
      from scheduling_professionals p
      join scheduling_service_professionals sp on sp.professional_id = p.id and sp.tenant_id = p.tenant_id
      where p.tenant_id = ${tenantId} and sp.service_id = ${serviceId} and p.active
        ${professionalId ? sql`and p.id = ${professionalId}` : sql``}
      order by p.name, p.id`)
    .then((r) => r.rows)
  if (rows.length === 0) return []
  // A day on either side: a local date of any zone overlaps the UTC range.
  const firstDate = addDays(new Date(range.from).toISOString().slice(0, 10), -1)
  const lastDate = addDays(new Date(range.to).toISOString().slice(0, 10), 1)
  const byProfessional = await tx
    .execute<ExceptionRow & { professional_id: string }>(sql`
      select professional_id, date::text as date, kind, start_minute as start, end_minute as end
      from scheduling_exceptions
      where tenant_id = ${tenantId} and professional_id = any(${textArray(rows.map((row) => row.id))})
        and date between ${firstDate}::date and ${lastDate}::date`)
    .then((r) => r.rows)
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    timeZone: row.time_zone,
    plan: row.plan ?? [],
    exceptions: new Map(
      byProfessional.filter((e) => e.professional_id === row.id).map((e) => [e.date, e] as const),
    ),
  }))
}

/** Live appointments of the professionals around [from, to): pending holds count until they expire. */
export async function loadBusy(
  tx: Tx,
  tenantId: string,
  professionalIds: string[],
  range: { from: number; to: number },
  now: Date,
): Promise<BusyRange[]> {
  if (professionalIds.length === 0) return []
  const rows = await tx
    .execute<{ professional_id: string; blocked_from: string; blocked_until: string; slot_key: string }>(sql`
      select professional_id, blocked_from, blocked_until, slot_key from appointments
      where tenant_id = ${tenantId} and professional_id = any(${textArray(professionalIds)})
        and status in ('pending', 'confirmed')
        and (hold_expires_at is null or hold_expires_at > ${now})
        and blocked_until > ${new Date(range.from - DAY)} and blocked_from < ${new Date(range.to + DAY)}`)
    .then((r) => r.rows)
  return rows.map((row) => ({
    professionalId: row.professional_id,
    from: new Date(row.blocked_from).getTime(),
    until: new Date(row.blocked_until).getTime(),
    slotKey: row.slot_key,
  }))
}

export async function loadBlocked(tx: Tx, tenantId: string, range: { from: number; to: number }) {
  const rows = await tx
    .execute<{ starts_at: string; ends_at: string }>(sql`
      select starts_at, ends_at from scheduling_blocked_periods
      where tenant_id = ${tenantId} and ends_at > ${new Date(range.from)} and starts_at < ${new Date(range.to + DAY)}`)
    .then((r) => r.rows)
  return rows.map((row) => ({
    start: new Date(row.starts_at).getTime(),
    end: new Date(row.ends_at).getTime(),
  }))
}

export type AvailabilityInput = {
  serviceId: string
  professionalId?: string
  /** Local dates (YYYY-MM-DD) in `timeZone`, inclusive. */
  from: string
  to: string
  /** The visitor's zone: the range's dates and the slots' labels are in it. */
  timeZone: string
}

export type Availability = {
  service: LoadedService
  professionals: { id: string; name: string; timeZone: string }[]
  timeZone: string
  slots: (Slot & { local: string })[]
}

/**
 * Free slots of a service (for one professional or all who perform it) between two local dates
 * of the visitor's zone, as UTC instants with the visitor's wall-clock label. Shared by the API,
 * the portal and the public page (which enforces notice and horizon). Null for an unknown
 * service.
 */
export async function availabilityOf(
  tx: Tx,
  tenantId: string,
  input: AvailabilityInput,
  now: Date,
  options: { enforceNotice: boolean },
): Promise<Availability | null> {
  const service = await loadService(tx, tenantId, input.serviceId)
  if (!service) return null
  const range = {
    from: zonedInstant(input.from, 0, input.timeZone).getTime(),
    to: zonedInstant(addDays(input.to, 1), 0, input.timeZone).getTime(),
  }
  const professionals = service.active
    ? await loadProfessionals(tx, tenantId, service.id, input.professionalId, range)
    : []
  const ids = professionals.map((p) => p.id)
  const [busy, blocked] = await Promise.all([
    loadBusy(tx, tenantId, ids, range, now),
    loadBlocked(tx, tenantId, range),
  ])
  const slots = computeSlots({
    service,
    professionals,
    busy,
    blocked,
    ...range,
    now: now.getTime(),
    enforceNotice: options.enforceNotice,
  })
  return {
    service,
    professionals: professionals.map(({ id, name, timeZone }) => ({ id, name, timeZone })),
    timeZone: input.timeZone,
    slots: slots.map((slot) => ({ ...slot, local: zonedLabel(slot.startsAt, input.timeZone) })),
  }
}

/** `GET /api/v1/scheduling/availability`: staff see inside notice and beyond the horizon too. */
export async function readAvailability(ctx: ServiceContext, input: AvailabilityInput) {
  authorize(ctx.principal, 'scheduling.read')
  const found = await availabilityOf(ctx.tx, ctx.principal.tenantId, input, ctx.now, { enforceNotice: false })
  if (!found) throw notFound('service')
  return found
}

/**
 * The next free slots of the service after `after` (a week ahead at most), for a 409 SLOT_TAKEN:
 * what to offer the person whose slot was just taken.
 */
export async function nextFreeSlots(
  tx: Tx,
  tenantId: string,
  input: { serviceId: string; professionalId?: string; after: Date; timeZone: string },
  now: Date,
  options: { enforceNotice: boolean; limit?: number },
) {
  const from = zonedDate(input.after, input.timeZone)
  const found = await availabilityOf(tx, tenantId, { ...input, from, to: addDays(from, 7) }, now, options)
  return (found?.slots ?? []).filter((slot) => slot.startsAt > input.after).slice(0, options.limit ?? 3)
}
