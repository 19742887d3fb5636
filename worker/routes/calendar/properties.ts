import { z } from 'zod'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  createProperty,
  deleteProperty,
  getProperty,
  listProperties,
  revokeExportToken,
  rotateExportToken,
  updateProperty,
} from '../../services/calendar/properties.ts'
import { validate } from '../../validator.ts'
import { timezoneField } from './fields.ts'

export const propertyBody = z.object({
  name: z.string().trim().min(1).max(120),
  address: z.string().trim().min(1).max(300).nullable().optional(),
  timezone: timezoneField,
  capacity: z.number().int().min(1).max(1000).nullable().optional(),
})
export const updatePropertyBody = propertyBody
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field')
const propertyParam = idParam('prp')
const calendar = { module: 'calendar' } as const

export function registerCalendarProperties(app: App) {
  const base = '/api/v1/calendar/properties'

  app.get(base, authenticate, permit('calendar.read', calendar), validate('query', pageQuery), async (c) =>
    c.json(snake(await c.var.caller.run((ctx) => listProperties(ctx, c.req.valid('query')), calendar))),
  )

  app.post(
    base,
    authenticate,
    permit('calendar.manage', calendar),
    validate('json', propertyBody),
    async (c) => {
      const property = await c.var.caller.run((ctx) => createProperty(ctx, c.req.valid('json')), calendar)
      return c.json(snake(property), 201)
    },
  )

  app.get(
    `${base}/:id`,
    authenticate,
    permit('calendar.read', calendar),
    validate('param', propertyParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => getProperty(ctx, c.req.valid('param').id), calendar))),
  )

  app.patch(
    `${base}/:id`,
    authenticate,
    permit('calendar.manage', calendar),
    validate('param', propertyParam),
    validate('json', updatePropertyBody),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run(
            (ctx) => updateProperty(ctx, c.req.valid('param').id, c.req.valid('json')),
            calendar,
          ),
        ),
      ),
  )

  /** Deletes the property with its sources, bookings and conflicts. */
  app.delete(
    `${base}/:id`,
    authenticate,
    permit('calendar.manage', calendar),
    validate('param', propertyParam),
    async (c) => {
      await c.var.caller.run((ctx) => deleteProperty(ctx, c.req.valid('param').id), calendar)
      return c.body(null, 204)
    },
  )

  /** A new iCal export URL (shown once); the previous one stops working. */
  app.post(
    `${base}/:id/ical-token`,
    authenticate,
    permit('calendar.manage', calendar),
    validate('param', propertyParam),
    async (c) => {
      const origin = new URL(c.req.url).origin
      const exported = await c.var.caller.run(
        (ctx) => rotateExportToken(ctx, c.req.valid('param').id, { origin }),
        calendar,
      )
      return c.json(snake(exported), 201)
    },
  )

  app.delete(
    `${base}/:id/ical-token`,
    authenticate,
    permit('calendar.manage', calendar),
    validate('param', propertyParam),
    async (c) => {
      await c.var.caller.run((ctx) => revokeExportToken(ctx, c.req.valid('param').id), calendar)
      return c.body(null, 204)
    },
  )
}
