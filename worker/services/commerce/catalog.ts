import { and, asc, eq, sql } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import {
  commerceOptionGroups,
  commerceOptions,
  commerceProducts,
  commerceStock,
  type StockMovementKind,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage } from '../keyset.ts'
import { optionGroupsOf, presentGroups } from './options.ts'
import { recordMovement } from './stock.ts'
import { fromService } from './storefront.ts'

export type ProductInput = {
  name: string
  description?: string | null
  priceCents: number
  active?: boolean
  optionGroups?: {
    name: string
    minChoices: number
    maxChoices: number
    options: { name: string; priceDeltaCents: number }[]
  }[]
}

export async function listProducts(ctx: ServiceContext, input: { limit: number; cursor?: string }) {
  authorize(ctx.principal, 'commerce.read')
  const rows = await ctx.tx
    .select({
      id: commerceProducts.id,
      name: commerceProducts.name,
      description: commerceProducts.description,
      priceCents: commerceProducts.priceCents,
      active: commerceProducts.active,
      categoryId: commerceProducts.categoryId,
    })
    .from(commerceProducts)
    .where(
      and(
        eq(commerceProducts.tenantId, ctx.principal.tenantId),
        afterCursor([key.id(commerceProducts.id, 'prd')], input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(commerceProducts.id))
    .limit(input.limit + 1)
  return nextPage(rows, input.limit, (row) => [row.id])
}

export async function getProduct(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'commerce.read')
  const tenantId = ctx.principal.tenantId
  const [product] = await ctx.tx
    .select({
      id: commerceProducts.id,
      name: commerceProducts.name,
      description: commerceProducts.description,
      priceCents: commerceProducts.priceCents,
      active: commerceProducts.active,
      categoryId: commerceProducts.categoryId,
    })
    .from(commerceProducts)
    .where(and(eq(commerceProducts.id, id), eq(commerceProducts.tenantId, tenantId)))
  if (!product) throw notFound('product')
  const found = await optionGroupsOf(ctx.tx, tenantId, [id])
  const stock = await ctx.tx
    .select({
      storeId: commerceStock.storeId,
      available: commerceStock.available,
      onHand: commerceStock.onHand,
      reserved: commerceStock.reserved,
    })
    .from(commerceStock)
    .where(and(eq(commerceStock.productId, id), eq(commerceStock.tenantId, tenantId)))
  return {
    ...product,
    optionGroups: presentGroups(found, id),
    stock,
  }
}

/** A product with its option groups (each group's min/max must make sense: the table refuses otherwise). */
export async function createProduct(ctx: ServiceContext, input: ProductInput) {
  authorize(ctx.principal, 'commerce.manage')
  const tenantId = ctx.principal.tenantId
  const id = newId('prd')
  await ctx.tx.insert(commerceProducts).values({
    id,
    tenantId,
    name: input.name,
    description: input.description ?? null,
    priceCents: input.priceCents,
    active: input.active ?? true,
  })
  for (const [position, group] of (input.optionGroups ?? []).entries()) {
    if (group.minChoices > group.maxChoices || group.minChoices > group.options.length)
      throw new ApiError(400, 'VALIDATION_FAILED', 'The request has invalid fields.', {
        fields: [{ path: `json.option_groups.${position}.min_choices`, message: 'more than can be chosen' }],
      })
    const groupId = newId('opg')
    await ctx.tx.insert(commerceOptionGroups).values({
      id: groupId,
      tenantId,
      productId: id,
      name: group.name,
      minChoices: group.minChoices,
      maxChoices: group.maxChoices,
      position,
    })
    await ctx.tx.insert(commerceOptions).values(
      group.options.map((option, index) => ({
        id: newId('opt'),
        tenantId,
        groupId,
        name: option.name,
        priceDeltaCents: option.priceDeltaCents,
        position: index,
      })),
    )
  }
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'commerce.product_created',
    tenantId,
    target: { type: 'product', id },
    data: { name: input.name, price_cents: input.priceCents },
  })
  return getProduct(ctx, id)
}

export async function updateProduct(
  ctx: ServiceContext,
  id: string,
  input: Partial<Omit<ProductInput, 'optionGroups'>>,
) {
  authorize(ctx.principal, 'commerce.manage')
  await getProduct(ctx, id)
  await ctx.tx
    .update(commerceProducts)
    .set({ ...input, updatedAt: ctx.now })
    .where(and(eq(commerceProducts.id, id), eq(commerceProducts.tenantId, ctx.principal.tenantId)))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'commerce.product_updated',
    tenantId: ctx.principal.tenantId,
    target: { type: 'product', id },
    data: { changed: Object.keys(input) },
  })
  return getProduct(ctx, id)
}

export type StockAdjustment = {
  storeId: string
  productId: string
  /** Change of `on_hand`: positive for a restock, either sign for an adjustment (a count, a loss). */
  delta: number
  kind: Extract<StockMovementKind, 'adjustment' | 'restock'>
  reason: string
  available?: boolean
}

/**
 * Changes a product's stock in a store by `delta` (creating the row the first time), recorded as
 * a movement with who and why. One conditional statement: the shelf can never go below what
 * unpaid orders hold (409 STOCK_BELOW_RESERVED), whatever checkouts run meanwhile.
 */
export async function adjustStock(ctx: ServiceContext, input: StockAdjustment) {
  authorize(ctx.principal, 'commerce.manage')
  const tenantId = ctx.principal.tenantId
  const [known] = await ctx.tx
    .execute<{ store: boolean; product: boolean }>(sql`
    select exists (select 1 from commerce_stores where id = ${input.storeId} and tenant_id = ${tenantId}) as store,
      exists (select 1 from commerce_products where id = ${input.productId} and tenant_id = ${tenantId}) as product`)
    .then((r) => r.rows)
  if (!known?.store) throw invalidField('json.store_id', 'no such store', 'The store does not exist.')
  if (!known.product) throw invalidField('json.product_id', 'no such product', 'The product does not exist.')
  if (input.kind === 'restock' && input.delta <= 0)
    throw new ApiError(400, 'VALIDATION_FAILED', 'The request has invalid fields.', {
      fields: [{ path: 'json.delta', message: 'a restock adds units' }],
    })
  const [row] = await ctx.tx
    .execute<{ on_hand: number; reserved: number; available: boolean }>(sql`
      insert into commerce_stock as s (tenant_id, store_id, product_id, on_hand, available)
      values (${tenantId}, ${input.storeId}, ${input.productId}, greatest(${input.delta}, 0), ${input.available ?? true})
      on conflict (store_id, product_id) do update
        set on_hand = s.on_hand + ${input.delta}, available = coalesce(${input.available ?? null}::boolean, s.available),
          updated_at = now()
        where s.on_hand + ${input.delta} >= s.reserved
      returning on_hand, reserved, available`)
    .then((r) => r.rows)
  if (!row)
    throw new ApiError(409, 'STOCK_BELOW_RESERVED', 'The stock cannot go below the units unpaid orders hold.')
  if (input.delta !== 0)
    await recordMovement(fromService(ctx), input.storeId, input.productId, input.kind, input.delta, {
      reason: input.reason,
    })
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'commerce.stock_adjusted',
    tenantId,
    target: { type: 'product', id: input.productId },
    data: { store_id: input.storeId, kind: input.kind, delta: input.delta, reason: input.reason },
  })
  return {
    storeId: input.storeId,
    productId: input.productId,
    onHand: row.on_hand,
    reserved: row.reserved,
    available: row.available,
  }
}
