import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { describe } from '../../openapi/registry.ts'
import { publicCatalogOf, publicStores } from '../../services/commerce/public-read.ts'
import { validate } from '../../validator.ts'
import { shopDoc } from './docs.ts'
import { prefixedId, tenantHeader } from './fields.ts'
import { SHOP_API, tenantSlug } from './public.ts'

export function registerShopStores(app: App) {
  /** The tenant's stores, open now or not. */
  app.get(
    `${SHOP_API}/stores`,
    describe(shopDoc('List the shop’s stores', { 200: { description: 'Stores, each open now or not.' } })),
    validate('header', tenantHeader),
    async (c) =>
      c.json(snake({ data: await publicStores(c.var.caller.services, c.var.caller.meta, tenantSlug(c)) })),
  )

  /** What a store sells now, with option groups and whether each product is in stock. */
  app.get(
    `${SHOP_API}/catalog`,
    describe(
      shopDoc('Read a store’s catalog', {
        200: {
          description: 'Categories and active products, with option groups and whether each is in stock.',
        },
      }),
    ),
    validate('header', tenantHeader),
    validate('query', z.object({ store: prefixedId('sto') })),
    async (c) =>
      c.json(
        snake(
          await publicCatalogOf(
            c.var.caller.services,
            c.var.caller.meta,
            tenantSlug(c),
            c.req.valid('query').store,
          ),
        ),
      ),
  )
}
