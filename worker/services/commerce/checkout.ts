import { and, eq } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import {
  commerceDeliveries,
  commerceOrderItems,
  commerceOrders,
  commercePayments,
} from '../../../db/schema/index.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import { createPixPayment, PAYMENT_PROVIDER } from '../../connectors/payments/mercadopago.ts'
import { ApiError } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { upsertCustomer } from '../customers/customers.ts'
import { applyCampaigns, type DiscountedQuote, redeemDiscounts } from './campaigns/discounts.ts'
import { type CartInput, priceCart } from './cart.ts'
import { type AddressInput, type Destination, locateAddress } from './destination.ts'
import { publishCommerceEvent } from './events.ts'
import { reserveStock } from './stock.ts'
import { type CommerceScope, runStorefront } from './storefront.ts'
import { trackingToken } from './tracking.ts'
import { recordOrderEvent, shortCode } from './transitions.ts'

/** How long an unpaid order holds its stock (and its PIX charge stays payable). */
export const PAYMENT_WINDOW_MINUTES = 10

/** A cart as the customer sends it: a delivery names its address (CEP and number), never a point. */
export type CartRequest = Omit<CartInput, 'destination'> & {
  address?: AddressInput
  /** A coupon code the customer typed (campaigns: docs/commerce.md). */
  coupon?: string | null
}

export type CheckoutInput = CartRequest & {
  customer: { name: string; phone: string; email?: string | null }
  notes?: string | null
  /** What the customer was shown: a checkout whose recomputed amounts differ is refused. */
  expected: { shippingCents: number; totalCents: number }
}

/** The delivery's address and point from its CEP (no transaction open yet), or none for a pickup. */
async function destinationOf(services: Services, cart: CartRequest): Promise<Destination | undefined> {
  if (cart.fulfilment !== 'delivery') return undefined
  if (!cart.address)
    throw new ApiError(400, 'VALIDATION_FAILED', 'A delivery needs an address.', {
      fields: [{ path: 'json.address', message: 'required for delivery' }],
    })
  return locateAddress(services, cart.address)
}

/** The preview: the quote as the customer will be charged, with no side effect. */
export async function previewCheckout(
  services: Services,
  meta: RequestMeta,
  slug: string,
  input: CartRequest,
) {
  const { address: _, coupon, ...cart } = input
  const destination = await destinationOf(services, input)
  return runStorefront(services, meta, slug, async (scope) =>
    presentQuote(
      await applyCampaigns(scope, await priceCart(scope, { ...cart, destination }), coupon),
      destination,
    ),
  )
}

export function presentQuote(quote: DiscountedQuote, destination?: Destination) {
  return {
    storeId: quote.store.id,
    address: destination
      ? {
          street: destination.street,
          number: destination.number,
          complement: destination.complement,
          district: destination.district,
          city: destination.city,
          state: destination.state,
          cep: destination.cep,
        }
      : null,
    lines: quote.lines,
    subtotalCents: quote.subtotalCents,
    shippingCents: quote.shippingCents,
    discounts: quote.discounts.map(({ campaignId: _, ...discount }) => discount),
    discountCents: quote.discountCents,
    totalCents: quote.totalCents,
    distanceKm: quote.distanceKm,
    preorder: quote.preorder,
    warnings: quote.warnings,
  }
}

type Placed = {
  orderId: string
  status: string
  totalCents: number
  requestHash: string
  payment: { id: string; status: string; pixCode: string | null; expiresAt: Date | null }
}

/**
 * The checkout, in two short transactions with the payment call between them and no transaction
 * open during it (no lock is ever held across the network):
 *
 * 1. **Place** (one transaction): a retry of a key already used answers that order; otherwise
 *    the cart is priced from the database, the client's shipping and total must match (409
 *    PRICE_CHANGED with the recomputed amounts), the customer is upserted, the order, its items,
 *    delivery and a `creating` payment are written, and the stock is reserved last (one
 *    conditional UPDATE per product, fixed order): out of stock rolls all of it back (409
 *    OUT_OF_STOCK naming the product). Two requests with one key race on the unique index:
 *    the second waits for the first and answers its order.
 * 2. **Charge** (no transaction): the PIX charge at the provider, with the order id as its
 *    idempotency key, so a retry never charges twice.
 * 3. **Confirm** (a second transaction): the charge's id, PIX code and expiry are recorded on the
 *    payment, only while it is still `creating`.
 *
 * A failure at 2 leaves the order waiting with its stock held until it expires; the same request
 * retried with the same key continues from step 2.
 */
