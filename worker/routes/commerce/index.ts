import type { App } from '../../env.ts'
import { registerCommerceCampaigns } from './campaigns.ts'
import { registerCommerceOrders } from './orders.ts'
import { registerCommerceProducts } from './products.ts'
import { registerCommerceStores } from './stores.ts'

/** The commerce module's staff API (docs/commerce.md); the public storefront API is in routes/shop. */
export function registerCommerceRoutes(app: App) {
  registerCommerceStores(app)
  registerCommerceProducts(app)
  registerCommerceOrders(app)
  registerCommerceCampaigns(app)
}
