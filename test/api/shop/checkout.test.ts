import { beforeAll, describe, expect, it } from 'vitest'
import {
  coffeeCheckout,
  FAR_CEP,
  idempotencyKey,
  paymentWebhook,
  postCheckout,
  providerPayments,
  type ShopFixture,
  shopSetup,
} from '../../helpers/commerce.ts'
import { captureQueue, createTestDatabase, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
import { tick } from '../../helpers/erasure.ts'
import { errorCode } from '../../helpers/fixtures.ts'

let db: TestDatabase
let env: TestBindings
beforeAll(async () => {
  db = await createTestDatabase()
  env = { ...db.env, API_RATE_LIMITER: undefined, JOBS: captureQueue().queue } as unknown as TestBindings
})

type Placed = {
  order_id: string
  status: string
  total_cents: number
  code: string
  tracking_token: string
  payment: { status: string; pix_code: string; expires_at: string }
}

/** Rua Augusta, about 1.1 km from the store (the fake geocoder's point for this CEP). */
const ADDRESS = {
  street: 'Rua Augusta',
  number: '500',
  cep: '01305-000',
}

async function stockOf(fixture: ShopFixture, productId: string) {
  const [row] = await db.owner<{ on_hand: number; reserved: number }>(
    'select on_hand, reserved from commerce_stock where store_id = $1 and product_id = $2',
    [fixture.storeId, productId],
  )
  return row
}

async function ordersOf(fixture: ShopFixture) {
  return db.owner<{ id: string; status: string }>(
    'select id, status from commerce_orders where tenant_id = $1',
    [fixture.tenant.tenantId],
  )
}

describe('preview', () => {
  it('prices options and shipping from the database, with no side effect', async () => {
    const fixture = await shopSetup(db, { env })
    const cart = {
      store_id: fixture.storeId,
      fulfilment: 'delivery',
      items: [
        { product_id: fixture.pizza, quantity: 2, option_ids: [fixture.sizes.large, fixture.extras.cheese] },
        { product_id: fixture.coffee, quantity: 1 },
      ],
      address: ADDRESS,
    }
    const response = await fixture.shop('/checkout/preview', { method: 'POST', json: cart })
    expect(response.status).toBe(200)
    const quote = (await response.json()) as Record<string, unknown>
    // Pizza 20.00 + large 5.00 + cheese 2.00 = 27.00 × 2, coffee 10.00; 1.1 km → R$ 5.
    expect(quote).toMatchObject({
      subtotal_cents: 6400,
      shipping_cents: 500,
      total_cents: 6900,
      preorder: false,
      warnings: [],
    })
    expect(quote.distance_km).toBeGreaterThan(0.5)
    expect(quote.distance_km).toBeLessThan(3)
    expect(await ordersOf(fixture)).toEqual([])
    expect(await stockOf(fixture, fixture.pizza)).toEqual({ on_hand: 100, reserved: 0 })
  })

  it('refuses options outside a group’s min/max, inactive products, far addresses and a bad body', async () => {
    const fixture = await shopSetup(db, { env })
    const preview = (json: unknown) => fixture.shop('/checkout/preview', { method: 'POST', json })
    const pizza = (option_ids: string[]) => ({
      store_id: fixture.storeId,
      fulfilment: 'pickup',
      items: [{ product_id: fixture.pizza, quantity: 1, option_ids }],
    })
    const noSize = await preview(pizza([]))
    expect(noSize.status).toBe(422)
    expect(await errorCode(noSize)).toBe('INVALID_OPTIONS')
    const threeExtras = await preview(
      pizza([fixture.sizes.small, fixture.extras.cheese, fixture.extras.olives, fixture.extras.bacon]),
    )
    expect(await errorCode(threeExtras)).toBe('INVALID_OPTIONS')
    const foreign = await preview({
      ...pizza([fixture.sizes.small]),
      items: [{ product_id: fixture.coffee, quantity: 1, option_ids: [fixture.sizes.small] }],
    })
    expect(await errorCode(foreign)).toBe('INVALID_OPTIONS')
    const retired = await preview({ ...pizza([]), items: [{ product_id: fixture.retired, quantity: 1 }] })
    expect(retired.status).toBe(422)
    expect(await errorCode(retired)).toBe('PRODUCT_UNAVAILABLE')
    const far = await preview({
      ...pizza([fixture.sizes.small]),
      fulfilment: 'delivery',
      address: { ...ADDRESS, cep: FAR_CEP },
    })
    expect(far.status).toBe(422)
    expect(await errorCode(far)).toBe('OUT_OF_RANGE')
    const invalid = await preview({ store_id: 'nope', items: [] })
    expect(invalid.status).toBe(400)
    expect(await errorCode(invalid)).toBe('VALIDATION_FAILED')
    const text = await fixture.shop('/checkout/preview', {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    })
    expect(text.status).toBe(415)
  })

  it('enforces the minimum order, paused stores and closed stores without pre-orders', async () => {
    const minimum = await shopSetup(db, { env, store: { minimum_order_cents: 5000 } })
    const below = await minimum.shop('/checkout/preview', { method: 'POST', json: coffeeCheckout(minimum) })
    expect(below.status).toBe(422)
    expect(((await below.json()) as { error: { code: string; details: unknown } }).error).toMatchObject({
      code: 'MINIMUM_ORDER',
      details: { minimum_order_cents: 5000, subtotal_cents: 1000 },
    })
    const paused = await shopSetup(db, { env, store: { status: 'paused' } })
    expect(
      await errorCode(
        await paused.shop('/checkout/preview', { method: 'POST', json: coffeeCheckout(paused) }),
      ),
    ).toBe('STORE_PAUSED')
    const closed = await shopSetup(db, { env, store: { status: 'closed' } })
    expect(
      await errorCode(
        await closed.shop('/checkout/preview', { method: 'POST', json: coffeeCheckout(closed) }),
      ),
    ).toBe('STORE_CLOSED')
    const preorders = await shopSetup(db, { env, store: { status: 'closed', preorder_when_closed: true } })
    const taken = await preorders.shop('/checkout/preview', {
      method: 'POST',
      json: coffeeCheckout(preorders),
    })
    expect(await taken.json()).toMatchObject({ preorder: true, warnings: [{ code: 'preorder' }] })
  })

  it('answers 404 for an unknown tenant and for a tenant without the commerce module', async () => {
    const fixture = await shopSetup(db, { env })
    const unknown = await fixture.shop('/stores', { headers: { 'x-tenant': 'no-such-tenant' } })
    expect(unknown.status).toBe(404)
    // A slug that cannot be one is refused at the boundary, with the field named.
    const malformed = await fixture.shop('/stores', { headers: { 'x-tenant': 'Bad_Slug!' } })
    expect(malformed.status).toBe(400)
    expect(JSON.stringify(await malformed.json())).toContain('header.x-tenant')
    const without = await shopSetup(db, { env, modules: ['metrics'] })
    expect((await without.shop('/stores')).status).toBe(404)
    expect((await without.shop(`/catalog?store=${without.storeId}`)).status).toBe(404)
    const stores = await fixture.shop('/stores')
    expect(((await stores.json()) as { data: { name: string }[] }).data.map((s) => s.name)).toEqual([
      'Loja Paulista',
    ])
    // Another tenant's store through this tenant's slug reads as unknown.
    expect((await fixture.shop(`/catalog?store=${without.storeId}`)).status).toBe(404)
  })
})

describe('checkout', () => {
  it('places the order, holds its stock, opens a PIX charge and is tracked by its own token only', async () => {
    const fixture = await shopSetup(db, { env })
    const response = await postCheckout(fixture, coffeeCheckout(fixture, 2))
    expect(response.status).toBe(201)
    const placed = (await response.json()) as Placed
    expect(placed).toMatchObject({ status: 'pending_payment', total_cents: 2000 })
    expect(placed.payment.status).toBe('pending')
    expect(placed.payment.pix_code).toMatch(/^000201.*br\.gov\.bcb\.pix/)
    expect(await stockOf(fixture, fixture.coffee)).toEqual({ on_hand: 100, reserved: 2 })

    const tracked = await fixture.shop(`/orders/${placed.order_id}?token=${placed.tracking_token}`)
    expect(tracked.status).toBe(200)
    expect(await tracked.json()).toMatchObject({
      status: 'pending_payment',
      customer_first_name: 'Maria',
      items: [{ name: 'Café', quantity: 2 }],
      payment: { status: 'pending' },
    })
    const other = (await (await postCheckout(fixture, coffeeCheckout(fixture, 1))).json()) as Placed
    expect((await fixture.shop(`/orders/${placed.order_id}?token=${other.tracking_token}`)).status).toBe(404)
    // A forged token of the right shape is 404 like another order's; something not shaped like one is 400.
    expect((await fixture.shop(`/orders/${placed.order_id}?token=${'A'.repeat(43)}`)).status).toBe(404)
    expect((await fixture.shop(`/orders/${placed.order_id}?token=forged`)).status).toBe(400)
    // The right token under another tenant's slug: that tenant has no such order.
    const elsewhere = await shopSetup(db, { env })
    expect((await elsewhere.shop(`/orders/${placed.order_id}?token=${placed.tracking_token}`)).status).toBe(
      404,
    )
  })

  it('refuses a client total or shipping that differs, with the recomputed amounts', async () => {
    const fixture = await shopSetup(db, { env })
    const response = await postCheckout(
      fixture,
      coffeeCheckout(fixture, 1, {
        fulfilment: 'delivery',
        address: ADDRESS,
        expected: { shipping_cents: 0, total_cents: 1000 },
      }),
    )
    expect(response.status).toBe(409)
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({
      code: 'PRICE_CHANGED',
      details: { subtotal_cents: 1000, shipping_cents: 500, total_cents: 1500 },
    })
    expect(await ordersOf(fixture)).toEqual([])
    const missingKey = await fixture.shop('/checkout', { method: 'POST', json: coffeeCheckout(fixture) })
    expect(missingKey.status).toBe(400)
    const badPhone = await postCheckout(fixture, {
      ...coffeeCheckout(fixture),
      customer: { name: 'X', phone: '123' },
    })
    expect(badPhone.status).toBe(400)
  })

  it('the same request retried 10 times makes 1 order and 1 payment call; another body with the key is refused', async () => {
    const fixture = await shopSetup(db, { env })
    const key = idempotencyKey()
    const body = coffeeCheckout(fixture, 3)
    const answers: Placed[] = []
    for (let i = 0; i < 10; i++) {
      const response = await postCheckout(fixture, body, key)
      expect(response.status).toBe(201)
      answers.push((await response.json()) as Placed)
    }
    expect(new Set(answers.map((a) => a.order_id)).size).toBe(1)
    expect(new Set(answers.map((a) => a.payment.pix_code)).size).toBe(1)
    expect(await ordersOf(fixture)).toHaveLength(1)
    const orderId = answers[0]?.order_id as string
    expect(await providerPayments(env, orderId)).toMatchObject({ calls: 1 })
    expect(await stockOf(fixture, fixture.coffee)).toEqual({ on_hand: 100, reserved: 3 })

    const reused = await postCheckout(fixture, coffeeCheckout(fixture, 4), key)
    expect(reused.status).toBe(409)
    expect(await errorCode(reused)).toBe('IDEMPOTENCY_KEY_REUSED')
  })

  it('concurrent retries of one key make one order and one charge at the provider', async () => {
    const fixture = await shopSetup(db, { env })
    const key = idempotencyKey()
    const body = coffeeCheckout(fixture, 1)
    const responses = await Promise.all(Array.from({ length: 10 }, () => postCheckout(fixture, body, key)))
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201))
    const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as Placed).order_id)))
    expect(ids.size).toBe(1)
    const [orderId] = [...ids] as [string]
    expect((await providerPayments(env, orderId)).payments).toHaveLength(1)
    expect(await stockOf(fixture, fixture.coffee)).toEqual({ on_hand: 100, reserved: 1 })
  })

  it('a provider outage answers 503 and the same request retried completes the same order', async () => {
    const fixture = await shopSetup(db, { env })
    const key = idempotencyKey()
    // The order id is not known before the first call, so the provider is made unreachable for it
    // by configuration (no access token) rather than by the fake's per-order failure switch.
    const down = { ...env, PAYMENTS_ACCESS_TOKEN: undefined } as unknown as TestBindings
    const offline = await postCheckoutWith(down, fixture, coffeeCheckout(fixture), key)
    expect(offline.status).toBe(503)
    expect(await errorCode(offline)).toBe('PAYMENT_UNAVAILABLE')
    const [pending] = await ordersOf(fixture)
    expect(pending?.status).toBe('pending_payment')
    const retried = await postCheckout(fixture, coffeeCheckout(fixture), key)
    expect(retried.status).toBe(201)
    expect(((await retried.json()) as Placed).order_id).toBe(pending?.id)
  })
})

