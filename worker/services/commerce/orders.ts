import { and, asc, desc, eq, inArray } from 'drizzle-orm'
import {
  commerceDeliveries,
  commerceOrderEvents,
  commerceOrderItems,
  commerceOrders,
  commercePayments,
  type Fulfilment,
  ORDER_STATUSES,
  type OrderStatus,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import { fromService } from './storefront.ts'
import { moveOrder, shortCode, TRANSITIONS } from './transitions.ts'

const SUMMARY = {
  id: commerceOrders.id,
  storeId: commerceOrders.storeId,
  status: commerceOrders.status,
  fulfilment: commerceOrders.fulfilment,
  customerName: commerceOrders.customerName,
  totalCents: commerceOrders.totalCents,
  preorder: commerceOrders.preorder,
  createdAt: commerceOrders.createdAt,
  updatedAt: commerceOrders.updatedAt,
}

export type OrderQuery = {
  limit: number
  cursor?: string
  status?: OrderStatus
  /** Any of these statuses (the portal board reads its open columns in one query). */
  statuses?: readonly OrderStatus[]
  storeId?: string
}

/** The tenant's orders, newest first, filtered by status and store; one keyset page at a time. */
export async function listOrders(ctx: ServiceContext, input: OrderQuery) {
  authorize(ctx.principal, 'commerce.read')
  const rows = await ctx.tx
    .select({ ...SUMMARY, sortKey: sortKey(commerceOrders.createdAt) })
    .from(commerceOrders)
    .where(
      and(
        eq(commerceOrders.tenantId, ctx.principal.tenantId),
        input.status ? eq(commerceOrders.status, input.status) : undefined,
        input.statuses ? inArray(commerceOrders.status, [...input.statuses]) : undefined,
        input.storeId ? eq(commerceOrders.storeId, input.storeId) : undefined,
        afterCursor(byCreatedAt(commerceOrders, 'ord'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(commerceOrders.createdAt), desc(commerceOrders.id))
    .limit(input.limit + 1)
  const page = cutPage(rows, input.limit)
  return { ...page, data: page.data.map((row) => ({ ...row, code: shortCode(row.id) })) }
}

/** One order with its items, payment, delivery and status history. */
export async function getOrder(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'commerce.read')
  const tenantId = ctx.principal.tenantId
  const [order] = await ctx.tx
    .select({
      ...SUMMARY,
      customerId: commerceOrders.customerId,
      customerPhone: commerceOrders.customerPhone,
      customerEmail: commerceOrders.customerEmail,
      address: commerceOrders.address,
      subtotalCents: commerceOrders.subtotalCents,
      shippingCents: commerceOrders.shippingCents,
      notes: commerceOrders.notes,
      paymentDueAt: commerceOrders.paymentDueAt,
    })
    .from(commerceOrders)
    .where(and(eq(commerceOrders.id, id), eq(commerceOrders.tenantId, tenantId)))
  if (!order) throw notFound('order')
  const items = await ctx.tx
    .select({
      productId: commerceOrderItems.productId,
      name: commerceOrderItems.name,
      quantity: commerceOrderItems.quantity,
      unitPriceCents: commerceOrderItems.unitPriceCents,
      options: commerceOrderItems.options,
      lineTotalCents: commerceOrderItems.lineTotalCents,
    })
    .from(commerceOrderItems)
    .where(and(eq(commerceOrderItems.orderId, id), eq(commerceOrderItems.tenantId, tenantId)))
    .orderBy(asc(commerceOrderItems.id))
  const [payment] = await ctx.tx
    .select({
      id: commercePayments.id,
      provider: commercePayments.provider,
      method: commercePayments.method,
      status: commercePayments.status,
      amountCents: commercePayments.amountCents,
      expiresAt: commercePayments.expiresAt,
    })
    .from(commercePayments)
    .where(and(eq(commercePayments.orderId, id), eq(commercePayments.tenantId, tenantId)))
  const [delivery] = await ctx.tx
    .select({ distanceKm: commerceDeliveries.distanceKm, feeCents: commerceDeliveries.feeCents })
    .from(commerceDeliveries)
    .where(and(eq(commerceDeliveries.orderId, id), eq(commerceDeliveries.tenantId, tenantId)))
  const history = await ctx.tx
    .select({
      from: commerceOrderEvents.fromStatus,
      to: commerceOrderEvents.toStatus,
      actorType: commerceOrderEvents.actorType,
      actorId: commerceOrderEvents.actorId,
      reason: commerceOrderEvents.reason,
      at: commerceOrderEvents.createdAt,
    })
    .from(commerceOrderEvents)
    .where(and(eq(commerceOrderEvents.orderId, id), eq(commerceOrderEvents.tenantId, tenantId)))
    .orderBy(asc(commerceOrderEvents.createdAt), asc(commerceOrderEvents.id))
  return {
    ...order,
    code: shortCode(order.id),
    items,
    payment: payment ?? null,
    delivery: delivery ?? null,
    history,
  }
}

/** The statuses the team may move an order to; `paid` and `refunded` come from the payment provider. */
export const STAFF_TARGETS = ORDER_STATUSES.filter(
  (status) => status !== 'paid' && status !== 'pending_payment' && status !== 'refunded',
)

/**
 * The moves the team may make from `status` for an order of this fulfilment (the board's buttons):
 * the allowed transitions the team owns, a delivery never "ready for pickup" and the reverse.
 */
export function staffMoves(status: OrderStatus, fulfilment: Fulfilment) {
  return TRANSITIONS[status].filter(
    (to): to is (typeof STAFF_TARGETS)[number] =>
      STAFF_TARGETS.some((target) => target === to) &&
      !(to === 'out_for_delivery' && fulfilment !== 'delivery') &&
      !(to === 'ready_for_pickup' && fulfilment !== 'pickup'),
  )
}

/** The team moves an order (accept, prepare, dispatch, ready, deliver, cancel); see `moveOrder`. */
export async function transitionOrder(
  ctx: ServiceContext,
  id: string,
  input: { to: (typeof STAFF_TARGETS)[number]; reason?: string | null },
) {
  authorize(ctx.principal, 'commerce.fulfil')
  await moveOrder(fromService(ctx), id, input.to, { reason: input.reason ?? null })
  return getOrder(ctx, id)
}