export async function checkout(
  services: Services,
  meta: RequestMeta,
  slug: string,
  input: CheckoutInput,
  idempotencyKey: string,
) {
  const requestHash = await sha256Hex(JSON.stringify(input))
  const destination = await destinationOf(services, input)
  let tenantId = ''
  const placed = await runStorefront(services, meta, slug, async (scope) => {
    tenantId = scope.tenantId
    return (
      (await findPlaced(scope, idempotencyKey)) ??
      (await placeOrder(scope, input, destination, idempotencyKey, requestHash))
    )
  })
  if (placed.requestHash !== requestHash)
    throw new ApiError(
      409,
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used for a different checkout.',
    )
  if (placed.payment.status === 'creating') {
    const pix = await createPixPayment(services.config, {
      amountCents: placed.totalCents,
      description: `Pedido ${shortCode(placed.orderId)}`,
      orderId: placed.orderId,
      payerEmail: input.customer.email ?? 'comprador@pagamento.invalid',
      expiresAt: new Date(Date.now() + PAYMENT_WINDOW_MINUTES * 60_000),
    })
    await runStorefront(services, meta, slug, async (scope) => {
      await scope.tx
        .update(commercePayments)
        .set({
          status: 'pending',
          providerPaymentId: pix.providerPaymentId,
          pixCode: pix.pixCode,
          expiresAt: pix.expiresAt,
          updatedAt: scope.now,
        })
        .where(
          and(
            eq(commercePayments.id, placed.payment.id),
            eq(commercePayments.tenantId, scope.tenantId),
            eq(commercePayments.status, 'creating'),
          ),
        )
    })
    placed.payment = { ...placed.payment, status: 'pending', pixCode: pix.pixCode, expiresAt: pix.expiresAt }
  }
  const { requestHash: _, ...order } = placed
  return {
    ...order,
    tenantId,
    code: shortCode(placed.orderId),
    trackingToken: await trackingToken(services.config, placed.orderId),
  }
}

async function findPlaced(scope: CommerceScope, idempotencyKey: string): Promise<Placed | null> {
  const [row] = await scope.tx
    .select({
      orderId: commerceOrders.id,
      status: commerceOrders.status,
      totalCents: commerceOrders.totalCents,
      requestHash: commerceOrders.requestHash,
      paymentId: commercePayments.id,
      paymentStatus: commercePayments.status,
      pixCode: commercePayments.pixCode,
      expiresAt: commercePayments.expiresAt,
    })
    .from(commerceOrders)
    .innerJoin(commercePayments, eq(commercePayments.orderId, commerceOrders.id))
    .where(
      and(eq(commerceOrders.tenantId, scope.tenantId), eq(commerceOrders.idempotencyKey, idempotencyKey)),
    )
  if (!row) return null
  return {
    orderId: row.orderId,
    status: row.status,
    totalCents: row.totalCents,
    requestHash: row.requestHash,
    payment: { id: row.paymentId, status: row.paymentStatus, pixCode: row.pixCode, expiresAt: row.expiresAt },
  }
}

