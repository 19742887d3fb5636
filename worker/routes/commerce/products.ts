import { z } from 'zod'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  adjustStock,
  createProduct,
  getProduct,
  listProducts,
  updateProduct,
} from '../../services/commerce/catalog.ts'
import { validate } from '../../validator.ts'
import { prefixedId } from '../shop/fields.ts'

const cents = z.number().int().min(0).max(100_000_000)
const name = z.string().trim().min(1).max(120)

export const productBody = z.object({
  name,
  description: z.string().trim().min(1).max(2000).nullable().optional(),
  price_cents: cents,
  active: z.boolean().optional(),
  option_groups: z
    .array(
      z.object({
        name,
        min_choices: z.number().int().min(0).max(20),
        max_choices: z.number().int().min(1).max(20),
        options: z
          .array(z.object({ name, price_delta_cents: cents }))
          .min(1)
          .max(30),
      }),
    )
    .max(10)
    .optional(),
})
const updateBody = productBody
  .omit({ option_groups: true })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field')
const stockBody = z.object({
  store_id: prefixedId('sto'),
  product_id: prefixedId('prd'),
  delta: z.number().int().min(-100_000).max(100_000),
  kind: z.enum(['adjustment', 'restock']),
  reason: z.string().trim().min(1).max(300),
  available: z.boolean().optional(),
})
const productParam = idParam('prd')
const commerce = { module: 'commerce' } as const

export function registerCommerceProducts(app: App) {
  const base = '/api/v1/commerce/products'

  app.get(base, authenticate, permit('commerce.read', commerce), validate('query', pageQuery), async (c) =>
    c.json(snake(await c.var.caller.run((ctx) => listProducts(ctx, c.req.valid('query')), commerce))),
  )

  /** A product with its option groups (min/max choices, price deltas). */
  app.post(
    base,
    authenticate,
    permit('commerce.manage', commerce),
    validate('json', productBody),
    async (c) => {
      const body = c.req.valid('json')
      const product = await c.var.caller.run(
        (ctx) =>
          createProduct(ctx, {
            name: body.name,
            description: body.description ?? null,
            priceCents: body.price_cents,
            active: body.active,
            optionGroups: body.option_groups?.map((g) => ({
              name: g.name,
              minChoices: g.min_choices,
              maxChoices: g.max_choices,
              options: g.options.map((o) => ({ name: o.name, priceDeltaCents: o.price_delta_cents })),
            })),
          }),
        commerce,
      )
      return c.json(snake(product), 201)
    },
  )

  app.get(
    `${base}/:id`,
    authenticate,
    permit('commerce.read', commerce),
    validate('param', productParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => getProduct(ctx, c.req.valid('param').id), commerce))),
  )

  app.patch(
    `${base}/:id`,
    authenticate,
    permit('commerce.manage', commerce),
    validate('param', productParam),
    validate('json', updateBody),
    async (c) => {
      const { price_cents, ...rest } = c.req.valid('json')
      const input = { ...rest, ...(price_cents !== undefined ? { priceCents: price_cents } : {}) }
      return c.json(
        snake(await c.var.caller.run((ctx) => updateProduct(ctx, c.req.valid('param').id, input), commerce)),
      )
    },
  )

  /** Restocks or adjusts a product's stock in a store, with the reason; never below what is reserved. */
  app.post(
    '/api/v1/commerce/stock/adjustments',
    authenticate,
    permit('commerce.manage', commerce),
    validate('json', stockBody),
    async (c) => {
      const body = c.req.valid('json')
      const stock = await c.var.caller.run(
        (ctx) =>
          adjustStock(ctx, {
            storeId: body.store_id,
            productId: body.product_id,
            delta: body.delta,
            kind: body.kind,
            reason: body.reason,
            available: body.available,
          }),
        commerce,
      )
      return c.json(snake(stock), 201)
    },
  )
}
