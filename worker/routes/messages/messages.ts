import { z } from 'zod'
import { MESSAGE_CHANNELS, MESSAGE_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { getMessage, listMessages } from '../../services/messaging/messages.ts'
import { validate } from '../../validator.ts'

export const messagesQuery = pageQuery.extend({
  status: z.enum(MESSAGE_STATUSES).optional(),
  channel: z.enum(MESSAGE_CHANNELS).optional(),
  purpose: z
    .string()
    .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/)
    .max(64)
    .optional()
    .describe('What the messages are for, e.g. `calendar.conflict_alert`.'),
})

const timestamp = z.string().describe('ISO 8601')
const messageSummary = z.object({
  id: z.string(),
  channel: z.enum(MESSAGE_CHANNELS),
  purpose: z.string(),
  recipient: z.string().describe('Phone number, e-mail address or chat id.'),
  status: z.enum(MESSAGE_STATUSES),
  idempotency_key: z.string(),
  provider_message_id: z
    .string()
    .nullable()
    .describe('The WhatsApp wamid, Resend e-mail id, Telegram message id.'),
  error_code: z
    .string()
    .nullable()
    .describe(
      'Why it failed, or why the last attempt did: WINDOW_CLOSED, TEMPLATE_INVALID, RECIPIENT_INVALID, THROTTLED, PROVIDER_UNAVAILABLE, TOKEN_INVALID, NOT_CONFIGURED, REJECTED, OUTCOME_UNKNOWN.',
    ),
  provider_error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  cost_category: z
    .string()
    .nullable()
    .describe('The provider’s pricing category (WhatsApp: marketing, utility…).'),
  attempts: z.number().int(),
  created_at: timestamp,
  sent_at: timestamp.nullable(),
  updated_at: timestamp,
})
const messagePage = z.object({ data: z.array(messageSummary), next_cursor: z.string().nullable() })
const messageDetail = messageSummary.extend({
  payload: z.record(z.string(), z.unknown()).describe('What was asked to be sent, and from where.'),
})

/**
 * The messaging outbox, read only: what the tenant's modules sent (or tried to) through WhatsApp,
 * e-mail and Telegram, with status, errors and cost category (docs/messaging.md).
 */
export function registerMessages(app: App) {
  app.get(
    '/api/v1/messages',
    describe({
      summary: 'Outbound messages, newest first',
      tags: ['messages'],
      responses: { 200: { description: 'One page of messages.', schema: messagePage } },
    }),
    authenticate,
    permit('messages.read'),
    validate('query', messagesQuery),
    async (c) => {
      const page = await c.var.caller.run((ctx) => listMessages(ctx, c.req.valid('query')))
      return c.json({ data: snake(page.data), next_cursor: page.nextCursor } satisfies z.output<
        typeof messagePage
      >)
    },
  )

  app.get(
    '/api/v1/messages/:id',
    describe({
      summary: 'One outbound message, with its content',
      tags: ['messages'],
      responses: { 200: { description: 'The message.', schema: messageDetail } },
    }),
    authenticate,
    permit('messages.read'),
    validate('param', idParam('msg')),
    async (c) => {
      const message = await c.var.caller.run((ctx) => getMessage(ctx, c.req.valid('param').id))
      return c.json(snake(message) satisfies z.output<typeof messageDetail>)
    },
  )
}
