import { bodyLimit } from 'hono/body-limit'
import { z } from 'zod'
import { parseWebhookSecrets, verifyStandardWebhook } from '../../auth/standard-webhooks.ts'
import { ConfigError } from '../../config.ts'
import type { App } from '../../env.ts'
import { ApiError, notFound } from '../../errors.ts'
import { snake } from '../../http.ts'
import { applyPaymentEvent } from '../../services/commerce/payments.ts'
import { TENANT_SLUG } from '../../services/commerce/storefront.ts'

const LIMIT_BYTES = 16 * 1024
const TOLERANCE_SECONDS = 5 * 60

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
    const services = c.var.caller.services
    const configured = services.config.PAYMENTS_WEBHOOK_SECRETS
    if (!configured.trim())
      throw new ApiError(503, 'WEBHOOK_NOT_CONFIGURED', 'Payment webhooks are not configured.')
    let secrets: Uint8Array[]
    try {
      secrets = parseWebhookSecrets(configured)
    } catch {
      throw new ConfigError(['PAYMENTS_WEBHOOK_SECRETS'])
    }
    const body = await c.req.text()
    const deliveryId = c.req.header('webhook-id') ?? null
    const verdict = await verifyStandardWebhook(
      {
        id: deliveryId,
        timestamp: c.req.header('webhook-timestamp') ?? null,
        signature: c.req.header('webhook-signature') ?? null,
        body,
      },
      secrets,
      { toleranceSeconds: TOLERANCE_SECONDS },
    )
    if (!verdict.ok)
      throw verdict.reason === 'stale_timestamp'
        ? new ApiError(401, 'STALE_TIMESTAMP', 'The webhook timestamp is outside the 5-minute tolerance.')
        : new ApiError(401, 'INVALID_SIGNATURE', 'The webhook signature is missing or not valid.')
    if (!deliveryId || deliveryId.length > 200)
      throw new ApiError(400, 'INVALID_WEBHOOK_ID', 'webhook-id must be 1 to 200 characters.')
    const slug = c.req.param('tenantSlug')
    if (!TENANT_SLUG.test(slug)) throw notFound('store')
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      throw new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.')
    }
    const parsed = paymentNotification.safeParse(json)
    if (!parsed.success)
      throw new ApiError(400, 'VALIDATION_FAILED', 'The event has invalid fields.', {
        fields: parsed.error.issues.map((issue) => ({
          path: ['json', ...issue.path.map(String)].join('.'),
          message: issue.message,
        })),
      })
    const outcome = await applyPaymentEvent(services, c.var.caller.meta, slug, deliveryId, {
      providerPaymentId: parsed.data.data.id,
      status: parsed.data.data.status,
    })
    return c.json(snake(outcome), 200)
  })
}
