import { expect } from 'vitest'
import { newId } from '../../db/ids.ts'
import { parseWebhookSecrets, signStandardWebhook } from '../../worker/auth/standard-webhooks.ts'
import type { TestBindings, TestDatabase } from './env.ts'
import { as, createMember, createTenant, login, type TenantFixture } from './fixtures.ts'
import { callWorker } from './worker.ts'

/** A store at Avenida Paulista (São Paulo), delivering up to 3 km for R$ 5 and 8 km for R$ 9. */
export const STORE_POINT = { latitude: -23.5614, longitude: -46.6559 }
/** CEPs the fake geocoder places (db/local/fakes/geocoding.ts): Rua Augusta, about 1.1 km from the store. */
export const NEAR_CEP = '01305-000'
/** Guarulhos airport, about 35 km away: out of range. */
export const FAR_CEP = '07190-100'

export type ShopFixture = {
  tenant: TenantFixture
  storeId: string
  /** Plain, R$ 10.00, 100 on hand. */
  coffee: string
  /** R$ 20.00 with a required size (one of two, +R$ 0 or +R$ 5) and up to 2 extras (+R$ 2 each). */
  pizza: string
  sizes: { small: string; large: string }
  extras: { cheese: string; olives: string; bacon: string }
  /** Inactive product. */
  retired: string
  shop: (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>
}

/** A tenant with the commerce module, one open store with hours unset (always open), a catalog and bands. */
export async function shopSetup(
  db: TestDatabase,
  options: { env?: TestBindings; modules?: string[]; store?: Record<string, unknown> } = {},
): Promise<ShopFixture> {
  const tenant = await createTenant(db, { modules: options.modules ?? ['commerce'] })
  const t = tenant.tenantId
  const storeId = newId('sto')
  const store = {
    name: 'Loja Paulista',
    street: 'Av. Paulista, 1000',
    city: 'São Paulo',
    state: 'SP',
    cep: '01310100',
    ...STORE_POINT,
    minimum_order_cents: 0,
    preorder_when_closed: false,
    status: 'open',
    opening_hours: {},
    ...options.store,
  }
  await db.owner(
    `insert into commerce_stores (id, tenant_id, name, street, city, state, cep, latitude, longitude, minimum_order_cents,
       preorder_when_closed, status, opening_hours)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      storeId,
      t,
      store.name,
      store.street,
      store.city,
      store.state,
      store.cep,
      store.latitude,
      store.longitude,
      store.minimum_order_cents,
      store.preorder_when_closed,
      store.status,
      JSON.stringify(store.opening_hours),
    ],
  )
  const [coffee, pizza, retired] = [newId('prd'), newId('prd'), newId('prd')]
  await db.owner(
    `insert into commerce_products (id, tenant_id, name, price_cents, active) values
       ($1, $4, 'Café', 1000, true), ($2, $4, 'Pizza', 2000, true), ($3, $4, 'Antigo', 500, false)`,
    [coffee, pizza, retired, t],
  )
  await db.owner(
    `insert into commerce_stock (tenant_id, store_id, product_id, on_hand) values ($1, $2, $3, 100), ($1, $2, $4, 100), ($1, $2, $5, 100)`,
    [t, storeId, coffee, pizza, retired],
  )
  const [size, extra] = [newId('opg'), newId('opg')]
  await db.owner(
    `insert into commerce_option_groups (id, tenant_id, product_id, name, min_choices, max_choices) values
       ($1, $3, $4, 'Tamanho', 1, 1), ($2, $3, $4, 'Extras', 0, 2)`,
    [size, extra, t, pizza],
  )
  const sizes = { small: newId('opt'), large: newId('opt') }
  const extras = { cheese: newId('opt'), olives: newId('opt'), bacon: newId('opt') }
  await db.owner(
    `insert into commerce_options (id, tenant_id, group_id, name, price_delta_cents) values
       ($1, $3, $4, 'Média', 0), ($2, $3, $4, 'Grande', 500),
       ($5, $3, $6, 'Queijo', 200), ($7, $3, $6, 'Azeitona', 200), ($8, $3, $6, 'Bacon', 200)`,
    [sizes.small, sizes.large, t, size, extras.cheese, extra, extras.olives, extras.bacon],
  )
  await db.owner(
    `insert into commerce_shipping_bands (id, tenant_id, store_id, max_km, price_cents) values ($1, $3, $4, 3, 500), ($2, $3, $4, 8, 900)`,
    [newId('shb'), newId('shb'), t, storeId],
  )
  const env = options.env ?? db.env
  const shop = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers)
    if (!headers.has('x-tenant')) headers.set('x-tenant', tenant.slug)
    let body = init.body
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json')
      body = JSON.stringify(init.json)
    }
    return callWorker(env, `/shop-api/v1${path}`, { ...init, headers, body })
  }
  return { tenant, storeId, coffee, pizza, sizes, extras, retired, shop }
}

let keys = 0
/** A checkout body for `quantity` coffees, picked up (no shipping): R$ 10 each. */
export function coffeeCheckout(fixture: ShopFixture, quantity = 1, extra: Record<string, unknown> = {}) {
  return {
    store_id: fixture.storeId,
    fulfilment: 'pickup',
    items: [{ product_id: fixture.coffee, quantity }],
    customer: { name: 'Maria Silva', phone: '11 91234-5678', email: 'maria@example.test' },
    expected: { shipping_cents: 0, total_cents: 1000 * quantity },
    ...extra,
  }
}

export const idempotencyKey = () => `key-${crypto.randomUUID()}-${++keys}`

export async function postCheckout(fixture: ShopFixture, body: unknown, key = idempotencyKey()) {
  return fixture.shop('/checkout', { method: 'POST', json: body, headers: { 'idempotency-key': key } })
}

/** A payment webhook delivery signed with the test secret, as the provider would send it. */
export async function paymentWebhook(
  env: TestBindings,
  slug: string,
  event: { id: string; status: string },
  options: { deliveryId?: string; timestamp?: number; secret?: string } = {},
) {
  const body = JSON.stringify({ action: 'payment.updated', data: event })
  const id = options.deliveryId ?? `evt_${crypto.randomUUID()}`
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000)
  const [secret] = parseWebhookSecrets(options.secret ?? env.PAYMENTS_WEBHOOK_SECRETS ?? '')
  const signature = await signStandardWebhook(id, timestamp, body, secret as Uint8Array)
  return callWorker(env, `/webhooks/payments/${slug}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    },
    body,
  })
}

/** What the fake Mercado Pago received for an order: creation calls and payments made. */
export async function providerPayments(env: TestBindings, orderId: string) {
  const response = await fetch(
    `${env.TEST_FAKE_PLATFORMS_URL}/mercadopago/__control/payments?external_reference=${orderId}`,
  )
  return (await response.json()) as { calls: number; payments: { id: number }[] }
}

/** An API caller signed in as a new member of `tenantId` with `role`, against `env`. */
export async function staffCaller(
  db: TestDatabase,
  env: TestBindings,
  tenantId: string,
  role: 'owner' | 'admin' | 'analyst' | 'viewer' = 'owner',
) {
  const member = await createMember(db, tenantId, role)
  return as({ ...db, env }, (await login(db, member.email)).access_token)
}

/** The body of a response that must have `status` (the body is the failure's message otherwise). */
export async function jsonOf<T = Record<string, unknown>>(response: Response, status: number): Promise<T> {
  const text = await response.text()
  expect(response.status, text).toBe(status)
  return JSON.parse(text) as T
}
