import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { trackOrder } from '../../services/commerce/public-read.ts'
import { validate } from '../../validator.ts'
import { prefixedId } from './fields.ts'
import { SHOP_API, tenantSlug } from './public.ts'

export function registerShopOrders(app: App) {
  /** An order's public tracking: its link's token opens it and no other order (any mismatch is 404). */
  app.get(
    `${SHOP_API}/orders/:id`,
    validate('param', z.object({ id: prefixedId('ord') })),
    validate('query', z.object({ token: z.string().min(1).max(100) })),
    async (c) => {
      const order = await trackOrder(
        c.var.caller.services,
        c.var.caller.meta,
        tenantSlug(c),
        c.req.valid('param').id,
        c.req.valid('query').token,
      )
      return c.json(snake(order), 200, { 'Cache-Control': 'private, no-store' })
    },
  )
}
