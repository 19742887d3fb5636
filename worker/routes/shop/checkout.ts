import { z } from 'zod'
import { lookupCep } from '../../connectors/geocoding/cep.ts'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { describe } from '../../openapi/registry.ts'
import { quoteShipping } from '../../services/commerce/cart.ts'
import { checkout, previewCheckout } from '../../services/commerce/checkout.ts'
import { runStorefront } from '../../services/commerce/storefront.ts'
import { validate } from '../../validator.ts'
import { shopDoc } from './docs.ts'
import {
  cartBody,
  cartOf,
  cepField,
  checkoutBody,
  checkoutHeaders,
  prefixedId,
  tenantHeader,
} from './fields.ts'
import { SHOP_API, tenantSlug } from './public.ts'

export function registerShopCheckout(app: App) {
  /** The delivery fee from a store to a point; 422 OUT_OF_RANGE past its last band. */
  app.post(
    `${SHOP_API}/shipping/quote`,
    describe(
      shopDoc('Quote the delivery fee to a CEP', {
        200: { description: 'Distance (km), fee, and the CEP’s city and state.' },
        422: { description: 'CEP_NOT_FOUND, or OUT_OF_RANGE past the store’s last band.' },
        503: { description: 'GEOCODING_UNAVAILABLE: the CEP could not be looked up now (Retry-After).' },
      }),
    ),
    validate('header', tenantHeader),
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
  app.post(
    `${SHOP_API}/checkout/preview`,
    describe(
      shopDoc('Price a cart without ordering', {
        200: { description: 'Lines, subtotal, shipping, total, the address found from the CEP, warnings.' },
        409: { description: 'A product is unavailable, or the store closed and takes no pre-orders.' },
        422: { description: 'Options out of their groups’ limits, minimum order, CEP or range refused.' },
      }),
    ),
    validate('header', tenantHeader),
    validate('json', cartBody),
    async (c) =>
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
  app.post(
    `${SHOP_API}/checkout`,
    describe(
      shopDoc(
        'Place an order and open its PIX charge',
        {
          201: { description: 'The order, its tracking token and the PIX copy-and-paste code.' },
          200: { description: 'The same request again (same Idempotency-Key and body): the same order.' },
          409: {
            description:
              'OUT_OF_STOCK, PRICE_CHANGED (with the recomputed amounts), IDEMPOTENCY_KEY_REUSED with another body.',
          },
          503: { description: 'PAYMENT_UNAVAILABLE: the order waits; retry the same request.' },
        },
        'The server prices everything again; `expected` must match its shipping and total.',
      ),
    ),
    validate('header', checkoutHeaders),
    validate('json', checkoutBody),
    async (c) => {
      const key = c.req.valid('header')['idempotency-key']
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
    },
  )
}
