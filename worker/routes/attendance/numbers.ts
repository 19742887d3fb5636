import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { addNumber, listNumbers } from '../../services/attendance/numbers.ts'
import { listTemplates, requestTemplateSync } from '../../services/attendance/templates.ts'
import { validate } from '../../validator.ts'
import { idOf } from '../calendar/fields.ts'
import { attendance, numberParam, tags } from './fields.ts'

export const numberBody = z.object({
  connection_id: idOf('con').describe('The tenant’s WhatsApp connection whose token sends.'),
  phone_number_id: z.string().regex(/^\d{1,30}$/, 'Meta’s numeric phone number id'),
  display_number: z.string().trim().min(4).max(32).describe('As people read it, e.g. +55 11 4000-1000.'),
  label: z.string().trim().min(1).max(80).nullable().optional(),
})

/** The tenant's WhatsApp Business numbers in the inbox, and their templates. */
export function registerAttendanceNumbers(app: App) {
  const base = '/api/v1/attendance/numbers'

  app.get(
    base,
    describe({ summary: 'The inbox’s WhatsApp numbers', tags }),
    authenticate,
    permit('attendance.read', attendance),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => listNumbers(ctx), attendance))),
  )

  app.post(
    base,
    describe({ summary: 'Add a WhatsApp number to the inbox', tags }),
    authenticate,
    permit('attendance.manage', attendance),
    validate('json', numberBody),
    async (c) => {
      const body = c.req.valid('json')
      const number = await c.var.caller.run(
        (ctx) =>
          addNumber(ctx, {
            connectionId: body.connection_id,
            phoneNumberId: body.phone_number_id,
            displayNumber: body.display_number,
            label: body.label ?? null,
          }),
        attendance,
      )
      return c.json(snake(number), 201)
    },
  )

  app.get(
    `${base}/:id/templates`,
    describe({ summary: 'The message templates of a number’s WhatsApp Business Account', tags }),
    authenticate,
    permit('attendance.read', attendance),
    validate('param', numberParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => listTemplates(ctx, c.req.valid('param').id), attendance))),
  )

  /** Queues a sync of the number's templates from Meta (202: the job runs shortly). */
  app.post(
    `${base}/:id/templates/sync`,
    describe({ summary: 'Sync a number’s templates from Meta', tags }),
    authenticate,
    permit('attendance.manage', attendance),
    validate('param', numberParam),
    async (c) =>
      c.json(
        snake(await c.var.caller.run((ctx) => requestTemplateSync(ctx, c.req.valid('param').id), attendance)),
        202,
      ),
  )
}
