import { and, asc, eq, inArray } from 'drizzle-orm'
import {
  commerceProducts,
  commerceShippingBands,
  commerceStock,
  commerceStores,
  type Fulfilment,
  type OrderItemOption,
} from '../../../db/schema/index.ts'
import { ApiError, notFound } from '../../errors.ts'
import { openAt } from './hours.ts'
import { optionGroupsOf } from './options.ts'
import type { CommerceScope } from './storefront.ts'

export type CartLineInput = { productId: string; quantity: number; optionIds: string[] }
export type Coordinates = { latitude: number; longitude: number }
export type CartInput = {
  storeId: string
  fulfilment: Fulfilment
  items: CartLineInput[]
  /** Where a delivery goes; needed for `delivery`. */
  destination?: Coordinates
}

export type PricedLine = {
  productId: string
  name: string
  quantity: number
  unitPriceCents: number
  options: OrderItemOption[]
  lineTotalCents: number
}
export type Warning = { code: 'preorder' | 'out_of_stock'; productId?: string }

export type Quote = {
  store: typeof commerceStores.$inferSelect
  lines: PricedLine[]
  subtotalCents: number
  shippingCents: number
  totalCents: number
  distanceKm: number | null
  preorder: boolean
  warnings: Warning[]
}

const EARTH_RADIUS_KM = 6371.0088

/** Great-circle distance (Haversine) in km: what the bands are priced on. */
export function haversineKm(a: Coordinates, b: Coordinates): number {
  const rad = (deg: number) => (deg * Math.PI) / 180
  const dLat = rad(b.latitude - a.latitude)
  const dLon = rad(b.longitude - a.longitude)
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)))
}

const unavailable = (productId: string) =>
  new ApiError(422, 'PRODUCT_UNAVAILABLE', 'A product in the cart is not sold by this store now.', {
    details: { product_id: productId },
  })

/**
 * The store's delivery fee to `destination`: the cheapest band whose radius covers the distance.
 * 422 OUT_OF_RANGE past the last band (or with no bands).
 */
export async function quoteShipping(scope: CommerceScope, storeId: string, destination: Coordinates) {
  const [store] = await scope.tx
    .select()
    .from(commerceStores)
    .where(and(eq(commerceStores.id, storeId), eq(commerceStores.tenantId, scope.tenantId)))
  if (!store) throw notFound('store')
  return shippingFor(scope, store, destination)
}

async function shippingFor(
  scope: CommerceScope,
  store: typeof commerceStores.$inferSelect,
  destination: Coordinates,
): Promise<{ distanceKm: number; feeCents: number }> {
  if (!store.delivery)
    throw new ApiError(422, 'FULFILMENT_UNAVAILABLE', 'This store does not deliver; choose pickup.')
  const distanceKm = Math.round(haversineKm(store, destination) * 100) / 100
  const bands = await scope.tx
    .select({ maxKm: commerceShippingBands.maxKm, priceCents: commerceShippingBands.priceCents })
    .from(commerceShippingBands)
    .where(
      and(eq(commerceShippingBands.storeId, store.id), eq(commerceShippingBands.tenantId, scope.tenantId)),
    )
    .orderBy(asc(commerceShippingBands.maxKm))
  const band = bands.find((b) => distanceKm <= b.maxKm)
  if (!band) {
    throw new ApiError(422, 'OUT_OF_RANGE', 'This address is outside the store’s delivery area.', {
      details: { distance_km: distanceKm, max_km: bands.at(-1)?.maxKm ?? 0 },
    })
  }
  return { distanceKm, feeCents: band.priceCents }
}

/**
 * Prices a cart from what the database holds now, never from the client: the store must sell
 * (paused stores refuse; closed ones take pre-orders only when they allow them), each product
 * must be active and available in that store, options must belong to it within each group's
 * min/max, the subtotal must reach the store's minimum, and a delivery must be in range. Reads
 * only: the preview is this, and the checkout starts with it. Stock is only a warning here; the
 * checkout's reservation is what decides.
 */