async function placeOrder(
  scope: CommerceScope,
  input: CheckoutInput,
  destination: Destination | undefined,
  idempotencyKey: string,
  requestHash: string,
): Promise<Placed> {
  const { customer: person, expected } = input
  const quote = await applyCampaigns(
    scope,
    await priceCart(scope, {
      storeId: input.storeId,
      fulfilment: input.fulfilment,
      items: input.items,
      destination,
    }),
    input.coupon,
  )
  if (quote.shippingCents !== expected.shippingCents || quote.totalCents !== expected.totalCents)
    throw new ApiError(409, 'PRICE_CHANGED', 'The amounts changed; review the order and confirm again.', {
      details: {
        subtotal_cents: quote.subtotalCents,
        shipping_cents: quote.shippingCents,
        discount_cents: quote.discountCents,
        total_cents: quote.totalCents,
      },
    })
  const customer = await upsertCustomer(scope.tx, scope.tenantId, {
    name: person.name,
    phone: person.phone,
    email: person.email ?? null,
  })
  const orderId = newId('ord')
  const paymentDueAt = new Date(scope.now.getTime() + PAYMENT_WINDOW_MINUTES * 60_000)
  const inserted = await scope.tx
    .insert(commerceOrders)
    .values({
      id: orderId,
      tenantId: scope.tenantId,
      storeId: quote.store.id,
      customerId: customer.id,
      fulfilment: input.fulfilment,
      idempotencyKey,
      requestHash,
      customerName: person.name,
      customerPhone: person.phone,
      customerEmail: person.email ?? null,
      address: destination
        ? {
            street: destination.street,
            number: destination.number,
            complement: destination.complement ?? null,
            district: destination.district ?? null,
            city: destination.city,
            state: destination.state,
            cep: destination.cep,
          }
        : null,
      subtotalCents: quote.subtotalCents,
      shippingCents: quote.shippingCents,
      discountCents: quote.discountCents,
      totalCents: quote.totalCents,
      preorder: quote.preorder,
      notes: input.notes ?? null,
      paymentDueAt,
    })
    .onConflictDoNothing({ target: [commerceOrders.tenantId, commerceOrders.idempotencyKey] })
    .returning({ id: commerceOrders.id })
  if (inserted.length === 0) {
    // The same key committed by a concurrent request while this one priced: answer that order.
    const winner = await findPlaced(scope, idempotencyKey)
    if (!winner) throw new Error('checkout: idempotency key conflicted but no order was found')
    return winner
  }
  await scope.tx.insert(commerceOrderItems).values(
    quote.lines.map((line) => ({
      id: newId('oit'),
      tenantId: scope.tenantId,
      orderId,
      productId: line.productId,
      name: line.name,
      quantity: line.quantity,
      unitPriceCents: line.unitPriceCents,
      options: line.options,
      lineTotalCents: line.lineTotalCents,
    })),
  )
  if (quote.distanceKm !== null)
    await scope.tx.insert(commerceDeliveries).values({
      id: newId('dlv'),
      tenantId: scope.tenantId,
      orderId,
      distanceKm: quote.distanceKm,
      distanceMethod: 'straight_line',
      feeCents: quote.shippingCents,
    })
  const paymentId = newId('pay')
  await scope.tx.insert(commercePayments).values({
    id: paymentId,
    tenantId: scope.tenantId,
    orderId,
    provider: PAYMENT_PROVIDER,
    method: 'pix',
    amountCents: quote.totalCents,
  })
  await recordOrderEvent(scope, orderId, null, 'pending_payment', null)
  // Last, so the stock rows stay locked for as short a time as possible before the commit.
  const wanted = new Map<string, { productId: string; name: string; quantity: number }>()
  for (const line of quote.lines) {
    const known = wanted.get(line.productId)
    wanted.set(line.productId, {
      productId: line.productId,
      name: line.name,
      quantity: (known?.quantity ?? 0) + line.quantity,
    })
  }
  await reserveStock(scope, orderId, quote.store.id, [...wanted.values()], paymentDueAt)
  // After the stock, for the same reason: the budget's row is locked until the commit.
  await redeemDiscounts(scope, orderId, customer.id, quote.discounts)
  scope.afterCommit(() =>
    publishCommerceEvent(scope.services, scope.tenantId, {
      type: 'commerce.order_created',
      orderId,
      storeId: quote.store.id,
      status: 'pending_payment',
    }),
  )
  return {
    orderId,
    status: 'pending_payment',
    totalCents: quote.totalCents,
    requestHash,
    payment: { id: paymentId, status: 'creating', pixCode: null, expiresAt: null },
  }
}
