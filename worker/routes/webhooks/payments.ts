import { bodyLimit } from 'hono/body-limit'
import { z } from 'zod'
import type { App } from '../../env.ts'
import { ApiError, notFound } from '../../errors.ts'
import { snake } from '../../http.ts'
import { applyPaymentEvent } from '../../services/commerce/payments.ts'
import { TENANT_SLUG } from '../../services/commerce/storefront.ts'
import { readSignedEvent } from './signed.ts'

const LIMIT_BYTES = 16 * 1024

/**
 * The payment provider's notification: `{ action: "payment.updated", data: { id, status } }`,
 * the payment's id and status at the provider (Mercado Pago's `data.id`, with the status it
 * reports), signed in the Standard Webhooks style as the billing webhook is.
 */
const paymentNotification = z.object({
  action: z.literal('payment.updated'),
  data: z.object({
    id: z.union([z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), z.number().int().positive()]).transform(String),
    status: z.enum(['approved', 'rejected', 'cancelled', 'refunded']),
  }),
})

const limit = bodyLimit({
  maxSize: LIMIT_BYTES,
  onError: () => {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The body exceeds ${LIMIT_BYTES} bytes.`)
  },
})

export function registerPaymentsWebhook(app: App) {
  /**
   * Payment updates for one tenant's orders. Signature first, over the raw bytes (several secrets
   * accepted, 5-minute tolerance), then the event is applied once per `webhook-id`.
   */
  app.post('/webhooks/payments/:tenantSlug', limit, async (c) => {
    const { deliveryId, event } = await readSignedEvent(c, 'PAYMENTS_WEBHOOK_SECRETS', paymentNotification)
    const slug = c.req.param('tenantSlug')
    if (!TENANT_SLUG.test(slug)) throw notFound('store')
    const outcome = await applyPaymentEvent(c.var.caller.services, c.var.caller.meta, slug, deliveryId, {
      providerPaymentId: event.data.id,
      status: event.data.status,
    })
    return c.json(snake(outcome), 200)
  })
}
