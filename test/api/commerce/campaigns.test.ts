import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import {
  coffeeCheckout,
  jsonOf,
  postCheckout,
  type ShopFixture,
  shopSetup,
  staffCaller,
} from '../../helpers/commerce.ts'
import { captureQueue, createTestDatabase, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
import { createTenant, errorCode } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
let env: TestBindings
beforeAll(async () => {
  db = await createTestDatabase()
  env = { ...db.env, API_RATE_LIMITER: undefined, JOBS: captureQueue().queue } as unknown as TestBindings
})

const staff = (tenantId: string, role?: 'owner' | 'admin' | 'analyst' | 'viewer') =>
  staffCaller(db, env, tenantId, role)
const json = jsonOf

type Campaign = {
  id: string
  name: string
  state: string
  budget: { kind: string; limit: number; used: number } | null
  results: { orders: number; revenue_cents: number; discount_cents: number; remaining_budget: number | null }
}

const BASE = '/api/v1/commerce/campaigns'

async function campaign(fixture: ShopFixture, body: Record<string, unknown>) {
  const call = await staff(fixture.tenant.tenantId)
  return json<Campaign>(
    await call(BASE, {
      method: 'POST',
      json: { name: `Campanha ${crypto.randomUUID().slice(0, 6)}`, target: 'order', kind: 'fixed', ...body },
    }),
    201,
  )
}

/** `quantity` coffees (R$ 10 each, pickup) with a coupon, expecting `discount` off. */
function couponCheckout(
  fixture: ShopFixture,
  quantity: number,
  coupon: string | null,
  discount: number,
  phone?: string,
) {
  return coffeeCheckout(fixture, quantity, {
    coupon,
    expected: { shipping_cents: 0, total_cents: 1000 * quantity - discount },
    ...(phone ? { customer: { name: 'Cliente', phone, email: null } } : {}),
  })
}

const preview = async (fixture: ShopFixture, body: Record<string, unknown>) =>
  fixture.shop('/checkout/preview', { method: 'POST', json: body })

describe('campaigns API', () => {
  it('creates automatic campaigns and coupons, lists them with results, edits and ends them', async () => {
    const fixture = await shopSetup(db, { env })
    const call = await staff(fixture.tenant.tenantId)
    const auto = await campaign(fixture, {
      kind: 'percent',
      value: 10,
      budget: { kind: 'spend', limit: 50_000 },
    })
    expect(auto).toMatchObject({
      state: 'running',
      code: null,
      budget: { kind: 'spend', limit: 50_000, used: 0 },
      results: { orders: 0, revenue_cents: 0, discount_cents: 0, remaining_budget: 50_000 },
    })
    const coupon = await campaign(fixture, { code: 'Verao10', value: 500, per_customer_limit: 1 })
    // The code is the tenant's whatever its case.
    const twin = await call(BASE, {
      method: 'POST',
      json: { name: 'Outra', code: 'VERAO10', target: 'order', kind: 'fixed', value: 100 },
    })
    expect(twin.status).toBe(409)
    expect(await errorCode(twin)).toBe('COUPON_EXISTS')
    // Another tenant may use the same code.
    const other = await shopSetup(db, { env })
    await campaign(other, { code: 'verao10', value: 100 })

    const list = await json<{ data: Campaign[] }>(await call(BASE), 200)
    expect(list.data.map((c) => c.id).sort()).toEqual([auto.id, coupon.id].sort())
    const renamed = await json(
      await call(`${BASE}/${coupon.id}`, { method: 'PATCH', json: { name: 'Verão', value: 700 } }),
      200,
    )
    expect(renamed).toMatchObject({ name: 'Verão', value: 700, code: 'Verao10' })
    const ended = await json<Campaign>(
      await call(`${BASE}/${coupon.id}`, { method: 'PATCH', json: { end: true } }),
      200,
    )
    expect(ended.state).toBe('ended')
    const refused = await preview(fixture, couponCheckout(fixture, 1, 'verao10', 0))
    expect(refused.status).toBe(422)
    expect(await errorCode(refused)).toBe('COUPON_INVALID')
    const [audit] = await db.owner<{ n: number }>(
      `select count(*)::int as n from audit_log where tenant_id = $1 and action like 'commerce.campaign_%'`,
      [fixture.tenant.tenantId],
    )
    expect(audit?.n).toBe(4)
  })

  it('refuses bad input with 400 and unknown campaigns with 404, never 500', async () => {
    const fixture = await shopSetup(db, { env })
    const call = await staff(fixture.tenant.tenantId)
    const post = (json: Record<string, unknown>) =>
      call(BASE, { method: 'POST', json: { name: 'X', target: 'order', kind: 'fixed', value: 100, ...json } })
    expect((await post({ kind: 'percent', value: 150 })).status).toBe(400)
    expect((await post({ target: 'items' })).status).toBe(400)
    expect((await post({ code: 'no spaces' })).status).toBe(400)
    expect((await post({ product_ids: [newId('prd')], target: 'items' })).status).toBe(400)
    expect((await post({ starts_at: '2030-01-02T00:00:00Z', ends_at: '2030-01-01T00:00:00Z' })).status).toBe(
      400,
    )
    expect((await post({ budget: { kind: 'uses', limit: 0 } })).status).toBe(400)
    expect((await call(`${BASE}/${newId('cmp')}`)).status).toBe(404)
    expect((await call(`${BASE}/nope`)).status).toBe(400)
    const created = await campaign(fixture, { value: 100 })
    expect((await call(`${BASE}/${created.id}`, { method: 'PATCH', json: {} })).status).toBe(400)
    const noBudget = await call(`${BASE}/${created.id}`, { method: 'PATCH', json: { budget_limit: 10 } })
    expect(noBudget.status).toBe(400)
  })

  it('security: no credential 401, viewer cannot manage 403, other tenant 404, module disabled 403', async () => {
    const fixture = await shopSetup(db, { env })
    const other = await shopSetup(db, { env })
    const foreign = await campaign(other, { value: 100 })
    const owner = await staff(fixture.tenant.tenantId)
    const viewer = await staff(fixture.tenant.tenantId, 'viewer')
    const analyst = await staff(fixture.tenant.tenantId, 'analyst')
    expect((await callWorker(env, BASE)).status).toBe(401)
    expect((await viewer(BASE)).status).toBe(200)
    const body = { name: 'X', target: 'order', kind: 'fixed', value: 100 }
    for (const who of [viewer, analyst]) {
      const refused = await who(BASE, { method: 'POST', json: body })
      expect(refused.status).toBe(403)
      expect(await errorCode(refused)).toBe('FORBIDDEN')
    }
    expect((await owner(`${BASE}/${foreign.id}`)).status).toBe(404)
    expect((await owner(`${BASE}/${foreign.id}`, { method: 'PATCH', json: { end: true } })).status).toBe(404)
    const [untouched] = await db.owner<{ ends_at: string | null }>(
      'select ends_at from commerce_campaigns where id = $1',
      [foreign.id],
    )
    expect(untouched?.ends_at).toBeNull()
    const bare = await createTenant(db, { modules: ['metrics'] })
    const disabled = await (await staff(bare.tenantId))(BASE)
    expect(disabled.status).toBe(403)
    expect(await errorCode(disabled)).toBe('MODULE_DISABLED')
  })
})

describe('discounts in the preview and the checkout', () => {
  it('stacks the best automatic campaign with one coupon, rounds percentages down, records the usage', async () => {
    const fixture = await shopSetup(db, { env })
    await campaign(fixture, { name: 'Pequena', kind: 'percent', value: 5 })
    const best = await campaign(fixture, { name: 'Melhor', kind: 'percent', value: 15 })
    await campaign(fixture, { name: 'Futura', value: 900, starts_at: '2099-01-01T00:00:00Z' })
    const coupon = await campaign(fixture, { code: 'FRETE', value: 333, minimum_order_cents: 2000 })
    // 3 coffees: R$ 30.00; 15 % = 450; the coupon 3.33 on what is left.
    const cart = couponCheckout(fixture, 3, 'frete', 450 + 333)
    const quote = await json(await preview(fixture, cart), 200)
    expect(quote).toMatchObject({
      subtotal_cents: 3000,
      discount_cents: 783,
      total_cents: 2217,
      discounts: [
        { name: 'Melhor', code: null, target: 'order', amount_cents: 450 },
        { name: coupon.name, code: 'FRETE', amount_cents: 333 },
      ],
    })
    // 1 coffee is below the coupon's minimum.
    const small = await preview(fixture, couponCheckout(fixture, 1, 'FRETE', 0))
    expect(small.status).toBe(422)
    expect(((await small.json()) as { error: { details: unknown } }).error.details).toEqual({
      reason: 'minimum_order',
    })
    // 33 % of R$ 9.99 is 3.2967: rounded down to 3.29 (a percentage never gives more than it says).
    const odd = await shopSetup(db, { env })
    await db.owner('update commerce_products set price_cents = 999 where id = $1', [odd.coffee])
    await campaign(odd, { kind: 'percent', value: 33 })
    expect(await json(await preview(odd, couponCheckout(odd, 1, null, 0)), 200)).toMatchObject({
      subtotal_cents: 999,
      discount_cents: 329,
      total_cents: 670,
    })

    const placed = await json<{ order_id: string; total_cents: number }>(
      await postCheckout(fixture, cart),
      201,
    )
    expect(placed.total_cents).toBe(2217)
    const [order] = await db.owner<{ subtotal_cents: number; discount_cents: number; total_cents: number }>(
      'select subtotal_cents, discount_cents, total_cents from commerce_orders where id = $1',
      [placed.order_id],
    )
    expect(order).toEqual({ subtotal_cents: 3000, discount_cents: 783, total_cents: 2217 })
    const call = await staff(fixture.tenant.tenantId)
    const results = await json<Campaign>(await call(`${BASE}/${best.id}`), 200)
    // Pending payment: counted as an order with its discount, not yet as revenue.
    expect(results.results).toEqual({
      orders: 1,
      revenue_cents: 0,
      discount_cents: 450,
      remaining_budget: null,
    })
    await db.owner(`update commerce_orders set status = 'paid' where id = $1`, [placed.order_id])
    expect((await json<Campaign>(await call(`${BASE}/${best.id}`), 200)).results.revenue_cents).toBe(2217)
  })

  it('discounts items of a category or product and shipping, never below zero', async () => {
    const fixture = await shopSetup(db, { env })
    const category = newId('cat')
    await db.owner(`insert into commerce_categories (id, tenant_id, name) values ($1, $2, 'Bebidas')`, [
      category,
      fixture.tenant.tenantId,
    ])
    await db.owner('update commerce_products set category_id = $1 where id = $2', [category, fixture.coffee])
    await campaign(fixture, { target: 'items', kind: 'percent', value: 50, category_ids: [category] })
    await campaign(fixture, { code: 'PIZZA99', target: 'items', value: 99_999, product_ids: [fixture.pizza] })
    const cart = {
      store_id: fixture.storeId,
      fulfilment: 'pickup',
      coupon: 'pizza99',
      items: [
        { product_id: fixture.coffee, quantity: 1 },
        { product_id: fixture.pizza, quantity: 1, option_ids: [fixture.sizes.small] },
      ],
    }
    // Coffee 10.00 half off; the coupon caps at the pizza's 20.00.
    expect(await json(await preview(fixture, cart), 200)).toMatchObject({
      subtotal_cents: 3000,
      discount_cents: 2500,
      total_cents: 500,
    })
    const shipping = await shopSetup(db, { env })
    await campaign(shipping, { code: 'FRETEGRATIS', target: 'shipping', kind: 'percent', value: 100 })
    const delivery = {
      store_id: shipping.storeId,
      fulfilment: 'delivery',
      coupon: 'fretegratis',
      items: [{ product_id: shipping.coffee, quantity: 1 }],
      address: { cep: '01305-000', number: '500' },
    }
    expect(await json(await preview(shipping, delivery), 200)).toMatchObject({
      subtotal_cents: 1000,
      shipping_cents: 500,
      discount_cents: 500,
      total_cents: 1000,
    })
  })
})

describe('limits under concurrency (Postgres refuses)', () => {
  it('a single-use coupon under 50 concurrent checkouts: 1 order discounted, 49 CAMPAIGN_EXHAUSTED', async () => {
    const fixture = await shopSetup(db, { env })
    const coupon = await campaign(fixture, { code: 'UNICO', value: 300, budget: { kind: 'uses', limit: 1 } })
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => postCheckout(fixture, couponCheckout(fixture, 1, 'UNICO', 300))),
    )
    const statuses = responses.map((r) => r.status)
    const codes = await Promise.all(responses.map((r) => (r.status === 201 ? 'created' : errorCode(r))))
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    // A loser either raced past the preview read (409) or read the used budget already (422).
    expect(codes.filter((c) => c === 'CAMPAIGN_EXHAUSTED' || c === 'COUPON_INVALID')).toHaveLength(49)
    const [row] = await db.owner<{ used: number; redemptions: number; orders: number }>(
      `select budget_used as used,
         (select count(*)::int from commerce_campaign_redemptions where campaign_id = $1) as redemptions,
         (select count(*)::int from commerce_orders where tenant_id = $2) as orders
       from commerce_campaigns where id = $1`,
      [coupon.id, fixture.tenant.tenantId],
    )
    expect(row).toEqual({ used: 1, redemptions: 1, orders: 1 })
  })

  it('a spend budget of R$ 50 under 50 concurrent R$ 10-off checkouts: exactly 5 orders', async () => {
    const fixture = await shopSetup(db, { env })
    const auto = await campaign(fixture, { value: 1000, budget: { kind: 'spend', limit: 5000 } })
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => postCheckout(fixture, couponCheckout(fixture, 2, null, 1000))),
    )
    const statuses = responses.map((r) => r.status)
    const codes = await Promise.all(responses.map((r) => (r.status === 201 ? 'created' : errorCode(r))))
    expect(statuses.filter((s) => s === 201)).toHaveLength(5)
    // Losers: the budget row said no (409), or the budget was read as spent and the price changed (409).
    expect(codes.filter((c) => c === 'CAMPAIGN_EXHAUSTED' || c === 'PRICE_CHANGED')).toHaveLength(45)
    const call = await staff(fixture.tenant.tenantId)
    const results = await json<Campaign>(await call(`${BASE}/${auto.id}`), 200)
    expect(results.budget?.used).toBe(5000)
    expect(results.results).toMatchObject({ orders: 5, discount_cents: 5000, remaining_budget: 0 })
  })

  it('a cancelled order returns its use; the per-customer limit holds and is given back too', async () => {
    const fixture = await shopSetup(db, { env })
    const coupon = await campaign(fixture, {
      code: 'UMAVEZ',
      value: 200,
      per_customer_limit: 1,
      budget: { kind: 'uses', limit: 2 },
    })
    const maria = '11 91234-5678'
    const first = await json<{ order_id: string }>(
      await postCheckout(fixture, couponCheckout(fixture, 1, 'umavez', 200, maria)),
      201,
    )
    const again = await postCheckout(fixture, couponCheckout(fixture, 1, 'umavez', 200, maria))
    expect(again.status).toBe(409)
    expect(((await again.json()) as { error: { details: unknown } }).error.details).toMatchObject({
      reason: 'customer_limit',
    })
    const call = await staff(fixture.tenant.tenantId)
    await json(
      await call(`/api/v1/commerce/orders/${first.order_id}/transitions`, {
        method: 'POST',
        json: { to: 'cancelled', reason: 'changed my mind' },
      }),
      200,
    )
    const returned = await json<Campaign>(await call(`${BASE}/${coupon.id}`), 200)
    expect(returned.budget?.used).toBe(0)
    expect(returned.results).toMatchObject({ orders: 0, discount_cents: 0, remaining_budget: 2 })
    // Maria may use it again, and another customer too: the budget of 2 uses is whole again.
    await json(await postCheckout(fixture, couponCheckout(fixture, 1, 'UMAVEZ', 200, maria)), 201)
    await json(await postCheckout(fixture, couponCheckout(fixture, 1, 'UMAVEZ', 200, '11 98888-7777')), 201)
    const third = await preview(fixture, couponCheckout(fixture, 1, 'UMAVEZ', 200, '11 97777-6666'))
    expect(await errorCode(third)).toBe('COUPON_INVALID')
    // The budget may not be set below what is used.
    const below = await call(`${BASE}/${coupon.id}`, { method: 'PATCH', json: { budget_limit: 1 } })
    expect(below.status).toBe(409)
    expect(await errorCode(below)).toBe('CAMPAIGN_EXHAUSTED')
  })
})
