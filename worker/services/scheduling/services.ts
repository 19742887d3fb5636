import { and, asc, eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import {
  schedulingProfessionals,
  schedulingServiceProfessionals,
  schedulingServices,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage } from '../keyset.ts'
import { textArray } from './availability.ts'

const COLUMNS = {
  id: schedulingServices.id,
  name: schedulingServices.name,
  description: schedulingServices.description,
  durationMinutes: schedulingServices.durationMinutes,
  bufferBeforeMinutes: schedulingServices.bufferBeforeMinutes,
  bufferAfterMinutes: schedulingServices.bufferAfterMinutes,
  priceCents: schedulingServices.priceCents,
  currency: schedulingServices.currency,
  capacity: schedulingServices.capacity,
  minNoticeMinutes: schedulingServices.minNoticeMinutes,
  horizonDays: schedulingServices.horizonDays,
  slotIntervalMinutes: schedulingServices.slotIntervalMinutes,
  cancelCutoffMinutes: schedulingServices.cancelCutoffMinutes,
  active: schedulingServices.active,
  professionalIds: sql<string[]>`coalesce((select array_agg(sp.professional_id order by sp.professional_id)
    from scheduling_service_professionals sp where sp.service_id = ${schedulingServices.id}), '{}')`,
  createdAt: schedulingServices.createdAt,
  updatedAt: schedulingServices.updatedAt,
}

const serviceExists = () => new ApiError(409, 'SERVICE_EXISTS', 'A service with this name already exists.')

export type ServiceInput = {
  name: string
  description?: string | null
  durationMinutes: number
  bufferBeforeMinutes?: number
  bufferAfterMinutes?: number
  priceCents?: number
  currency?: string
  capacity?: number
  minNoticeMinutes?: number
  horizonDays?: number
  slotIntervalMinutes?: number
  cancelCutoffMinutes?: number
  active?: boolean
  professionalIds?: string[]
}

/** Replaces who performs the service; every id must be a professional of the tenant. */
async function setProfessionals(tx: Tx, tenantId: string, serviceId: string, ids: string[]) {
  const unique = [...new Set(ids)]
  if (unique.length > 0) {
    const found = await tx
      .select({ id: schedulingProfessionals.id })
      .from(schedulingProfessionals)
      .where(
        and(
          eq(schedulingProfessionals.tenantId, tenantId),
          sql`${schedulingProfessionals.id} = any(${textArray(unique)})`,
        ),
      )
    if (found.length !== unique.length)
      throw invalidField('json.professional_ids', 'no such professional', 'A professional does not exist.')
  }
  await tx
    .delete(schedulingServiceProfessionals)
    .where(
      and(
        eq(schedulingServiceProfessionals.tenantId, tenantId),
        eq(schedulingServiceProfessionals.serviceId, serviceId),
      ),
    )
  if (unique.length > 0)
    await tx
      .insert(schedulingServiceProfessionals)
      .values(unique.map((professionalId) => ({ tenantId, serviceId, professionalId })))
}

export async function createService(ctx: ServiceContext, input: ServiceInput) {
  authorize(ctx.principal, 'scheduling.manage')
  const tenantId = ctx.principal.tenantId
  const { professionalIds = [], ...fields } = input
  const id = newId('svc')
  await ctx.tx
    .insert(schedulingServices)
    .values({ id, tenantId, ...fields })
    .catch(onUniqueViolation({ scheduling_services_name_key: serviceExists }))
  await setProfessionals(ctx.tx, tenantId, id, professionalIds)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.service_created',
    tenantId,
    target: { type: 'service', id },
    data: { name: input.name, duration_minutes: input.durationMinutes, capacity: input.capacity ?? 1 },
  })
  return getService(ctx, id)
}

export async function listServices(ctx: ServiceContext, input: { limit: number; cursor?: string }) {
  authorize(ctx.principal, 'scheduling.read')
  const rows = await ctx.tx
    .select(COLUMNS)
    .from(schedulingServices)
    .where(
      and(
        eq(schedulingServices.tenantId, ctx.principal.tenantId),
        afterCursor([key.id(schedulingServices.id, 'svc')], input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(schedulingServices.id))
    .limit(input.limit + 1)
  return nextPage(rows, input.limit, (row) => [row.id])
}

export async function getService(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'scheduling.read')
  const [row] = await ctx.tx
    .select(COLUMNS)
    .from(schedulingServices)
    .where(and(eq(schedulingServices.id, id), eq(schedulingServices.tenantId, ctx.principal.tenantId)))
  if (!row) throw notFound('service')
  return row
}

/** Changes apply to new bookings; appointments already made keep their times and price. */
export async function updateService(ctx: ServiceContext, id: string, input: Partial<ServiceInput>) {
  authorize(ctx.principal, 'scheduling.manage')
  const tenantId = ctx.principal.tenantId
  await getService(ctx, id)
  const { professionalIds, ...fields } = input
  if (Object.keys(fields).length > 0)
    await ctx.tx
      .update(schedulingServices)
      .set({ ...fields, updatedAt: ctx.now })
      .where(and(eq(schedulingServices.id, id), eq(schedulingServices.tenantId, tenantId)))
      .catch(onUniqueViolation({ scheduling_services_name_key: serviceExists }))
  if (professionalIds) await setProfessionals(ctx.tx, tenantId, id, professionalIds)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.service_updated',
    tenantId,
    target: { type: 'service', id },
    data: { changed: Object.keys(input) },
  })
  return getService(ctx, id)
}

/**
 * A service with appointments cannot be deleted (their history needs it): it is deactivated
 * instead (`active: false`), which takes it off the public page. One without any is deleted.
 */
export async function deleteService(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'scheduling.manage')
  const tenantId = ctx.principal.tenantId
  const before = await getService(ctx, id)
  const [used] = await ctx.tx
    .execute<{ used: boolean }>(
      sql`select exists (select 1 from appointments where tenant_id = ${tenantId} and service_id = ${id}) as used`,
    )
    .then((r) => r.rows)
  if (used?.used) {
    await ctx.tx
      .update(schedulingServices)
      .set({ active: false, updatedAt: ctx.now })
      .where(and(eq(schedulingServices.id, id), eq(schedulingServices.tenantId, tenantId)))
  } else {
    await ctx.tx
      .delete(schedulingServices)
      .where(and(eq(schedulingServices.id, id), eq(schedulingServices.tenantId, tenantId)))
  }
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: used?.used ? 'scheduling.service_deactivated' : 'scheduling.service_deleted',
    tenantId,
    target: { type: 'service', id },
    data: { name: before.name },
  })
}
