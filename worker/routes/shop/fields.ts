import { z } from 'zod'
import { FULFILMENTS } from '../../../db/schema/index.ts'
import { TENANT_SLUG } from '../../services/commerce/storefront.ts'
import { phoneField } from '../../services/customers/phone.ts'

export const prefixedId = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{20}$`), `must be a ${prefix}_… id`)

const cents = z.number().int().min(0).max(100_000_000)
const text = (max: number) => z.string().trim().min(1).max(max)

/** Coupon codes (commerce campaigns): letters, digits, `_` and `-`; compared whatever their case. */
export const couponCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{3,40}$/, '3 to 40 letters, digits, _ or -')

/** A store's own point (staff-set); customers' points come from their CEP, never from them. */
export const destinationFields = {
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
}

/** A Brazilian postal code, typed with or without its dash; 8 digits out. */
export const cepField = z
  .string()
  .trim()
  .transform((value) => value.replace(/[.\s-]/g, ''))
  .pipe(z.string().regex(/^[0-9]{8}$/, 'a CEP has 8 digits'))

/**
 * A delivery address: the CEP and number; the street may be left out when the CEP names one. The
 * city, state and point are the CEP's (geocoding port): a client's `city`, `state`, `latitude` or
 * `longitude` is ignored, so the shipping is priced on what the server found.
 */
export const addressBody = z.object({
  cep: cepField,
  number: text(20),
  street: text(200).nullable().optional(),
  complement: text(100).nullable().optional(),
  district: text(100).nullable().optional(),
})

export const cartBody = z.object({
  store_id: prefixedId('sto'),
  fulfilment: z.enum(FULFILMENTS),
  items: z
    .array(
      z.object({
        product_id: prefixedId('prd'),
        quantity: z.number().int().min(1).max(99),
        option_ids: z.array(prefixedId('opt')).max(30).default([]),
      }),
    )
    .min(1)
    .max(50),
  address: addressBody.optional(),
  /** A coupon code (campaigns), whatever its case. */
  coupon: couponCode.nullable().optional(),
})

export const checkoutBody = cartBody.extend({
  customer: z.object({
    name: text(120),
    phone: phoneField,
    email: z
      .email()
      .max(254)
      .transform((value) => value.toLowerCase())
      .nullable()
      .optional(),
  }),
  notes: text(500).nullable().optional(),
  expected: z.object({ shipping_cents: cents, total_cents: cents }),
})

/** The cart as the services take it (camelCase), from a validated body. */
export function cartOf(body: z.output<typeof cartBody>) {
  return {
    storeId: body.store_id,
    fulfilment: body.fulfilment,
    items: body.items.map((item) => ({
      productId: item.product_id,
      quantity: item.quantity,
      optionIds: item.option_ids,
    })),
    address: body.fulfilment === 'delivery' ? body.address : undefined,
    coupon: body.coupon ?? null,
  }
}

/**
 * The shop a storefront request is for: its slug in `X-Tenant` (a malformed one is a 400; a
 * well-formed unknown one, or a tenant without the module, is 404 like a missing store).
 */
export const tenantHeader = z.object({
  'x-tenant': z
    .string()
    .max(48)
    .regex(TENANT_SLUG, 'a shop slug: lower-case letters, digits and single dashes')
    .meta({ description: 'The shop’s slug, as in its storefront page `/shop/<slug>`.' }),
})

/** The checkout's headers: the shop, and the client's key for the request (a retry answers the same order). */
export const checkoutHeaders = tenantHeader.extend({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{8,100}$/, '8 to 100 letters, digits or _.:-')
    .meta({ description: 'One key per order attempt: the same request again answers the same order.' }),
})
