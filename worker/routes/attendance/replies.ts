import { z } from 'zod'
import { templateParameter } from '../../connectors/messaging/types.ts'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { addNote } from '../../services/attendance/conversations.ts'
import { sendReply } from '../../services/attendance/send.ts'
import { validate } from '../../validator.ts'
import { attendance, conversationParam, tags } from './fields.ts'

const clientMessageId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -')
  .describe('Your id for this message: sending again with it sends nothing new.')

export const replyBody = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    client_message_id: clientMessageId,
    text: z.string().trim().min(1).max(4096),
    reply_to: z.string().min(1).max(256).optional().describe('The wamid of the message this answers.'),
  }),
  z.object({
    type: z.literal('template'),
    client_message_id: clientMessageId,
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'a template name: lower case, digits and _'),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a language code like pt_BR'),
    parameters: z.array(templateParameter).max(100).default([]),
  }),
])

export const noteBody = z.object({ text: z.string().trim().min(1).max(4096) })

/** Answering a conversation: a reply to the customer (text in the window, else a template), or a note. */
export function registerAttendanceReplies(app: App) {
  const base = '/api/v1/attendance/conversations/:id'

  app.post(
    `${base}/messages`,
    describe({
      summary: 'Send a reply (free text inside the 24-hour window, an approved template otherwise)',
      description:
        'Outside the window free text is 422 WINDOW_CLOSED with the approved templates in `error.details.templates`, and nothing is sent. The same `client_message_id` again answers the first message (200) without sending twice.',
      tags,
    }),
    authenticate,
    permit('attendance.reply', attendance),
    validate('param', conversationParam),
    validate('json', replyBody),
    async (c) => {
      const body = c.req.valid('json')
      const content =
        body.type === 'text'
          ? { type: 'text' as const, text: body.text, replyTo: body.reply_to }
          : {
              type: 'template' as const,
              name: body.name,
              language: body.language,
              parameters: body.parameters,
            }
      const { created, ...message } = await c.var.caller.run(
        (ctx) =>
          sendReply(ctx, c.req.valid('param').id, { clientMessageId: body.client_message_id, content }),
        attendance,
      )
      return c.json(snake(message), created ? 201 : 200)
    },
  )

  app.post(
    `${base}/notes`,
    describe({ summary: 'Add an internal note (never sent to the customer)', tags }),
    authenticate,
    permit('attendance.reply', attendance),
    validate('param', conversationParam),
    validate('json', noteBody),
    async (c) => {
      const note = await c.var.caller.run(
        (ctx) => addNote(ctx, c.req.valid('param').id, c.req.valid('json').text),
        attendance,
      )
      return c.json(snake(note), 201)
    },
  )
}
