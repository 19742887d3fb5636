import { z } from 'zod'
import { CONVERSATION_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  CONVERSATION_FILTERS,
  getConversation,
  listConversationMessages,
  listConversations,
} from '../../services/attendance/conversations.ts'
import { validate } from '../../validator.ts'
import { idOf } from '../calendar/fields.ts'
import { attendance, conversationParam, tags } from './fields.ts'

export const conversationsQuery = pageQuery.extend({
  filter: z
    .enum(CONVERSATION_FILTERS)
    .optional()
    .describe('`mine`: assigned to you; `unassigned`; `waiting`: the customer spoke last.'),
  status: z.enum(CONVERSATION_STATUSES).optional(),
  number_id: idOf('anb').optional(),
})

/** The inbox: conversations (filters, keyset pages), one conversation, its messages. */
export function registerAttendanceConversations(app: App) {
  const base = '/api/v1/attendance/conversations'

  app.get(
    base,
    describe({ summary: 'Conversations, latest activity first', tags }),
    authenticate,
    permit('attendance.read', attendance),
    validate('query', conversationsQuery),
    async (c) => {
      const { number_id, ...query } = c.req.valid('query')
      const page = await c.var.caller.run(
        (ctx) => listConversations(ctx, { ...query, numberId: number_id }),
        attendance,
      )
      return c.json({ data: snake(page.data), next_cursor: page.nextCursor })
    },
  )

  app.get(
    `${base}/:id`,
    describe({ summary: 'One conversation with its latest messages and its 24-hour window', tags }),
    authenticate,
    permit('attendance.read', attendance),
    validate('param', conversationParam),
    async (c) =>
      c.json(
        snake(await c.var.caller.run((ctx) => getConversation(ctx, c.req.valid('param').id), attendance)),
      ),
  )

  app.get(
    `${base}/:id/messages`,
    describe({ summary: 'A conversation’s messages, newest first', tags }),
    authenticate,
    permit('attendance.read', attendance),
    validate('param', conversationParam),
    validate('query', pageQuery),
    async (c) => {
      const page = await c.var.caller.run(
        (ctx) => listConversationMessages(ctx, c.req.valid('param').id, c.req.valid('query')),
        attendance,
      )
      return c.json({ data: snake(page.data), next_cursor: page.nextCursor })
    },
  )
}
