import { and, asc, eq } from 'drizzle-orm'
import {
  commerceCategories,
  commerceOrderEvents,
  commerceOrderItems,
  commerceOrders,
  commercePayments,
  commerceProducts,
  commerceStock,
  commerceStores,
} from '../../../db/schema/index.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { notFound } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { type CartLineInput, priceLines } from './cart.ts'
import { openAt } from './hours.ts'
import { optionGroupsOf, presentGroups } from './options.ts'
import { type CommerceScope, runStorefront } from './storefront.ts'
import { verifyTrackingToken } from './tracking.ts'
import { shortCode } from './transitions.ts'

/**
 * Names in the order a Brazilian reader expects ("Água" with the A's, "açaí" before "Bolo", "Item 2"
 * before "Item 10"): the database's collation is byte order in some deployments, so the list is
 * sorted here, the same for the storefront page and the public API.
 */
const byName = new Intl.Collator('pt-BR', { sensitivity: 'base', numeric: true })

/** The tenant's stores as a storefront shows them: no coordinates beyond the city, open now or not. */
export async function listPublicStores(scope: CommerceScope) {
  const rows = await scope.tx
    .select()
    .from(commerceStores)
    .where(eq(commerceStores.tenantId, scope.tenantId))
    .orderBy(asc(commerceStores.name))
  rows.sort((a, b) => byName.compare(a.name, b.name))
  return rows.map((store) => ({
    id: store.id,
    name: store.name,
    street: store.street,
    city: store.city,
    state: store.state,
    status: store.status,
    openNow: store.status === 'open' && openAt(store, scope.now),
    preorderWhenClosed: store.preorderWhenClosed,
    pickup: store.pickup,
    delivery: store.delivery,
    minimumOrderCents: store.minimumOrderCents,
    openingHours: store.openingHours,
  }))
}

/** What one store sells now: active products it has available, with their option groups and stock state. */
export async function publicCatalog(scope: CommerceScope, storeId: string) {
  const { tx, tenantId } = scope
  const [store] = await tx
    .select({ id: commerceStores.id })
    .from(commerceStores)
    .where(and(eq(commerceStores.id, storeId), eq(commerceStores.tenantId, tenantId)))
  if (!store) throw notFound('store')
  const products = await tx
    .select({
      id: commerceProducts.id,
      name: commerceProducts.name,
      description: commerceProducts.description,
      priceCents: commerceProducts.priceCents,
      categoryId: commerceProducts.categoryId,
      onHand: commerceStock.onHand,
      reserved: commerceStock.reserved,
    })
    .from(commerceProducts)
    .innerJoin(
      commerceStock,
      and(eq(commerceStock.productId, commerceProducts.id), eq(commerceStock.storeId, storeId)),
    )
    .where(
      and(
        eq(commerceProducts.tenantId, tenantId),
        eq(commerceProducts.active, true),
        eq(commerceStock.available, true),
      ),
    )
    .orderBy(asc(commerceProducts.name))
  const ids = products.map((p) => p.id)
  const found = await optionGroupsOf(tx, tenantId, ids)
  const categories = await tx
    .select({
      id: commerceCategories.id,
      name: commerceCategories.name,
      position: commerceCategories.position,
    })
    .from(commerceCategories)
    .where(eq(commerceCategories.tenantId, tenantId))
    .orderBy(asc(commerceCategories.position), asc(commerceCategories.name))
  products.sort((a, b) => byName.compare(a.name, b.name))
  // Categories keep the tenant's order; equal positions read alphabetically too.
  categories.sort((a, b) => a.position - b.position || byName.compare(a.name, b.name))
  return {
    storeId,
    categories: categories.map(({ position: _, ...category }) => category),
    products: products.map(({ onHand, reserved, ...product }) => ({
      ...product,
      inStock: onHand - reserved > 0,
      optionGroups: presentGroups(found, product.id),
    })),
  }
}

/**
 * An order as its tracking link shows it: status and history, items and amounts, the PIX code
 * while unpaid; nothing of the customer but their first name. A wrong token, or a token of another
 * order, is 404 like an unknown order.
 */
export async function trackOrder(
  services: Services,
  meta: RequestMeta,
  slug: string,
  orderId: string,
  token: string,
) {
  if (!(await verifyTrackingToken(services.config, orderId, token))) throw notFound('order')
  return runStorefront(services, meta, slug, async ({ tx, tenantId }) => {
    const [order] = await tx
      .select({
        id: commerceOrders.id,
        status: commerceOrders.status,
        fulfilment: commerceOrders.fulfilment,
        customerName: commerceOrders.customerName,
        subtotalCents: commerceOrders.subtotalCents,
        shippingCents: commerceOrders.shippingCents,
        totalCents: commerceOrders.totalCents,
        preorder: commerceOrders.preorder,
        paymentDueAt: commerceOrders.paymentDueAt,
        createdAt: commerceOrders.createdAt,
        storeName: commerceStores.name,
        paymentStatus: commercePayments.status,
        pixCode: commercePayments.pixCode,
      })
      .from(commerceOrders)
      .innerJoin(commerceStores, eq(commerceStores.id, commerceOrders.storeId))
      .leftJoin(commercePayments, eq(commercePayments.orderId, commerceOrders.id))
      .where(and(eq(commerceOrders.id, orderId), eq(commerceOrders.tenantId, tenantId)))
    if (!order) throw notFound('order')
    const items = await tx
      .select({
        name: commerceOrderItems.name,
        quantity: commerceOrderItems.quantity,
        options: commerceOrderItems.options,
        lineTotalCents: commerceOrderItems.lineTotalCents,
      })
      .from(commerceOrderItems)
      .where(and(eq(commerceOrderItems.orderId, orderId), eq(commerceOrderItems.tenantId, tenantId)))
      .orderBy(asc(commerceOrderItems.id))
    const history = await tx
      .select({ status: commerceOrderEvents.toStatus, at: commerceOrderEvents.createdAt })
      .from(commerceOrderEvents)
      .where(and(eq(commerceOrderEvents.orderId, orderId), eq(commerceOrderEvents.tenantId, tenantId)))
      .orderBy(asc(commerceOrderEvents.createdAt), asc(commerceOrderEvents.id))
    const { customerName, pixCode, paymentStatus, ...rest } = order
    return {
      ...rest,
      code: shortCode(order.id),
      customerFirstName: customerName.split(' ')[0] ?? '',
      payment: {
        status: paymentStatus,
        pixCode: order.status === 'pending_payment' ? pixCode : null,
      },
      items: items.map((item) => ({ ...item, options: item.options.map((o) => o.name) })),
      history,
    }
  })
}

export const publicStores = (services: Services, meta: RequestMeta, slug: string) =>
  runStorefront(services, meta, slug, listPublicStores)
export const publicCatalogOf = (services: Services, meta: RequestMeta, slug: string, storeId: string) =>
  runStorefront(services, meta, slug, (scope) => publicCatalog(scope, storeId))
/** A storefront cart's lines priced as the checkout would (the cart page's view of them). */
export const publicCartLines = (
  services: Services,
  meta: RequestMeta,
  slug: string,
  storeId: string,
  items: CartLineInput[],
) => runStorefront(services, meta, slug, (scope) => priceLines(scope, storeId, items))