export async function priceCart(scope: CommerceScope, input: CartInput): Promise<Quote> {
  const { tx, tenantId } = scope
  const [store] = await tx
    .select()
    .from(commerceStores)
    .where(and(eq(commerceStores.id, input.storeId), eq(commerceStores.tenantId, tenantId)))
  if (!store) throw notFound('store')
  if (store.status === 'paused')
    throw new ApiError(422, 'STORE_PAUSED', 'This store is not taking orders at the moment.')
  const open = store.status === 'open' && openAt(store, scope.now)
  if (!open && !store.preorderWhenClosed)
    throw new ApiError(422, 'STORE_CLOSED', 'This store is closed now and does not take pre-orders.')
  if (input.fulfilment === 'pickup' && !store.pickup)
    throw new ApiError(422, 'FULFILMENT_UNAVAILABLE', 'This store does not offer pickup; choose delivery.')

  const { lines, warnings } = await priceLines(scope, store.id, input.items)
  const subtotalCents = lines.reduce((sum, line) => sum + line.lineTotalCents, 0)
  if (subtotalCents < store.minimumOrderCents)
    throw new ApiError(422, 'MINIMUM_ORDER', 'The order is below this store’s minimum.', {
      details: { minimum_order_cents: store.minimumOrderCents, subtotal_cents: subtotalCents },
    })
  let shipping = { distanceKm: null as number | null, feeCents: 0 }
  if (input.fulfilment === 'delivery') {
    if (!input.destination)
      throw new ApiError(400, 'VALIDATION_FAILED', 'A delivery needs an address.', {
        fields: [{ path: 'json.address', message: 'required for delivery' }],
      })
    shipping = await shippingFor(scope, store, input.destination)
  }
  if (!open) warnings.push({ code: 'preorder' })
  return {
    store,
    lines,
    subtotalCents,
    shippingCents: shipping.feeCents,
    totalCents: subtotalCents + shipping.feeCents,
    distanceKm: shipping.distanceKm,
    preorder: !open,
    warnings,
  }
}

/**
 * Prices lines from what the database holds now: each product active and available in the store,
 * options its own within each group's min/max. Stock is only a warning here. What the cart page
 * shows and what `priceCart` (the preview and the checkout) charges, from the same code.
 */
export async function priceLines(
  scope: CommerceScope,
  storeId: string,
  items: CartLineInput[],
): Promise<{ lines: PricedLine[]; warnings: Warning[] }> {
  const { tx, tenantId } = scope
  const productIds = [...new Set(items.map((item) => item.productId))]
  const products = await tx
    .select({
      id: commerceProducts.id,
      name: commerceProducts.name,
      priceCents: commerceProducts.priceCents,
      active: commerceProducts.active,
      available: commerceStock.available,
      onHand: commerceStock.onHand,
      reserved: commerceStock.reserved,
    })
    .from(commerceProducts)
    .innerJoin(
      commerceStock,
      and(eq(commerceStock.productId, commerceProducts.id), eq(commerceStock.storeId, storeId)),
    )
    .where(and(eq(commerceProducts.tenantId, tenantId), inArray(commerceProducts.id, productIds)))
  const { groups, options } = await optionGroupsOf(tx, tenantId, productIds)

  const warnings: Warning[] = []
  const wanted = new Map<string, number>()
  const lines = items.map((item): PricedLine => {
    const product = products.find((p) => p.id === item.productId)
    if (!product?.active || !product.available) throw unavailable(item.productId)
    const own = groups.filter((g) => g.productId === product.id)
    const chosen = item.optionIds.map((id) => {
      const option = options.find((o) => o.id === id)
      const group = option && own.find((g) => g.id === option.groupId)
      if (!option || !group) throw invalidOptions(product.id, 'an option that is not this product’s')
      return { option, group }
    })
    if (new Set(item.optionIds).size !== item.optionIds.length)
      throw invalidOptions(product.id, 'the same option twice')
    for (const group of own) {
      const count = chosen.filter((c) => c.group.id === group.id).length
      if (count < group.minChoices || count > group.maxChoices)
        throw invalidOptions(
          product.id,
          `${count} choices in “${group.name}”, which takes ${group.minChoices} to ${group.maxChoices}`,
        )
    }
    const picked = chosen.map(({ option, group }) => ({
      id: option.id,
      group: group.name,
      name: option.name,
      priceDeltaCents: option.priceDeltaCents,
    }))
    const unitPriceCents = product.priceCents + picked.reduce((sum, o) => sum + o.priceDeltaCents, 0)
    wanted.set(product.id, (wanted.get(product.id) ?? 0) + item.quantity)
    return {
      productId: product.id,
      name: product.name,
      quantity: item.quantity,
      unitPriceCents,
      options: picked,
      lineTotalCents: unitPriceCents * item.quantity,
    }
  })
  for (const [productId, quantity] of wanted) {
    const product = products.find((p) => p.id === productId)
    if (product && product.onHand - product.reserved < quantity)
      warnings.push({ code: 'out_of_stock', productId })
  }
  return { lines, warnings }
}

function invalidOptions(productId: string, problem: string) {
  return new ApiError(422, 'INVALID_OPTIONS', `The options chosen are not valid: ${problem}.`, {
    details: { product_id: productId },
  })
}
