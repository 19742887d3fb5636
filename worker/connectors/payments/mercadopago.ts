import { z } from 'zod'
import type { Config } from '../../config.ts'
import { ApiError } from '../../errors.ts'
import { platformHttp } from '../http.ts'

/**
 * The payment provider port, spoken as Mercado Pago's Payments API (`POST /v1/payments`,
 * https://www.mercadopago.com.br/developers/en/reference/payments/_payments/post): PIX is its
 * native Brazilian method, answered with the "copia e cola" EMV payload and its expiry, and it
 * honours `X-Idempotency-Key`, so the checkout's retried call never charges twice. The local fake
 * (db/local/fakes/mercadopago.ts) speaks the same shapes.
 */
export type PixRequest = {
  amountCents: number
  description: string
  /** Our order id: the provider's `external_reference`, and the idempotency key of the call. */
  orderId: string
  payerEmail: string
  expiresAt: Date
}

export type PixPayment = {
  providerPaymentId: string
  status: 'pending' | 'approved' | 'rejected' | 'cancelled'
  pixCode: string
  expiresAt: Date
}

export const PAYMENT_PROVIDER = 'mercadopago'

const created = z.object({
  id: z.union([z.number(), z.string()]).transform(String),
  status: z.enum(['pending', 'approved', 'rejected', 'cancelled', 'in_process', 'authorized']),
  date_of_expiration: z.string(),
  point_of_interaction: z.object({ transaction_data: z.object({ qr_code: z.string().min(1) }) }),
})

const unavailable = () =>
  new ApiError(503, 'PAYMENT_UNAVAILABLE', 'The payment provider is unavailable; retry with the same key.', {
    headers: { 'Retry-After': '5' },
  })

/** Creates a PIX charge. Any failure is 503 PAYMENT_UNAVAILABLE: the same checkout may be retried. */
export async function createPixPayment(config: Config, request: PixRequest): Promise<PixPayment> {
  if (!config.PAYMENTS_ACCESS_TOKEN) throw unavailable()
  const http = platformHttp({
    baseUrl: config.PAYMENTS_API_URL,
    timeoutMs: config.PLATFORM_TIMEOUT_MS,
    budget: 2,
  })
  const response = await http
    .fetch('v1/payments', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${config.PAYMENTS_ACCESS_TOKEN}`,
        'content-type': 'application/json',
        'x-idempotency-key': `order-${request.orderId}`,
      },
      body: JSON.stringify({
        transaction_amount: request.amountCents / 100,
        description: request.description,
        payment_method_id: 'pix',
        external_reference: request.orderId,
        date_of_expiration: request.expiresAt.toISOString(),
        payer: { email: request.payerEmail },
      }),
    })
    .catch(() => {
      throw unavailable()
    })
  if (!response.ok) throw unavailable()
  const parsed = created.safeParse(await response.json().catch(() => null))
  if (!parsed.success) throw unavailable()
  const body = parsed.data
  return {
    providerPaymentId: body.id,
    status: body.status === 'approved' ? 'approved' : body.status === 'rejected' ? 'rejected' : 'pending',
    pixCode: body.point_of_interaction.transaction_data.qr_code,
    expiresAt: new Date(body.date_of_expiration),
  }
}

/** The statuses a payment notification acts on; the provider's others (in process…) change nothing. */
export type SettledStatus = 'approved' | 'rejected' | 'cancelled' | 'refunded'

const read = z.object({
  id: z.union([z.number(), z.string()]).transform(String),
  status: z.string(),
})

/**
 * A payment's status at the provider (`GET /v1/payments/{id}`): Mercado Pago's notifications carry
 * only the payment's id, so the status is read back, from the provider itself, after the
 * notification's signature checked out. `null` for a status that settles nothing yet (pending, in
 * process, authorized); a charge-back counts as refunded. Any failure is 503, so the provider retries.
 */
export async function readPaymentStatus(
  config: Config,
  providerPaymentId: string,
): Promise<SettledStatus | null> {
  if (!config.PAYMENTS_ACCESS_TOKEN) throw unavailable()
  const http = platformHttp({
    baseUrl: config.PAYMENTS_API_URL,
    timeoutMs: config.PLATFORM_TIMEOUT_MS,
    budget: 2,
  })
  const response = await http
    .fetch(`v1/payments/${encodeURIComponent(providerPaymentId)}`, {
      headers: { authorization: `Bearer ${config.PAYMENTS_ACCESS_TOKEN}` },
    })
    .catch(() => {
      throw unavailable()
    })
  if (response.status === 404) return null
  if (!response.ok) throw unavailable()
  const parsed = read.safeParse(await response.json().catch(() => null))
  if (!parsed.success || parsed.data.id !== providerPaymentId) throw unavailable()
  const status = parsed.data.status
  if (status === 'approved' || status === 'rejected' || status === 'cancelled' || status === 'refunded')
    return status
  return status === 'charged_back' ? 'refunded' : null
}
