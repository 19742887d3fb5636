import type { App } from '../../app.ts'
import { registerBillingWebhook } from './billing.ts'

/** Incoming webhooks: authenticated by their signatures, not by a principal. */
export function registerWebhookRoutes(app: App) {
  registerBillingWebhook(app)
}
