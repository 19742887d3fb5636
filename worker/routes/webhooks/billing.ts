import { bodyLimit } from 'hono/body-limit'
import type { App } from '../../env.ts'
import { ApiError } from '../../errors.ts'
import { snake } from '../../http.ts'
import { applyBillingEvent } from '../../services/billing/apply-event.ts'
import { billingEvent } from '../../services/billing/events.ts'
import { readSignedEvent } from './signed.ts'

/** Billing events are small; anything larger is not one of ours. */
export const BILLING_BODY_LIMIT_BYTES = 64 * 1024
const limit = bodyLimit({
  maxSize: BILLING_BODY_LIMIT_BYTES,
  onError: () => {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The body exceeds ${BILLING_BODY_LIMIT_BYTES} bytes.`)
  },
})

export function registerBillingWebhook(app: App) {
  /**
   * License changes from the billing provider, signed in the Standard Webhooks style. The
   * signature covers the raw bytes, so the body is read as text and verified before it is
   * parsed; nothing is read from an unauthenticated body.
   */
  app.post('/webhooks/billing', limit, async (c) => {
    const { deliveryId, event } = await readSignedEvent(c, 'BILLING_WEBHOOK_SECRETS', billingEvent)
    const outcome = await applyBillingEvent(c.var.caller.services, c.var.caller.meta, { deliveryId, event })
    return c.json(snake(outcome), 200)
  })
}
