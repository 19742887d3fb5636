import type { App } from '../../env.ts'
import { registerBillingWebhook } from './billing.ts'
import { registerMetaWebhook } from './meta.ts'
import { registerMetaWebhookSettings } from './meta-settings.ts'
import { registerPaymentsWebhook } from './payments.ts'

/** Incoming webhooks: authenticated by their signatures, not by a principal. */
export function registerWebhookRoutes(app: App) {
  registerBillingWebhook(app)
  registerMetaWebhook(app)
  registerMetaWebhookSettings(app)
  // Commerce: the payment provider's updates of orders' payments.
  registerPaymentsWebhook(app)
}
