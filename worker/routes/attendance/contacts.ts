import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { eraseContact, getContact, updateContact } from '../../services/attendance/contacts.ts'
import { validate } from '../../validator.ts'
import { attendance, contactParam, tags } from './fields.ts'

export const contactBody = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(120)
    .nullable()
    .describe('The team’s name for the contact; null: the profile name.'),
})

/** The contact panel, renaming, and one contact's erasure (LGPD, privacy.manage). */
export function registerAttendanceContacts(app: App) {
  const base = '/api/v1/attendance/contacts/:id'

  app.get(
    base,
    describe({ summary: 'A contact with its customer and conversations', tags }),
    authenticate,
    permit('attendance.read', attendance),
    validate('param', contactParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => getContact(ctx, c.req.valid('param').id), attendance))),
  )

  app.patch(
    base,
    describe({ summary: 'Rename a contact', tags }),
    authenticate,
    permit('attendance.reply', attendance),
    validate('param', contactParam),
    validate('json', contactBody),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run(
            (ctx) => updateContact(ctx, c.req.valid('param').id, c.req.valid('json')),
            attendance,
          ),
        ),
      ),
  )

  /** Erases the contact, its conversations and messages (and the replies' outbox rows); counts stay in the audit trail. */
  app.delete(
    base,
    describe({ summary: 'Erase a contact and everything of it (LGPD)', tags }),
    authenticate,
    permit('privacy.manage', attendance),
    validate('param', contactParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => eraseContact(ctx, c.req.valid('param').id), attendance))),
  )
}
