import { bodyLimit } from 'hono/body-limit'
import { z } from 'zod'
import { readPaymentStatus } from '../../connectors/payments/mercadopago.ts'
import { mercadoPagoSecrets, verifyMercadoPago } from '../../connectors/payments/mercadopago-webhook.ts'
import type { App } from '../../env.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { snake } from '../../http.ts'
import { applyPaymentEvent } from '../../services/commerce/payments.ts'
import { TENANT_SLUG } from '../../services/commerce/storefront.ts'

const LIMIT_BYTES = 16 * 1024
const TOLERANCE_SECONDS = 5 * 60
const PAYMENT_ID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * Mercado Pago's notification body: `{ action: "payment.updated", type: "payment", data: { id } }`
 * (other topics, such as merchant orders, are acknowledged and ignored). It carries no status.
 */
const notification = z.object({
  type: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  data: z.object({ id: z.union([z.string(), z.number().int().nonnegative()]).transform(String) }).optional(),
})

const limit = bodyLimit({
  maxSize: LIMIT_BYTES,
  onError: () => {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The body exceeds ${LIMIT_BYTES} bytes.`)
  },
})

export function registerPaymentsWebhook(app: App) {
  /**
   * Payment notifications for one tenant's orders, as Mercado Pago sends them
   * (`?data.id=<payment>&type=payment`, signed in `x-signature`). The signature is checked first,
   * nothing is read before it; then the payment's status is read back from the provider with no
   * transaction open, and applied once per (payment, status): a redelivery, or a second notice of
   * the same status, changes nothing.
   */
  app.post('/webhooks/payments/:tenantSlug', limit, async (c) => {
    const services = c.var.caller.services
    const secrets = mercadoPagoSecrets(services.config.PAYMENTS_WEBHOOK_SECRETS)
    if (secrets.length === 0)
      throw new ApiError(503, 'WEBHOOK_NOT_CONFIGURED', 'This webhook is not configured.')
    const dataId = c.req.query('data.id') ?? c.req.query('id') ?? null
    const verdict = await verifyMercadoPago(
      {
        signature: c.req.header('x-signature') ?? null,
        requestId: c.req.header('x-request-id') ?? null,
        dataId,
      },
      secrets,
      { toleranceSeconds: TOLERANCE_SECONDS },
    )
    if (!verdict.ok)
      throw verdict.reason === 'stale'
        ? new ApiError(401, 'STALE_TIMESTAMP', 'The webhook timestamp is outside the 5-minute tolerance.')
        : new ApiError(401, 'INVALID_SIGNATURE', 'The webhook signature is missing or not valid.')
    const slug = c.req.param('tenantSlug')
    if (!TENANT_SLUG.test(slug)) throw notFound('store')
    const body = notification.safeParse(await c.req.json().catch(() => null))
    if (!body.success) throw invalidField('json', 'A Mercado Pago notification object.')
    const topic = body.data.type ?? body.data.action?.split('.')[0]
    // Only the signed id is trusted; a body naming another payment is refused.
    if (topic !== 'payment') return c.json({ applied: false, duplicate: false, order_status: null }, 200)
    if (!dataId || !PAYMENT_ID.test(dataId) || (body.data.data && body.data.data.id !== dataId))
      throw invalidField('query.data.id', 'The notified payment’s id, as in the body.')
    const status = await readPaymentStatus(services.config, dataId)
    if (!status) return c.json({ applied: false, duplicate: false, order_status: null }, 200)
    const outcome = await applyPaymentEvent(services, c.var.caller.meta, slug, `mp:${dataId}:${status}`, {
      providerPaymentId: dataId,
      status,
    })
    return c.json(snake(outcome), 200)
  })
}
