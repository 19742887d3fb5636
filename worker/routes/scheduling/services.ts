import { z } from 'zod'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  createService,
  deleteService,
  getService,
  listServices,
  updateService,
} from '../../services/scheduling/services.ts'
import { validate } from '../../validator.ts'
import { idOf, scheduling, sent } from './fields.ts'

const minutes = (max: number) => z.number().int().min(0).max(max)

export const serviceBody = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().trim().max(1000).nullable().optional(),
  duration_minutes: z.number().int().min(5).max(720),
  buffer_before_minutes: minutes(240).optional(),
  buffer_after_minutes: minutes(240).optional(),
  /** Centavos: R$ 150,00 is 15000. */
  price_cents: z.number().int().min(0).max(100_000_000).optional(),
  currency: z.enum(['BRL', 'USD', 'EUR']).optional(),
  /** 1 for an individual service; more for a group class (seats). */
  capacity: z.number().int().min(1).max(500).optional(),
  min_notice_minutes: minutes(60 * 24 * 30).optional(),
  horizon_days: z.number().int().min(1).max(365).optional(),
  slot_interval_minutes: z.number().int().min(5).max(720).optional(),
  cancel_cutoff_minutes: minutes(60 * 24 * 30).optional(),
  active: z.boolean().optional(),
  professional_ids: z.array(idOf('pro')).max(100).optional(),
})
const updateServiceBody = serviceBody
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field')
const serviceParam = idParam('svc')

type ServiceBody = Partial<z.output<typeof serviceBody>>

const toInput = (body: ServiceBody) => ({
  name: body.name,
  description: body.description,
  durationMinutes: body.duration_minutes,
  bufferBeforeMinutes: body.buffer_before_minutes,
  bufferAfterMinutes: body.buffer_after_minutes,
  priceCents: body.price_cents,
  currency: body.currency,
  capacity: body.capacity,
  minNoticeMinutes: body.min_notice_minutes,
  horizonDays: body.horizon_days,
  slotIntervalMinutes: body.slot_interval_minutes,
  cancelCutoffMinutes: body.cancel_cutoff_minutes,
  active: body.active,
  professionalIds: body.professional_ids,
})

export function registerSchedulingServices(app: App) {
  const base = '/api/v1/scheduling/services'

  app.get(
    base,
    describe({ summary: 'The services the tenant books (name, duration, buffers, price, capacity)' }),
    authenticate,
    permit('scheduling.read', scheduling),
    validate('query', pageQuery),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => listServices(ctx, c.req.valid('query')), scheduling))),
  )

  app.post(
    base,
    describe({ summary: 'A new service, and who performs it' }),
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('json', serviceBody),
    async (c) => {
      const body = c.req.valid('json')
      const created = await c.var.caller.run(
        (ctx) =>
          createService(ctx, {
            ...sent(toInput(body)),
            name: body.name,
            durationMinutes: body.duration_minutes,
          }),
        scheduling,
      )
      return c.json(snake(created), 201)
    },
  )

  app.get(
    `${base}/:id`,
    authenticate,
    permit('scheduling.read', scheduling),
    validate('param', serviceParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => getService(ctx, c.req.valid('param').id), scheduling))),
  )

  app.patch(
    `${base}/:id`,
    describe({ summary: 'Changes a service; booked appointments keep their times and price' }),
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('param', serviceParam),
    validate('json', updateServiceBody),
    async (c) => {
      const input = sent(toInput(c.req.valid('json')))
      const updated = await c.var.caller.run(
        (ctx) => updateService(ctx, c.req.valid('param').id, input),
        scheduling,
      )
      return c.json(snake(updated))
    },
  )

  app.delete(
    `${base}/:id`,
    describe({ summary: 'Deletes a service, or deactivates it when it has appointments' }),
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('param', serviceParam),
    async (c) => {
      await c.var.caller.run((ctx) => deleteService(ctx, c.req.valid('param').id), scheduling)
      return c.body(null, 204)
    },
  )
}
