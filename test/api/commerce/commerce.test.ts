import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { coffeeCheckout, jsonOf, postCheckout, shopSetup, staffCaller } from '../../helpers/commerce.ts'
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

const STORE = {
  name: 'Loja Centro',
  street: 'Rua Direita, 10',
  city: 'São Paulo',
  state: 'sp',
  cep: '01002-000',
  latitude: -23.5489,
  longitude: -46.6388,
  opening_hours: { mon: [['09:00', '18:00']] },
}

describe('stores and shipping bands', () => {
  it('creates within the plan’s stores limit, reads, updates and sets bands', async () => {
    const tenant = await createTenant(db, { modules: ['commerce'], storesLimit: 1 })
    const call = await staff(tenant.tenantId)
    const store = await json<{ id: string; cep: string; state: string }>(
      await call('/api/v1/commerce/stores', { method: 'POST', json: STORE }),
      201,
    )
    expect(store).toMatchObject({ cep: '01002000', state: 'SP', status: 'open' })
    const second = await call('/api/v1/commerce/stores', {
      method: 'POST',
      json: { ...STORE, name: 'Outra' },
    })
    expect(second.status).toBe(409)
    expect(await errorCode(second)).toBe('STORES_LIMIT_REACHED')
    const updated = await json(
      await call(`/api/v1/commerce/stores/${store.id}`, {
        method: 'PATCH',
        json: { minimum_order_cents: 2000 },
      }),
      200,
    )
    expect(updated).toMatchObject({ minimum_order_cents: 2000 })
    const banded = await json<{ shipping_bands: unknown[] }>(
      await call(`/api/v1/commerce/stores/${store.id}/shipping-bands`, {
        method: 'PUT',
        json: {
          bands: [
            { max_km: 8, price_cents: 900 },
            { max_km: 3, price_cents: 500 },
          ],
        },
      }),
      200,
    )
    expect(banded.shipping_bands).toMatchObject([
      { max_km: 3, price_cents: 500 },
      { max_km: 8, price_cents: 900 },
    ])
    const list = await json<{ data: { id: string }[] }>(await call('/api/v1/commerce/stores'), 200)
    expect(list.data.map((s) => s.id)).toEqual([store.id])
  })

  it('refuses bad input with 400, never 500', async () => {
    const tenant = await createTenant(db, { modules: ['commerce'] })
    const call = await staff(tenant.tenantId)
    const bad = await call('/api/v1/commerce/stores', {
      method: 'POST',
      json: { ...STORE, cep: '123', latitude: 200, opening_hours: { mon: [['25:00', '18:00']] } },
    })
    expect(bad.status).toBe(400)
    const fields = ((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields.map(
      (f) => f.path,
    )
    expect(fields).toEqual(
      expect.arrayContaining(['json.cep', 'json.latitude', 'json.opening_hours.mon.0.0']),
    )
    expect((await call('/api/v1/commerce/stores/nope')).status).toBe(400)
    const duplicateBands = await call(`/api/v1/commerce/stores/${newId('sto')}/shipping-bands`, {
      method: 'PUT',
      json: {
        bands: [
          { max_km: 3, price_cents: 1 },
          { max_km: 3, price_cents: 2 },
        ],
      },
    })
    expect(duplicateBands.status).toBe(400)
  })

  it('security: no credential 401, viewer cannot manage 403, other tenant 404, module disabled 403', async () => {
    const fixture = await shopSetup(db, { env })
    const other = await shopSetup(db, { env })
    const owner = await staff(fixture.tenant.tenantId)
    const viewer = await staff(fixture.tenant.tenantId, 'viewer')
    expect((await callWorker(env, '/api/v1/commerce/stores')).status).toBe(401)
    expect((await viewer('/api/v1/commerce/stores')).status).toBe(200)
    const refused = await viewer('/api/v1/commerce/stores', { method: 'POST', json: STORE })
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('FORBIDDEN')
    expect((await owner(`/api/v1/commerce/stores/${other.storeId}`)).status).toBe(404)
    expect(
      (await owner(`/api/v1/commerce/stores/${other.storeId}`, { method: 'PATCH', json: { name: 'Minha' } }))
        .status,
    ).toBe(404)
    const bare = await createTenant(db, { modules: ['metrics'] })
    const disabled = await (await staff(bare.tenantId))('/api/v1/commerce/stores')
    expect(disabled.status).toBe(403)
    expect(await errorCode(disabled)).toBe('MODULE_DISABLED')
  })
})

describe('catalog and stock', () => {
  it('creates a product with option groups and restocks it; stock never drops below what is held', async () => {
    const fixture = await shopSetup(db, { env })
    const call = await staff(fixture.tenant.tenantId)
    const product = await json<{ id: string; option_groups: { options: unknown[] }[] }>(
      await call('/api/v1/commerce/products', {
        method: 'POST',
        json: {
          name: 'Açaí',
          price_cents: 1800,
          option_groups: [
            {
              name: 'Tamanho',
              min_choices: 1,
              max_choices: 1,
              options: [
                { name: '300 ml', price_delta_cents: 0 },
                { name: '500 ml', price_delta_cents: 600 },
              ],
            },
          ],
        },
      }),
      201,
    )
    expect(product.option_groups[0]?.options).toHaveLength(2)
    const impossible = await call('/api/v1/commerce/products', {
      method: 'POST',
      json: {
        name: 'X',
        price_cents: 1,
        option_groups: [
          { name: 'G', min_choices: 3, max_choices: 3, options: [{ name: 'a', price_delta_cents: 0 }] },
        ],
      },
    })
    expect(impossible.status).toBe(400)

    const restock = (delta: number, kind = 'restock') =>
      call('/api/v1/commerce/stock/adjustments', {
        method: 'POST',
        json: { store_id: fixture.storeId, product_id: product.id, delta, kind, reason: 'supplier' },
      })
    expect(await json(await restock(5), 201)).toMatchObject({ on_hand: 5, reserved: 0 })
    expect((await restock(-1)).status).toBe(400)
    // Two units held by an unpaid order: the shelf may go down to 2, not below.
    await postCheckout(fixture, coffeeCheckout(fixture, 2))
    const held = await call('/api/v1/commerce/stock/adjustments', {
      method: 'POST',
      json: {
        store_id: fixture.storeId,
        product_id: fixture.coffee,
        delta: -99,
        kind: 'adjustment',
        reason: 'count',
      },
    })
    expect(held.status).toBe(409)
    expect(await errorCode(held)).toBe('STOCK_BELOW_RESERVED')
    const counted = await call('/api/v1/commerce/stock/adjustments', {
      method: 'POST',
      json: {
        store_id: fixture.storeId,
        product_id: fixture.coffee,
        delta: -98,
        kind: 'adjustment',
        reason: 'count',
      },
    })
    expect(await json(counted, 201)).toMatchObject({ on_hand: 2, reserved: 2 })
    const [movement] = await db.owner<{ actor_type: string; reason: string; delta: number }>(
      `select actor_type, reason, delta from commerce_stock_movements where product_id = $1 and kind = 'adjustment'`,
      [fixture.coffee],
    )
    expect(movement).toEqual({ actor_type: 'member', reason: 'count', delta: -98 })
    // Another tenant's store in the body reads as no store.
    const other = await shopSetup(db, { env })
    const foreign = await call('/api/v1/commerce/stock/adjustments', {
      method: 'POST',
      json: { store_id: other.storeId, product_id: product.id, delta: 1, kind: 'restock', reason: 'x' },
    })
    expect(foreign.status).toBe(400)
  })
})

type Order = { id: string; status: string; history: { to: string; actor_type: string }[] }

async function paidOrder(fixture: Awaited<ReturnType<typeof shopSetup>>) {
  const placed = (await (await postCheckout(fixture, coffeeCheckout(fixture, 1))).json()) as {
    order_id: string
  }
  await db.owner(`update commerce_orders set status = 'paid' where id = $1`, [placed.order_id])
  return placed.order_id
}

describe('orders', () => {
  it('moves an order through the board, each move in its history with who; refuses moves not allowed', async () => {
    const fixture = await shopSetup(db, { env })
    const analyst = await staff(fixture.tenant.tenantId, 'analyst')
    const orderId = await paidOrder(fixture)
    const move = (to: string) =>
      analyst(`/api/v1/commerce/orders/${orderId}/transitions`, { method: 'POST', json: { to } })
    const skipped = await move('delivered')
    expect(skipped.status).toBe(409)
    expect(await errorCode(skipped)).toBe('INVALID_TRANSITION')
    for (const to of ['accepted', 'preparing']) await json(await move(to), 200)
    // A pickup order is never out for delivery.
    expect((await move('out_for_delivery')).status).toBe(409)
    await json(await move('ready_for_pickup'), 200)
    const done = await json<Order>(await move('delivered'), 200)
    expect(done.status).toBe('delivered')
    // `paid` was set by the test directly (the webhook's move is tested with the storefront).
    expect(done.history.map((h) => h.to)).toEqual([
      'pending_payment',
      'accepted',
      'preparing',
      'ready_for_pickup',
      'delivered',
    ])
    expect(done.history.at(-1)?.actor_type).toBe('member')
    expect((await move('paid')).status).toBe(400)
    const viewer = await staff(fixture.tenant.tenantId, 'viewer')
    expect(
      (
        await viewer(`/api/v1/commerce/orders/${orderId}/transitions`, {
          method: 'POST',
          json: { to: 'cancelled' },
        })
      ).status,
    ).toBe(403)
  })

  it('of 10 concurrent moves of one order, exactly one wins', async () => {
    const fixture = await shopSetup(db, { env })
    const call = await staff(fixture.tenant.tenantId)
    const orderId = await paidOrder(fixture)
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        call(`/api/v1/commerce/orders/${orderId}/transitions`, { method: 'POST', json: { to: 'accepted' } }),
      ),
    )
    const statuses = responses.map((r) => r.status).sort()
    expect(statuses).toEqual([200, ...Array(9).fill(409)])
    const [events] = await db.owner<{ n: number }>(
      `select count(*)::int as n from commerce_order_events where order_id = $1 and to_status = 'accepted'`,
      [orderId],
    )
    expect(events?.n).toBe(1)
  })

  it('cancelling a paid order puts its units back on the shelf', async () => {
    const fixture = await shopSetup(db, { env })
    const call = await staff(fixture.tenant.tenantId)
    const placed = (await (await postCheckout(fixture, coffeeCheckout(fixture, 4))).json()) as {
      order_id: string
    }
    await db.owner(
      `update commerce_stock set on_hand = on_hand - 4, reserved = reserved - 4 where product_id = $1;`,
      [fixture.coffee],
    )
    await db.owner(`update commerce_reservations set status = 'sold' where order_id = $1`, [placed.order_id])
    await db.owner(`update commerce_orders set status = 'paid' where id = $1`, [placed.order_id])
    await json(
      await call(`/api/v1/commerce/orders/${placed.order_id}/transitions`, {
        method: 'POST',
        json: { to: 'cancelled', reason: 'customer asked' },
      }),
      200,
    )
    const [stock] = await db.owner('select on_hand, reserved from commerce_stock where product_id = $1', [
      fixture.coffee,
    ])
    expect(stock).toEqual({ on_hand: 100, reserved: 0 })
  })

  it('lists newest first with filters and a cursor; other tenants’ orders are 404', async () => {
    const fixture = await shopSetup(db, { env })
    const call = await staff(fixture.tenant.tenantId)
    const ids = []
    for (let i = 0; i < 3; i++) ids.push(await paidOrder(fixture))
    await postCheckout(fixture, coffeeCheckout(fixture, 1))
    const first = await json<{ data: { id: string }[]; next_cursor: string }>(
      await call('/api/v1/commerce/orders?status=paid&limit=2'),
      200,
    )
    expect(first.data.map((o) => o.id)).toEqual([ids[2], ids[1]])
    const second = await json<{ data: { id: string }[]; next_cursor: null }>(
      await call(`/api/v1/commerce/orders?status=paid&limit=2&cursor=${first.next_cursor}`),
      200,
    )
    expect(second).toEqual({ data: [expect.objectContaining({ id: ids[0] })], next_cursor: null })
    expect((await call('/api/v1/commerce/orders?cursor=forged')).status).toBe(400)
    expect((await call('/api/v1/commerce/orders?status=lost')).status).toBe(400)
    const other = await shopSetup(db, { env })
    const foreign = await paidOrder(other)
    expect((await call(`/api/v1/commerce/orders/${foreign}`)).status).toBe(404)
    expect(
      (
        await call(`/api/v1/commerce/orders/${foreign}/transitions`, {
          method: 'POST',
          json: { to: 'accepted' },
        })
      ).status,
    ).toBe(404)
  })
})
