import { beforeAll, describe, expect, it } from 'vitest'
import {
  mercadoPagoSecrets,
  signatureManifest,
  signMercadoPago,
  verifyMercadoPago,
} from '../../../worker/connectors/payments/mercadopago-webhook.ts'
import {
  coffeeCheckout,
  paymentWebhook,
  postCheckout,
  type ShopFixture,
  shopSetup,
} from '../../helpers/commerce.ts'
import { captureQueue, createTestDatabase, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
import { errorCode } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
let env: TestBindings
beforeAll(async () => {
  db = await createTestDatabase()
  env = { ...db.env, API_RATE_LIMITER: undefined, JOBS: captureQueue().queue } as unknown as TestBindings
})

/** An order of 2 coffees waiting for its PIX, and the payment's id at the provider. */
async function pendingOrder(fixture: ShopFixture) {
  const placed = await postCheckout(fixture, coffeeCheckout(fixture, 2))
  expect(placed.status).toBe(201)
  const { order_id: orderId } = (await placed.json()) as { order_id: string }
  const [row] = await db.owner<{ provider_payment_id: string }>(
    'select provider_payment_id from commerce_payments where order_id = $1',
    [orderId],
  )
  return { orderId, paymentId: row?.provider_payment_id as string }
}

const orderStatus = async (orderId: string) =>
  (await db.owner<{ status: string }>('select status from commerce_orders where id = $1', [orderId]))[0]
    ?.status
const eventsOf = async (orderId: string) =>
  (
    await db.owner<{ n: number }>(
      `select count(*)::int as n from commerce_payment_events e join commerce_payments p on p.id = e.payment_id where p.order_id = $1`,
      [orderId],
    )
  )[0]?.n

describe('Mercado Pago’s x-signature', () => {
  it('signs the documented manifest: id (lower-cased when alphanumeric), request-id, ts; absent parts left out', async () => {
    // Expected values computed outside this code (Python's hmac, SHA-256, hex) for these inputs.
    expect(
      await signMercadoPago('your-secret', {
        dataId: '123456',
        requestId: 'bb56a2f1-6aae-46ac-982e-9dcd3581d08e',
        ts: '1704908010',
      }),
    ).toBe('ts=1704908010,v1=897e4529674d28e1327c0753aebd6f38d6792b0727d93ffe3fcfcc2181ff03ca')
    expect(signatureManifest({ dataId: 'ABC123def', requestId: 'r-1', ts: '1704908010' })).toBe(
      'id:abc123def;request-id:r-1;ts:1704908010;',
    )
    expect(
      await signMercadoPago('your-secret', { dataId: 'ABC123def', requestId: 'r-1', ts: '1704908010' }),
    ).toBe('ts=1704908010,v1=0be9e8c7a1a9b8053c343aea835cbd4c2f851ece9835ce21768af5fb1c9bdbba')
    expect(await signMercadoPago('your-secret', { dataId: null, requestId: 'r-1', ts: '1704908010' })).toBe(
      'ts=1704908010,v1=72c117668bbc65c944627999c1ce339611d066c4ee63fb8778b89612ac92b546',
    )
  })

  it('verifies with any configured secret, in seconds or milliseconds, within 5 minutes only', async () => {
    const now = 1_704_908_010_000
    const input = { dataId: '123456', requestId: 'req-1' }
    const options = { toleranceSeconds: 300, now }
    const signed = await signMercadoPago('old', { ...input, ts: String(now) })
    expect(await verifyMercadoPago({ ...input, signature: signed }, ['new', 'old'], options)).toMatchObject({
      ok: true,
    })
    const inSeconds = await signMercadoPago('new', { ...input, ts: String(now / 1000 - 299) })
    expect(await verifyMercadoPago({ ...input, signature: inSeconds }, ['new'], options)).toMatchObject({
      ok: true,
    })
    const old = await signMercadoPago('new', { ...input, ts: String(now / 1000 - 301) })
    expect(await verifyMercadoPago({ ...input, signature: old }, ['new'], options)).toEqual({
      ok: false,
      reason: 'stale',
    })
    expect(await verifyMercadoPago({ ...input, signature: signed }, ['new'], options)).toEqual({
      ok: false,
      reason: 'mismatch',
    })
    // The signature of one payment does not stand for another.
    expect(
      await verifyMercadoPago({ ...input, dataId: '654321', signature: signed }, ['old'], options),
    ).toMatchObject({ ok: false, reason: 'mismatch' })
    for (const signature of [null, ''])
      expect(await verifyMercadoPago({ ...input, signature }, ['old'], options)).toMatchObject({ ok: false })
    for (const signature of ['ts=abc,v1=00', 'v1=' + 'a'.repeat(64), `ts=${now}`, 'garbage'])
      expect(await verifyMercadoPago({ ...input, signature }, ['old'], options)).toEqual({
        ok: false,
        reason: 'malformed',
      })
  })
})

describe('POST /webhooks/payments/:tenantSlug (Mercado Pago notifications)', () => {
  it('reads the status back from the provider and applies it once per payment and status', async () => {
    const fixture = await shopSetup(db, { env })
    const { orderId, paymentId } = await pendingOrder(fixture)
    // The provider still says pending: nothing settles, whatever the notification.
    const early = await paymentWebhook(env, fixture.tenant.slug, { id: paymentId, status: 'pending' })
    expect(early.status).toBe(200)
    expect(await early.json()).toMatchObject({ applied: false })
    expect(await orderStatus(orderId)).toBe('pending_payment')

    const paid = await paymentWebhook(env, fixture.tenant.slug, { id: paymentId, status: 'approved' })
    expect(await paid.json()).toMatchObject({ applied: true, duplicate: false, order_status: 'paid' })
    // A redelivery (same request id) and a second notice of the same status change nothing.
    for (const deliveryId of [undefined, 'another-request']) {
      const again = await paymentWebhook(
        env,
        fixture.tenant.slug,
        { id: paymentId, status: 'approved' },
        deliveryId ? { deliveryId } : {},
      )
      expect(await again.json()).toMatchObject({ applied: false, duplicate: true, order_status: 'paid' })
    }
    expect(await eventsOf(orderId)).toBe(1)
    const [sold] = await db.owner<{ n: number }>(
      `select count(*)::int as n from commerce_stock_movements where order_id = $1 and kind = 'sale'`,
      [orderId],
    )
    expect(sold?.n).toBe(1)
  })

  it('refuses a missing, forged, malformed or old signature with 401 in the envelope, applying nothing', async () => {
    const fixture = await shopSetup(db, { env })
    const { orderId, paymentId } = await pendingOrder(fixture)
    const approved = { id: paymentId, status: 'approved' }
    const refusals = [
      { signature: null, code: 'INVALID_SIGNATURE' },
      { signature: 'ts=1,v1=zz', code: 'INVALID_SIGNATURE' },
      { secret: 'not-the-secret', code: 'INVALID_SIGNATURE' },
      { timestamp: Math.floor(Date.now() / 1000) - 600, code: 'STALE_TIMESTAMP' },
      { timestamp: Math.floor(Date.now() / 1000) + 600, code: 'STALE_TIMESTAMP' },
    ]
    for (const { code, ...options } of refusals) {
      const refused = await paymentWebhook(env, fixture.tenant.slug, approved, options)
      expect(refused.status).toBe(401)
      const body = (await refused.clone().json()) as { error: { requestId: string } }
      expect(body.error.requestId).toBe(refused.headers.get('x-request-id'))
      expect(await errorCode(refused)).toBe(code)
    }
    expect(await orderStatus(orderId)).toBe('pending_payment')
    expect(await eventsOf(orderId)).toBe(0)
  })

  it('trusts only the signed id: a body naming another payment is 400, a bad body 400, another shop’s payment 404', async () => {
    const fixture = await shopSetup(db, { env })
    const other = await shopSetup(db, { env })
    const { orderId, paymentId } = await pendingOrder(fixture)
    const theirs = await pendingOrder(other)
    const [secret] = mercadoPagoSecrets(env.PAYMENTS_WEBHOOK_SECRETS ?? '')
    const post = async (dataId: string, body: string) =>
      callWorker(env, `/webhooks/payments/${fixture.tenant.slug}?data.id=${dataId}&type=payment`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': 'req-x',
          'x-signature': await signMercadoPago(secret as string, {
            dataId,
            requestId: 'req-x',
            ts: String(Date.now()),
          }),
        },
        body,
      })
    const mismatch = await post(
      paymentId,
      JSON.stringify({ type: 'payment', data: { id: theirs.paymentId } }),
    )
    expect(mismatch.status).toBe(400)
    const garbage = await post(paymentId, '{not json')
    expect(garbage.status).toBe(400)
    // Another topic is acknowledged and ignored.
    const merchantOrder = await post(
      paymentId,
      JSON.stringify({ type: 'merchant_order', data: { id: paymentId } }),
    )
    expect(merchantOrder.status).toBe(200)
    expect(await merchantOrder.json()).toMatchObject({ applied: false })
    // Another shop's payment, approved at the provider, under this shop's address.
    await paymentWebhook(env, other.tenant.slug, { id: theirs.paymentId, status: 'pending' })
    const crossShop = await paymentWebhook(env, fixture.tenant.slug, {
      id: theirs.paymentId,
      status: 'approved',
    })
    expect(crossShop.status).toBe(404)
    expect(await orderStatus(theirs.orderId)).toBe('pending_payment')
    expect(await orderStatus(orderId)).toBe('pending_payment')
  })

  it('is off (503) without a secret', async () => {
    const fixture = await shopSetup(db, { env: { ...env, PAYMENTS_WEBHOOK_SECRETS: '' } as TestBindings })
    const { paymentId } = await pendingOrder(fixture)
    const off = await paymentWebhook(
      { ...env, PAYMENTS_WEBHOOK_SECRETS: '' } as TestBindings,
      fixture.tenant.slug,
      { id: paymentId, status: 'approved' },
      { secret: 'anything' },
    )
    expect(off.status).toBe(503)
    expect(await errorCode(off)).toBe('WEBHOOK_NOT_CONFIGURED')
  })
})
