import { z } from 'zod'
import { STORE_STATUSES, WEEKDAYS } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { idParam, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  createStore,
  getStore,
  listStores,
  replaceShippingBands,
  updateStore,
} from '../../services/commerce/stores.ts'
import { validate } from '../../validator.ts'
import { timezoneField } from '../calendar/fields.ts'
import { cepField, destinationFields } from '../shop/fields.ts'

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM')
const intervals = z.array(z.tuple([time, time])).max(6)

export const storeBody = z.object({
  name: z.string().trim().min(1).max(120),
  status: z.enum(STORE_STATUSES).optional(),
  timezone: timezoneField.optional(),
  street: z.string().trim().min(1).max(200),
  city: z.string().trim().min(1).max(100),
  state: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2}$/, 'two letters (UF)')
    .transform((s) => s.toUpperCase()),
  cep: cepField,
  ...destinationFields,
  opening_hours: z.partialRecord(z.enum(WEEKDAYS), intervals).optional(),
  hours_exceptions: z
    .array(z.object({ date: z.iso.date(), intervals }))
    .max(100)
    .optional(),
  preorder_when_closed: z.boolean().optional(),
  pickup: z.boolean().optional(),
  delivery: z.boolean().optional(),
  minimum_order_cents: z.number().int().min(0).max(100_000_000).optional(),
})

const storeInput = (body: Partial<z.output<typeof storeBody>>) => {
  const { opening_hours, hours_exceptions, preorder_when_closed, minimum_order_cents, ...rest } = body
  return {
    ...rest,
    ...(opening_hours !== undefined ? { openingHours: opening_hours } : {}),
    ...(hours_exceptions !== undefined ? { hoursExceptions: hours_exceptions } : {}),
    ...(preorder_when_closed !== undefined ? { preorderWhenClosed: preorder_when_closed } : {}),
    ...(minimum_order_cents !== undefined ? { minimumOrderCents: minimum_order_cents } : {}),
  }
}

const bandsBody = z.object({
  bands: z
    .array(
      z.object({
        max_km: z.number().positive().max(500),
        price_cents: z.number().int().min(0).max(10_000_000),
      }),
    )
    .max(20)
    .refine((bands) => new Set(bands.map((b) => b.max_km)).size === bands.length, 'each max_km once'),
})
const storeParam = idParam('sto')
const commerce = { module: 'commerce' } as const

export function registerCommerceStores(app: App) {
  const base = '/api/v1/commerce/stores'

  app.get(base, authenticate, permit('commerce.read', commerce), async (c) =>
    c.json(snake(await c.var.caller.run((ctx) => listStores(ctx), commerce))),
  )

  /** A new store, within the plan's stores limit (409 STORES_LIMIT_REACHED). */
  app.post(
    base,
    authenticate,
    permit('commerce.manage', commerce),
    validate('json', storeBody),
    async (c) => {
      const body = c.req.valid('json')
      const store = await c.var.caller.run(
        (ctx) =>
          createStore(ctx, {
            ...storeInput(body),
            name: body.name,
            street: body.street,
            city: body.city,
            state: body.state,
            cep: body.cep,
            latitude: body.latitude,
            longitude: body.longitude,
          }),
        commerce,
      )
      return c.json(snake(store), 201)
    },
  )

  app.get(
    `${base}/:id`,
    authenticate,
    permit('commerce.read', commerce),
    validate('param', storeParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => getStore(ctx, c.req.valid('param').id), commerce))),
  )

  app.patch(
    `${base}/:id`,
    authenticate,
    permit('commerce.manage', commerce),
    validate('param', storeParam),
    validate(
      'json',
      storeBody.partial().refine((body) => Object.keys(body).length > 0, 'send at least one field'),
    ),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run(
            (ctx) => updateStore(ctx, c.req.valid('param').id, storeInput(c.req.valid('json'))),
            commerce,
          ),
        ),
      ),
  )

  /** Replaces the store's delivery price bands by distance. */
  app.put(
    `${base}/:id/shipping-bands`,
    authenticate,
    permit('commerce.manage', commerce),
    validate('param', storeParam),
    validate('json', bandsBody),
    async (c) => {
      const bands = c.req.valid('json').bands.map((b) => ({ maxKm: b.max_km, priceCents: b.price_cents }))
      return c.json(
        snake(
          await c.var.caller.run(
            (ctx) => replaceShippingBands(ctx, c.req.valid('param').id, bands),
            commerce,
          ),
        ),
      )
    },
  )
}