async function postCheckoutWith(bindings: TestBindings, fixture: ShopFixture, body: unknown, key: string) {
  const { callWorker } = await import('../../helpers/worker.ts')
  return callWorker(bindings, '/shop-api/v1/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant': fixture.tenant.slug, 'idempotency-key': key },
    body: JSON.stringify(body),
  })
}

describe('no oversell', () => {
  it('50 concurrent checkouts of the last 5 units: 5 orders, 45 OUT_OF_STOCK, 0 errors; expiry releases them', async () => {
    const fixture = await shopSetup(db, { env })
    await db.owner('update commerce_stock set on_hand = 5 where store_id = $1 and product_id = $2', [
      fixture.storeId,
      fixture.coffee,
    ])
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => postCheckout(fixture, coffeeCheckout(fixture, 1))),
    )
    const statuses = responses.map((r) => r.status)
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, unknown>>))
    expect(statuses.filter((s) => s === 201)).toHaveLength(5)
    const refused = bodies.filter((_, i) => statuses[i] === 409)
    expect(refused).toHaveLength(45)
    for (const body of refused)
      expect(body.error).toMatchObject({
        code: 'OUT_OF_STOCK',
        details: { product_id: fixture.coffee, product_name: 'Café' },
      })
    expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([])
    expect(await stockOf(fixture, fixture.coffee)).toEqual({ on_hand: 5, reserved: 5 })
    expect(await ordersOf(fixture)).toHaveLength(5)
    const [held] = await db.owner<{ n: number }>(
      `select sum(quantity)::int as n from commerce_reservations where tenant_id = $1 and status = 'held'`,
      [fixture.tenant.tenantId],
    )
    expect(held?.n).toBe(5)

    // Nobody pays: past the 10-minute window the cron tick cancels them and releases the units.
    await tick(env, Date.now() + 11 * 60_000)
    expect(await stockOf(fixture, fixture.coffee)).toEqual({ on_hand: 5, reserved: 0 })
    expect((await ordersOf(fixture)).map((o) => o.status)).toEqual(Array(5).fill('cancelled'))
    const sixth = await postCheckout(fixture, coffeeCheckout(fixture, 5))
    expect(sixth.status).toBe(201)
  })
})

