import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { describe } from '../../openapi/registry.ts'
import { trackOrder } from '../../services/commerce/public-read.ts'
import { validate } from '../../validator.ts'
import { shopDoc } from './docs.ts'
import { prefixedId, tenantHeader } from './fields.ts'
import { SHOP_API, tenantSlug } from './public.ts'

export function registerShopOrders(app: App) {
  /** An order's public tracking: its link's token opens it and no other order (any mismatch is 404). */
  app.get(
    `${SHOP_API}/orders/:id`,
    describe(
      shopDoc('Track an order', {
        200: {
          description: 'Status, history, items, amounts, the PIX code while unpaid; the first name only.',
        },
      }),
    ),
    validate('header', tenantHeader),
    validate('param', z.object({ id: prefixedId('ord') })),
    validate(
      'query',
      z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{16,100}$/, 'the token of the order’s link') }),
    ),
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
