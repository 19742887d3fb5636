import type { App } from '../../env.ts'
import { registerShopCheckout } from './checkout.ts'
import { registerShopOrders } from './orders.ts'
import { registerStorefrontGate } from './public.ts'
import { registerShopStores } from './stores.ts'

/** The public storefront API of the commerce module (docs/commerce.md), under `/shop-api/v1`. */
export function registerShopRoutes(app: App) {
  registerStorefrontGate(app)
  registerShopStores(app)
  registerShopCheckout(app)
  registerShopOrders(app)
}
