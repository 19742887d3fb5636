import { expect } from 'vitest'
import { newId } from '../../db/ids.ts'
import { mercadoPagoSecrets, signMercadoPago } from '../../worker/connectors/payments/mercadopago-webhook.ts'
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

/**
 * The provider's notification that a payment changed, as Mercado Pago sends it: the payment takes
 * `event.status` at the fake provider (where the webhook reads it back), then the notification is
 * posted with `?data.id=`, `x-request-id` (`deliveryId`) and `x-signature` under the test secret
 * (or `secret`), timed `timestamp` (seconds; now by default); `signature` replaces the header
 * (`null` leaves it out).
 */
export async function paymentWebhook(
  env: TestBindings,
  slug: string,
  event: { id: string; status: string },
  options: { deliveryId?: string; timestamp?: number; secret?: string; signature?: string | null } = {},
) {
  // A payment the fake does not know stays unknown there (the webhook then reads a 404).
  await fetch(`${env.TEST_FAKE_PLATFORMS_URL}/mercadopago/__control/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  })
  const requestId = options.deliveryId ?? crypto.randomUUID()
  const ts = String((options.timestamp ?? Math.floor(Date.now() / 1000)) * 1000)
  const [secret] = mercadoPagoSecrets(options.secret ?? env.PAYMENTS_WEBHOOK_SECRETS ?? '')
  const signature =
    options.signature === undefined
      ? await signMercadoPago(secret as string, { dataId: event.id, requestId, ts })
      : options.signature
  const headers = new Headers({ 'content-type': 'application/json', 'x-request-id': requestId })
  if (signature !== null) headers.set('x-signature', signature)
  return callWorker(env, `/webhooks/payments/${slug}?data.id=${event.id}&type=payment`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      action: 'payment.updated',
      type: 'payment',
      api_version: 'v1',
      data: { id: event.id },
    }),
  })
}

/** What the fake Mercado Pago received for an order: creation calls and payments made. */
export async function providerPayments(env: TestBindings, orderId: string) {
  const response = await fetch(
    `${env.TEST_FAKE_PLATFORMS_URL}/mercadopago/__control/payments?external_reference=${orderId}`,
  )
  return (await response.json()) as { calls: number; payments: { id: number }[] }
}

/** A pickup order of `quantity` coffees placed through the storefront API and paid through the webhook. */
export async function paidOrder(env: TestBindings, db: TestDatabase, fixture: ShopFixture, quantity = 1) {
  const placed = await postCheckout(fixture, coffeeCheckout(fixture, quantity))
  if (placed.status !== 201) throw new Error(`checkout answered ${placed.status}: ${await placed.text()}`)
  const { order_id: orderId } = (await placed.json()) as { order_id: string }
  const [payment] = await db.owner<{ provider_payment_id: string }>(
    'select provider_payment_id from commerce_payments where order_id = $1',
    [orderId],
  )
  const paid = await paymentWebhook(env, fixture.tenant.slug, {
    id: payment?.provider_payment_id as string,
    status: 'approved',
  })
  if (paid.status !== 200) throw new Error(`webhook answered ${paid.status}: ${await paid.text()}`)
  return orderId
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
