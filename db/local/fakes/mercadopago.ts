import { Hono } from 'hono'
import {
  mercadoPagoSecrets,
  signMercadoPago,
} from '../../../worker/connectors/payments/mercadopago-webhook.ts'

/**
 * Mercado Pago's `POST /v1/payments` for PIX, mounted at `/mercadopago`, in its documented shape:
 * the payment's numeric `id`, `status: "pending"`, `date_of_expiration` and
 * `point_of_interaction.transaction_data.qr_code` (the "copia e cola" EMV payload). A bearer token
 * is required; `X-Idempotency-Key` answers the first payment again for the same key, as the real
 * API does, so a retried checkout makes one charge.
 *
 * - `GET /mercadopago/__control/payments?external_reference=…` lists the payments made for an
 *   order and how many creation calls arrived (tests count them).
 * - `POST /mercadopago/__control/fail {external_reference, times}` makes the next creations for
 *   that order answer 500.
 * - `POST /mercadopago/__control/status {id, status}` changes a payment's status, sending nothing.
 * - `GET /mercadopago/v1/payments/{id}` answers the payment with its current status (the webhook
 *   reads it back, as it must with the real notifications, which carry only the id).
 * - `POST /mercadopago/__control/pay {external_reference, url, secret, status?}` is the customer
 *   paying the PIX in their bank: the order's payment becomes `approved` (or `status`) and the
 *   notification is posted to `url` (the tenant's `/webhooks/payments/<slug>`) as Mercado Pago
 *   posts it: `?data.id=<id>&type=payment`, the body `{action, type, data: {id}}` without the
 *   status, `x-request-id`, and `x-signature` (`ts=…,v1=<HMAC-SHA256 hex>` of the manifest
 *   `id:<data.id>;request-id:<x-request-id>;ts:<ts>;` under `secret`, the first of a
 *   comma-separated list); answers the receiver's status.
 */
export const fakeMercadoPago = new Hono()

type Payment = {
  id: number
  status: 'pending' | 'approved' | 'rejected' | 'cancelled' | 'refunded'
  transaction_amount: number
  description: string
  external_reference: string
  date_of_expiration: string
  point_of_interaction: { transaction_data: { qr_code: string; qr_code_base64: string; ticket_url: string } }
}

const payments = new Map<string, Payment>()
const calls = new Map<string, number>()
const failures = new Map<string, number>()
let nextId = 1_300_000_000

/** An EMV "copia e cola" payload shaped like a PIX one (not a real key: nobody can pay it). */
function pixPayload(amount: number, reference: string): string {
  const value = amount.toFixed(2)
  return `00020126580014br.gov.bcb.pix0136fake-integra-${reference.slice(-12)}5204000053039865404${value.length}${value}5802BR5913INTEGRA DEMO6009SAO PAULO6304ABCD`
}

fakeMercadoPago.post('/v1/payments', async (c) => {
  if (!c.req.header('authorization')?.startsWith('Bearer '))
    return c.json({ message: 'unauthorized', error: 'unauthorized', status: 401, cause: [] }, 401)
  const body = (await c.req.json().catch(() => null)) as
    | (Partial<Payment> & { payment_method_id?: string })
    | null
  const reference = body?.external_reference ?? ''
  calls.set(reference, (calls.get(reference) ?? 0) + 1)
  const failing = failures.get(reference) ?? 0
  if (failing > 0) {
    failures.set(reference, failing - 1)
    return c.json({ message: 'internal_error', error: 'internal_error', status: 500, cause: [] }, 500)
  }
  if (body?.payment_method_id !== 'pix' || typeof body.transaction_amount !== 'number')
    return c.json({ message: 'invalid parameters', error: 'bad_request', status: 400, cause: [] }, 400)
  const key = c.req.header('x-idempotency-key')
  const known = key ? payments.get(key) : undefined
  if (known) return c.json(known, 201)
  const id = nextId++
  const payment: Payment = {
    id,
    status: 'pending',
    transaction_amount: body.transaction_amount,
    description: body.description ?? '',
    external_reference: reference,
    date_of_expiration: body.date_of_expiration ?? new Date(Date.now() + 30 * 60_000).toISOString(),
    point_of_interaction: {
      transaction_data: {
        qr_code: pixPayload(body.transaction_amount, reference),
        qr_code_base64: '',
        ticket_url: `https://www.mercadopago.com.br/payments/${id}/ticket`,
      },
    },
  }
  payments.set(key ?? String(id), payment)
  return c.json(payment, 201)
})

fakeMercadoPago.get('/v1/payments/:id', (c) => {
  if (!c.req.header('authorization')?.startsWith('Bearer '))
    return c.json({ message: 'unauthorized', error: 'unauthorized', status: 401, cause: [] }, 401)
  const payment = [...payments.values()].find((p) => String(p.id) === c.req.param('id'))
  if (!payment)
    return c.json({ message: 'Payment not found', error: 'not_found', status: 404, cause: [] }, 404)
  return c.json(payment)
})

fakeMercadoPago.get('/__control/payments', (c) => {
  const reference = c.req.query('external_reference') ?? ''
  return c.json({
    calls: calls.get(reference) ?? 0,
    payments: [...payments.values()].filter((p) => p.external_reference === reference),
  })
})

/** `{id, status}`: the payment's status changes at the provider, with no notification (tests send their own). */
fakeMercadoPago.post('/__control/status', async (c) => {
  const body = (await c.req.json()) as { id: string; status: Payment['status'] }
  const payment = [...payments.values()].find((p) => String(p.id) === body.id)
  if (!payment) return c.json({ error: 'unknown payment' }, 404)
  payment.status = body.status
  return c.json({ ok: true })
})

fakeMercadoPago.post('/__control/fail', async (c) => {
  const { external_reference, times } = (await c.req.json()) as { external_reference: string; times: number }
  failures.set(external_reference, times)
  return c.json({ ok: true })
})

fakeMercadoPago.post('/__control/pay', async (c) => {
  const body = (await c.req.json()) as {
    external_reference?: string
    url?: string
    secret?: string
    status?: Payment['status']
  }
  const payment = [...payments.values()].find((p) => p.external_reference === body.external_reference)
  if (!payment || !body.url || !body.secret)
    return c.json({ error: 'unknown payment, or no url/secret' }, 404)
  payment.status = body.status ?? 'approved'
  const [secret] = mercadoPagoSecrets(body.secret)
  if (!secret) return c.json({ error: 'no secret' }, 400)
  const dataId = String(payment.id)
  const requestId = crypto.randomUUID()
  const url = new URL(body.url)
  url.searchParams.set('data.id', dataId)
  url.searchParams.set('type', 'payment')
  const answer = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-request-id': requestId,
      'x-signature': await signMercadoPago(secret, { dataId, requestId, ts: String(Date.now()) }),
    },
    body: JSON.stringify({
      id: nextId++,
      live_mode: false,
      type: 'payment',
      date_created: new Date().toISOString(),
      api_version: 'v1',
      action: 'payment.updated',
      data: { id: dataId },
    }),
  })
  return c.json({ status: answer.status })
})