describe('payment webhook', () => {
  it('approval pays the order and sells its stock, once per payment and status; bad signatures are refused', async () => {
    const fixture = await shopSetup(db, { env })
    const placed = (await (await postCheckout(fixture, coffeeCheckout(fixture, 2))).json()) as Placed
    const [payment] = await db.owner<{ provider_payment_id: string }>(
      'select provider_payment_id from commerce_payments where order_id = $1',
      [placed.order_id],
    )
    const providerId = payment?.provider_payment_id as string
    const deliveryId = `evt_${crypto.randomUUID()}`
    const first = await paymentWebhook(
      env,
      fixture.tenant.slug,
      { id: providerId, status: 'approved' },
      { deliveryId },
    )
    expect(first.status).toBe(200)
    expect(await first.json()).toMatchObject({ applied: true, order_status: 'paid' })
    const again = await paymentWebhook(
      env,
      fixture.tenant.slug,
      { id: providerId, status: 'approved' },
      { deliveryId },
    )
    expect(await again.json()).toMatchObject({ applied: false, duplicate: true, order_status: 'paid' })
    expect(await stockOf(fixture, fixture.coffee)).toEqual({ on_hand: 98, reserved: 0 })
    const [sales] = await db.owner<{ n: number }>(
      `select sum(delta)::int as n from commerce_stock_movements where order_id = $1 and kind = 'sale'`,
      [placed.order_id],
    )
    expect(sales?.n).toBe(-2)
    const [email] = await db.owner<{ n: number }>(
      `select count(*)::int as n from outbound_messages where tenant_id = $1 and idempotency_key = $2`,
      [fixture.tenant.tenantId, `commerce.order:${placed.order_id}:paid`],
    )
    expect(email?.n).toBe(1)

    const forged = await paymentWebhook(
      env,
      fixture.tenant.slug,
      { id: providerId, status: 'refunded' },
      {
        secret: 'whsec_c29tZSBvdGhlciBzZWNyZXQgb2YgMzIgYnl0ZXMhIQ==',
      },
    )
    expect(forged.status).toBe(401)
    const stale = await paymentWebhook(
      env,
      fixture.tenant.slug,
      { id: providerId, status: 'refunded' },
      {
        timestamp: Math.floor(Date.now() / 1000) - 600,
      },
    )
    expect(await errorCode(stale)).toBe('STALE_TIMESTAMP')
    // A payment the provider does not know settles nothing.
    const unknown = await paymentWebhook(env, fixture.tenant.slug, { id: '999', status: 'approved' })
    expect(unknown.status).toBe(200)
    expect(await unknown.json()).toMatchObject({ applied: false })
  })

  it('a rejected payment cancels the order and releases its stock', async () => {
    const fixture = await shopSetup(db, { env })
    const placed = (await (await postCheckout(fixture, coffeeCheckout(fixture, 3))).json()) as Placed
    const [payment] = await db.owner<{ provider_payment_id: string }>(
      'select provider_payment_id from commerce_payments where order_id = $1',
      [placed.order_id],
    )
    const response = await paymentWebhook(env, fixture.tenant.slug, {
      id: payment?.provider_payment_id as string,
      status: 'rejected',
    })
    expect(await response.json()).toMatchObject({ applied: true, order_status: 'cancelled' })
    expect(await stockOf(fixture, fixture.coffee)).toEqual({ on_hand: 100, reserved: 0 })
  })
})
