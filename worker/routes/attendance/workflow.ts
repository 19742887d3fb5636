import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { assignConversation, setConversationStatus } from '../../services/attendance/conversations.ts'
import { validate } from '../../validator.ts'
import { idOf } from '../calendar/fields.ts'
import { attendance, conversationParam, tags } from './fields.ts'

export const assignBody = z.object({
  assignee_id: idOf('usr').nullable().describe('A member who may answer conversations; null unassigns.'),
})

export const statusBody = z.discriminatedUnion('status', [
  z.object({ status: z.enum(['open', 'pending', 'resolved']) }),
  z.object({ status: z.literal('snoozed'), snoozed_until: z.iso.datetime({ offset: true }) }),
])

/** Who handles a conversation, and where it stands (resolve, wait for the customer, snooze, reopen). */
export function registerAttendanceWorkflow(app: App) {
  const base = '/api/v1/attendance/conversations/:id'

  app.post(
    `${base}/assign`,
    describe({ summary: 'Assign a conversation (or unassign it)', tags }),
    authenticate,
    permit('attendance.reply', attendance),
    validate('param', conversationParam),
    validate('json', assignBody),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run(
            (ctx) => assignConversation(ctx, c.req.valid('param').id, c.req.valid('json').assignee_id),
            attendance,
          ),
        ),
      ),
  )

  app.post(
    `${base}/status`,
    describe({ summary: 'Resolve, snooze, mark pending or reopen a conversation', tags }),
    authenticate,
    permit('attendance.reply', attendance),
    validate('param', conversationParam),
    validate('json', statusBody),
    async (c) => {
      const body = c.req.valid('json')
      const change =
        body.status === 'snoozed'
          ? { status: body.status, snoozedUntil: new Date(body.snoozed_until) }
          : { status: body.status }
      return c.json(
        snake(
          await c.var.caller.run(
            (ctx) => setConversationStatus(ctx, c.req.valid('param').id, change),
            attendance,
          ),
        ),
      )
    },
  )
}
