import { and, asc, eq, sql } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import {
  commerceShippingBands,
  commerceStores,
  type HoursException,
  type OpeningHours,
  type StoreStatus,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'

export type StoreInput = {
  name: string
  status?: StoreStatus
  timezone?: string
  street: string
  city: string
  state: string
  cep: string
  latitude: number
  longitude: number
  openingHours?: OpeningHours
  hoursExceptions?: HoursException[]
  preorderWhenClosed?: boolean
  pickup?: boolean
  delivery?: boolean
  minimumOrderCents?: number
}

const storeExists = () => new ApiError(409, 'STORE_EXISTS', 'A store with this name already exists.')

async function bandsOf(ctx: ServiceContext, storeId: string) {
  return ctx.tx
    .select({
      id: commerceShippingBands.id,
      maxKm: commerceShippingBands.maxKm,
      priceCents: commerceShippingBands.priceCents,
    })
    .from(commerceShippingBands)
    .where(
      and(
        eq(commerceShippingBands.storeId, storeId),
        eq(commerceShippingBands.tenantId, ctx.principal.tenantId ?? ''),
      ),
    )
    .orderBy(asc(commerceShippingBands.maxKm))
}

export async function listStores(ctx: ServiceContext) {
  authorize(ctx.principal, 'commerce.read')
  const rows = await ctx.tx
    .select()
    .from(commerceStores)
    .where(eq(commerceStores.tenantId, ctx.principal.tenantId))
    .orderBy(asc(commerceStores.name), asc(commerceStores.id))
  return { data: rows.map(({ tenantId: _, ...store }) => store) }
}

export async function getStore(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'commerce.read')
  const [row] = await ctx.tx
    .select()
    .from(commerceStores)
    .where(and(eq(commerceStores.id, id), eq(commerceStores.tenantId, ctx.principal.tenantId)))
  if (!row) throw notFound('store')
  const { tenantId: _, ...store } = row
  return { ...store, shippingBands: await bandsOf(ctx, id) }
}

/**
 * A new store, within the plan's `stores_limit`: the count and the insert run under a lock on the
 * tenant's row, so two concurrent creations cannot both pass a limit of one more.
 */
export async function createStore(ctx: ServiceContext, input: StoreInput) {
  authorize(ctx.principal, 'commerce.manage')
  const tenantId = ctx.principal.tenantId
  // The lock first, in a statement of its own: a count in the same statement would be read from
  // the snapshot taken before waiting for the lock (READ COMMITTED re-checks only the locked row),
  // and every waiter would count the stores as they were before the first one committed.
  await ctx.tx.execute(sql`select 1 from tenants where id = ${tenantId} for update`)
  const [limit] = await ctx.tx
    .execute<{ stores_limit: number; stores: number }>(sql`
      select p.stores_limit, (select count(*)::int from commerce_stores s where s.tenant_id = ${tenantId}) as stores
      from auth_entitlement(${tenantId}) e join licenses l on l.id = e.license_id join plans p on p.id = l.plan_id`)
    .then((r) => r.rows)
  if (!limit || limit.stores >= limit.stores_limit)
    throw new ApiError(409, 'STORES_LIMIT_REACHED', 'Your plan allows no more stores.')
  const id = newId('sto')
  await ctx.tx
    .insert(commerceStores)
    .values({ id, tenantId, ...input })
    .catch(onUniqueViolation({ commerce_stores_name_key: storeExists }))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'commerce.store_created',
    tenantId,
    target: { type: 'store', id },
    data: { name: input.name },
  })
  return getStore(ctx, id)
}

export async function updateStore(ctx: ServiceContext, id: string, input: Partial<StoreInput>) {
  authorize(ctx.principal, 'commerce.manage')
  await getStore(ctx, id)
  await ctx.tx
    .update(commerceStores)
    .set({ ...input, updatedAt: ctx.now })
    .where(and(eq(commerceStores.id, id), eq(commerceStores.tenantId, ctx.principal.tenantId)))
    .catch(onUniqueViolation({ commerce_stores_name_key: storeExists }))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'commerce.store_updated',
    tenantId: ctx.principal.tenantId,
    target: { type: 'store', id },
    data: { changed: Object.keys(input) },
  })
  return getStore(ctx, id)
}

/** Replaces the store's delivery bands (distance → price) with `bands`. */
export async function replaceShippingBands(
  ctx: ServiceContext,
  id: string,
  bands: { maxKm: number; priceCents: number }[],
) {
  authorize(ctx.principal, 'commerce.manage')
  await getStore(ctx, id)
  const tenantId = ctx.principal.tenantId
  await ctx.tx
    .delete(commerceShippingBands)
    .where(and(eq(commerceShippingBands.storeId, id), eq(commerceShippingBands.tenantId, tenantId)))
  if (bands.length > 0)
    await ctx.tx
      .insert(commerceShippingBands)
      .values(bands.map((band) => ({ id: newId('shb'), tenantId, storeId: id, ...band })))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'commerce.shipping_bands_replaced',
    tenantId,
    target: { type: 'store', id },
    data: { bands: bands.length },
  })
  return getStore(ctx, id)
}
