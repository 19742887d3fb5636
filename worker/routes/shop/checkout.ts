import { z } from 'zod'
import { lookupCep } from '../../connectors/geocoding/cep.ts'
import type { App } from '../../env.ts'
import { ApiError } from '../../errors.ts'
import { snake } from '../../http.ts'
import { quoteShipping } from '../../services/commerce/cart.ts'
import { checkout, previewCheckout } from '../../services/commerce/checkout.ts'
import { runStorefront } from '../../services/commerce/storefront.ts'
import { validate } from '../../validator.ts'
import { cartBody, cartOf, cepField, checkoutBody, prefixedId } from './fields.ts'
import { SHOP_API, tenantSlug } from './public.ts'

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,100}$/

export function registerShopCheckout(app: App) {
  /** The delivery fee from a store to a point; 422 OUT_OF_RANGE past its last band. */
  app.post(
    `${SHOP_API}/shipping/quote`,
    validate('json', z.object({ store_id: prefixedId('sto'), cep: cepField })),
    async (c) => {
      const body = c.req.valid('json')
      const services = c.var.caller.services
      const found = await lookupCep(services.config, services.tokens, body.cep)
      const quote = await runStorefront(services, c.var.caller.meta, tenantSlug(c), (scope) =>
        quoteShipping(scope, body.store_id, found),
      )
      return c.json(snake({ ...quote, city: found.city, state: found.state }))
    },
  )

  /** Lines, options, subtotal, shipping, total and warnings, as the checkout would charge; no side effect. */
  app.post(`${SHOP_API}/checkout/preview`, validate('json', cartBody), async (c) =>
    c.json(
      snake(
        await previewCheckout(
          c.var.caller.services,
          c.var.caller.meta,
          tenantSlug(c),
          cartOf(c.req.valid('json')),
        ),
      ),
    ),
  )

  /**
   * Places the order, reserves its stock and opens its PIX charge. `Idempotency-Key` is required:
   * the same request again answers the same order (201 the first time, 200 after).
   */
  app.post(`${SHOP_API}/checkout`, validate('json', checkoutBody), async (c) => {
    const key = c.req.header('idempotency-key') ?? ''
    if (!IDEMPOTENCY_KEY.test(key))
      throw new ApiError(400, 'VALIDATION_FAILED', 'The request has invalid fields.', {
        fields: [{ path: 'header.idempotency-key', message: '8 to 100 letters, digits or _.:-' }],
      })
    const body = c.req.valid('json')
    const cart = cartOf(body)
    const placed = await checkout(
      c.var.caller.services,
      c.var.caller.meta,
      tenantSlug(c),
      {
        ...cart,
        customer: body.customer,
        notes: body.notes ?? null,
        expected: { shippingCents: body.expected.shipping_cents, totalCents: body.expected.total_cents },
      },
      key,
    )
    const { tenantId: _t, ...order } = placed
    return c.json(snake(order), 201)
  })
}
