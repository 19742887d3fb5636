import { bodyLimit } from 'hono/body-limit'
import { parseWebhookSecrets, verifyStandardWebhook } from '../../auth/standard-webhooks.ts'
import { type Config, ConfigError } from '../../config.ts'
import type { App } from '../../env.ts'
import { ApiError } from '../../errors.ts'
import { snake } from '../../http.ts'
import { applyBillingEvent } from '../../services/billing/apply-event.ts'
import { type BillingEvent, billingEvent } from '../../services/billing/events.ts'

/** Billing events are small; anything larger is not one of ours. */
export const BILLING_BODY_LIMIT_BYTES = 64 * 1024
/** Longer than any provider's message id; the id is stored as the idempotency key. */
const MAX_DELIVERY_ID_LENGTH = 200
const TOLERANCE_SECONDS = 5 * 60

const limit = bodyLimit({
  maxSize: BILLING_BODY_LIMIT_BYTES,
  onError: () => {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The body exceeds ${BILLING_BODY_LIMIT_BYTES} bytes.`)
  },
})

/** The accepted secrets, newest first; none configured means the endpoint is switched off. */
function billingSecrets(config: Config): Uint8Array[] {
  if (!config.BILLING_WEBHOOK_SECRETS.trim()) {
    throw new ApiError(503, 'WEBHOOK_NOT_CONFIGURED', 'Billing webhooks are not configured.')
  }
  try {
    return parseWebhookSecrets(config.BILLING_WEBHOOK_SECRETS)
  } catch {
    // The message names the entry but is still about a secret: report the variable only.
    throw new ConfigError(['BILLING_WEBHOOK_SECRETS'])
  }
}

/** JSON.parse, then the event schema; both failures are the sender's and answer 400. */
function parseEvent(body: string): BillingEvent {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    throw new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.')
  }
  const result = billingEvent.safeParse(json)
  if (!result.success) {
    throw new ApiError(400, 'VALIDATION_FAILED', 'The event has invalid fields.', {
      fields: result.error.issues.map((issue) => ({
        path: ['json', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    })
  }
  return result.data
}

export function registerBillingWebhook(app: App) {
  /**
   * License changes from the billing provider, signed in the Standard Webhooks style. The
   * signature covers the raw bytes, so the body is read as text and verified before it is
   * parsed; nothing is read from an unauthenticated body.
   */
  app.post('/webhooks/billing', limit, async (c) => {
    const services = c.var.caller.services
    const secrets = billingSecrets(services.config)
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
    if (!verdict.ok) {
      throw verdict.reason === 'stale_timestamp'
        ? new ApiError(401, 'STALE_TIMESTAMP', 'The webhook timestamp is outside the 5-minute tolerance.')
        : new ApiError(401, 'INVALID_SIGNATURE', 'The webhook signature is missing or not valid.')
    }
    if (!deliveryId || deliveryId.length > MAX_DELIVERY_ID_LENGTH) {
      throw new ApiError(
        400,
        'INVALID_WEBHOOK_ID',
        `webhook-id must be 1 to ${MAX_DELIVERY_ID_LENGTH} characters.`,
      )
    }
    const outcome = await applyBillingEvent(services, c.var.caller.meta, {
      deliveryId,
      event: parseEvent(body),
    })
    return c.json(snake(outcome), 200)
  })
}
