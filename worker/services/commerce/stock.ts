import { and, eq, sql } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import { commerceReservations, commerceStock, type StockMovementKind } from '../../../db/schema/index.ts'
import { ApiError } from '../../errors.ts'
import type { CommerceScope } from './storefront.ts'

export type Wanted = { productId: string; name: string; quantity: number }

/**
 * Holds `wanted` for the order until `expiresAt`: one conditional UPDATE per product, in product
 * id order, each taking the units only if `on_hand - reserved` still covers them. Postgres decides,
 * not this code: concurrent checkouts of the last units queue on the row lock and re-check the
 * condition after the winner commits, so they get no row back instead of a negative stock (and the
 * CHECK on the table would refuse one anyway). The fixed order means two carts sharing products
 * always lock them in the same sequence: no deadlock. The first product short throws
 * 409 OUT_OF_STOCK naming it, and the caller's transaction rolls back everything it held.
 */
export async function reserveStock(
  scope: CommerceScope,
  orderId: string,
  storeId: string,
  wanted: Wanted[],
  expiresAt: Date,
): Promise<void> {
  const sorted = [...wanted].sort((a, b) => (a.productId < b.productId ? -1 : 1))
  for (const line of sorted) {
    const held = await scope.tx
      .update(commerceStock)
      .set({ reserved: sql`${commerceStock.reserved} + ${line.quantity}`, updatedAt: scope.now })
      .where(
        and(
          eq(commerceStock.tenantId, scope.tenantId),
          eq(commerceStock.storeId, storeId),
          eq(commerceStock.productId, line.productId),
          eq(commerceStock.available, true),
          sql`${commerceStock.onHand} - ${commerceStock.reserved} >= ${line.quantity}`,
        ),
      )
      .returning({ productId: commerceStock.productId })
    if (held.length === 0) {
      throw new ApiError(409, 'OUT_OF_STOCK', `Not enough “${line.name}” left for this order.`, {
        details: { product_id: line.productId, product_name: line.name },
      })
    }
  }
  await scope.tx.insert(commerceReservations).values(
    sorted.map((line) => ({
      id: newId('rsv'),
      tenantId: scope.tenantId,
      orderId,
      storeId,
      productId: line.productId,
      quantity: line.quantity,
      expiresAt,
    })),
  )
}

/**
 * Ends the order's held reservations: `released` gives the units back to sale (`reserved` down);
 * `sold` takes them out of the shelf too (`on_hand` and `reserved` down) and records a sale. Only
 * rows still `held` move, in the same statement that changes the stock, so a webhook and the
 * cron's expiry racing on one order cannot both apply. Returns the number of reservations moved.
 */
export async function settleReservations(
  scope: CommerceScope,
  orderId: string,
  outcome: 'sold' | 'released',
): Promise<number> {
  const onHand = outcome === 'sold' ? sql`s.on_hand - x.quantity` : sql`s.on_hand`
  const result = await scope.tx.execute<{ store_id: string; product_id: string; quantity: number }>(sql`
    with moved as (
      update commerce_reservations set status = ${outcome}
      where tenant_id = ${scope.tenantId} and order_id = ${orderId} and status = 'held'
      returning store_id, product_id, quantity
    ), x as (
      select store_id, product_id, sum(quantity)::int as quantity from moved group by store_id, product_id
    )
    update commerce_stock s set reserved = s.reserved - x.quantity, on_hand = ${onHand}, updated_at = now()
    from x where s.tenant_id = ${scope.tenantId} and s.store_id = x.store_id and s.product_id = x.product_id
    returning s.store_id, s.product_id, x.quantity`)
  if (outcome === 'sold')
    for (const row of result.rows)
      await recordMovement(scope, row.store_id, row.product_id, 'sale', -row.quantity, { orderId })
  return result.rows.length
}

/**
 * Puts the units of a cancelled sold order back on the shelf (a `cancellation` movement each).
 * Reservations that were sold are marked released so a second cancellation returns nothing.
 */
export async function returnSoldStock(scope: CommerceScope, orderId: string): Promise<void> {
  const result = await scope.tx.execute<{ store_id: string; product_id: string; quantity: number }>(sql`
    with moved as (
      update commerce_reservations set status = 'released'
      where tenant_id = ${scope.tenantId} and order_id = ${orderId} and status = 'sold'
      returning store_id, product_id, quantity
    ), x as (
      select store_id, product_id, sum(quantity)::int as quantity from moved group by store_id, product_id
    )
    update commerce_stock s set on_hand = s.on_hand + x.quantity, updated_at = now()
    from x where s.tenant_id = ${scope.tenantId} and s.store_id = x.store_id and s.product_id = x.product_id
    returning s.store_id, s.product_id, x.quantity`)
  for (const row of result.rows)
    await recordMovement(scope, row.store_id, row.product_id, 'cancellation', row.quantity, { orderId })
}

export async function recordMovement(
  scope: CommerceScope,
  storeId: string,
  productId: string,
  kind: StockMovementKind,
  delta: number,
  extra: { orderId?: string; reason?: string | null } = {},
): Promise<void> {
  await scope.tx.execute(sql`
    insert into commerce_stock_movements (id, tenant_id, store_id, product_id, kind, delta, order_id, actor_type, actor_id, reason)
    values (${newId('stm')}, ${scope.tenantId}, ${storeId}, ${productId}, ${kind}, ${delta}, ${extra.orderId ?? null},
      ${scope.actor.type}, ${scope.actor.id}, ${extra.reason ?? null})`)
}
