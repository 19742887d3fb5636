import { z } from 'zod'
import { CALENDAR_CHANNELS } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  createSource,
  deleteSource,
  getSource,
  listSources,
  listSyncRuns,
  requestSync,
  updateSource,
} from '../../services/calendar/sources.ts'
import { validate } from '../../validator.ts'
import { idOf } from './fields.ts'

const icalUrl = z.string().trim().min(8).max(2048)
export const sourceBody = z.object({
  property_id: idOf('prp'),
  channel: z.enum(CALENDAR_CHANNELS),
  ical_url: icalUrl,
  name: z.string().trim().min(1).max(120).nullable().optional(),
})
export const updateSourceBody = z
  .object({
    name: z.string().trim().min(1).max(120).nullable().optional(),
    status: z.enum(['active', 'paused']).optional(),
    ical_url: icalUrl.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'send name, status and/or ical_url')
const listQuery = pageQuery.extend({ property_id: idOf('prp').optional() })
const sourceParam = idParam('src')
const calendar = { module: 'calendar' } as const

export function registerCalendarSources(app: App) {
  const base = '/api/v1/calendar/sources'

  app.get(base, authenticate, permit('calendar.read', calendar), validate('query', listQuery), async (c) => {
    const { property_id, ...page } = c.req.valid('query')
    return c.json(
      snake(
        await c.var.caller.run((ctx) => listSources(ctx, { ...page, propertyId: property_id }), calendar),
      ),
    )
  })

  /** The URL goes to the vault and never comes back: answers show a masked form. A first sync is queued. */
  app.post(
    base,
    authenticate,
    permit('calendar.manage', calendar),
    validate('json', sourceBody),
    async (c) => {
      const body = c.req.valid('json')
      const source = await c.var.caller.run(
        (ctx) =>
          createSource(ctx, {
            propertyId: body.property_id,
            channel: body.channel,
            icalUrl: body.ical_url,
            name: body.name,
          }),
        calendar,
      )
      return c.json(snake(source), 201)
    },
  )

  app.get(
    `${base}/:id`,
    authenticate,
    permit('calendar.read', calendar),
    validate('param', sourceParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => getSource(ctx, c.req.valid('param').id), calendar))),
  )

  app.patch(
    `${base}/:id`,
    authenticate,
    permit('calendar.manage', calendar),
    validate('param', sourceParam),
    validate('json', updateSourceBody),
    async (c) => {
      const body = c.req.valid('json')
      const source = await c.var.caller.run(
        (ctx) =>
          updateSource(ctx, c.req.valid('param').id, {
            name: body.name,
            status: body.status,
            icalUrl: body.ical_url,
          }),
        calendar,
      )
      return c.json(snake(source))
    },
  )

  app.delete(
    `${base}/:id`,
    authenticate,
    permit('calendar.manage', calendar),
    validate('param', sourceParam),
    async (c) => {
      await c.var.caller.run((ctx) => deleteSource(ctx, c.req.valid('param').id), calendar)
      return c.body(null, 204)
    },
  )

  /** "Sync now": queued, at most once a minute. */
  app.post(
    `${base}/:id/sync`,
    authenticate,
    permit('calendar.manage', calendar),
    validate('param', sourceParam),
    async (c) =>
      c.json(await c.var.caller.run((ctx) => requestSync(ctx, c.req.valid('param').id), calendar), 202),
  )

  app.get(
    `${base}/:id/runs`,
    authenticate,
    permit('calendar.read', calendar),
    validate('param', sourceParam),
    async (c) =>
      c.json({
        data: snake(await c.var.caller.run((ctx) => listSyncRuns(ctx, c.req.valid('param').id), calendar)),
      }),
  )
}
