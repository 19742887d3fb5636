import { z } from 'zod'
import { ORDER_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { getOrder, listOrders, STAFF_TARGETS, transitionOrder } from '../../services/commerce/orders.ts'
import { validate } from '../../validator.ts'
import { prefixedId } from '../shop/fields.ts'

const ordersQuery = pageQuery.extend({
  status: z.enum(ORDER_STATUSES).optional(),
  store_id: prefixedId('sto').optional(),
})
const transitionBody = z.object({
  to: z.enum(STAFF_TARGETS as [string, ...string[]]).transform((to) => to as (typeof STAFF_TARGETS)[number]),
  reason: z.string().trim().min(1).max(300).nullable().optional(),
})
const orderParam = idParam('ord')
const commerce = { module: 'commerce' } as const

export function registerCommerceOrders(app: App) {
  const base = '/api/v1/commerce/orders'

  /** Orders newest first, by status and store, keyset-paged. */
  app.get(
    base,
    authenticate,
    permit('commerce.read', commerce),
    validate('query', ordersQuery),
    async (c) => {
      const { store_id, ...query } = c.req.valid('query')
      return c.json(
        snake(await c.var.caller.run((ctx) => listOrders(ctx, { ...query, storeId: store_id }), commerce)),
      )
    },
  )

  app.get(
    `${base}/:id`,
    authenticate,
    permit('commerce.read', commerce),
    validate('param', orderParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => getOrder(ctx, c.req.valid('param').id), commerce))),
  )

  /** Moves the order (accepted, preparing, out_for_delivery / ready_for_pickup, delivered, cancelled). */
  app.post(
    `${base}/:id/transitions`,
    authenticate,
    permit('commerce.fulfil', commerce),
    validate('param', orderParam),
    validate('json', transitionBody),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run(
            (ctx) => transitionOrder(ctx, c.req.valid('param').id, c.req.valid('json')),
            commerce,
          ),
        ),
      ),
  )
}
