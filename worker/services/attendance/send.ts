import { and, eq, sql } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import {
  attendanceContacts,
  attendanceConversations,
  attendanceMessages,
  attendanceNumbers,
  attendanceTemplates,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { enqueueMessage } from '../messaging/outbox.ts'
import { messageById, windowOf } from './conversations.ts'
import { publishAttendanceEvents } from './events.ts'
import { reserveMonthlySend } from './usage.ts'

type Parameter = string | { name: string; text: string }

/** What an agent sends: free text (inside the window) or an approved template with its parameters. */
export type ReplyInput = {
  /** The client's id for this message: sending again with it sends nothing new (a double click, a retry). */
  clientMessageId: string
  content:
    | { type: 'text'; text: string; replyTo?: string }
    | { type: 'template'; name: string; language: string; parameters: Parameter[] }
}

/** The approved templates of a WABA, as offered when the window is closed. */
export async function approvedTemplates(ctx: ServiceContext, wabaId: string) {
  return ctx.tx
    .select({
      name: attendanceTemplates.name,
      language: attendanceTemplates.language,
      category: attendanceTemplates.category,
      body: attendanceTemplates.body,
      parameters: attendanceTemplates.parameters,
    })
    .from(attendanceTemplates)
    .where(
      and(
        eq(attendanceTemplates.tenantId, ctx.principal.tenantId ?? ''),
        eq(attendanceTemplates.wabaId, wabaId),
        eq(attendanceTemplates.status, 'APPROVED'),
      ),
    )
    .orderBy(attendanceTemplates.name, attendanceTemplates.language)
}

/**
 * Checks a template send before anything is stored or sent: the template must be synced and
 * approved, and its parameters must be exactly the body's placeholders (positional: as many
 * strings; named: the same names).
 */
async function checkTemplate(
  ctx: ServiceContext,
  wabaId: string,
  content: Extract<ReplyInput['content'], { type: 'template' }>,
) {
  const [template] = await ctx.tx
    .select({
      status: attendanceTemplates.status,
      parameters: attendanceTemplates.parameters,
      body: attendanceTemplates.body,
    })
    .from(attendanceTemplates)
    .where(
      and(
        eq(attendanceTemplates.tenantId, ctx.principal.tenantId ?? ''),
        eq(attendanceTemplates.wabaId, wabaId),
        eq(attendanceTemplates.name, content.name),
        eq(attendanceTemplates.language, content.language),
      ),
    )
  if (template?.status !== 'APPROVED')
    throw new ApiError(
      422,
      'TEMPLATE_NOT_APPROVED',
      `No approved template ${content.name} (${content.language}) on this number; sync the templates or pick another.`,
    )
  const expected = template.parameters
  const named = expected.some((name) => !/^\d+$/.test(name))
  const given = content.parameters
  const fits = named
    ? given.length === expected.length &&
      given.every((p) => typeof p !== 'string' && expected.includes(p.name)) &&
      new Set(given.map((p) => (typeof p === 'string' ? p : p.name))).size === given.length
    : given.length === expected.length && given.every((p) => typeof p === 'string')
  if (!fits)
    throw invalidField(
      'json.content.parameters',
      named
        ? `the template takes the named parameters ${expected.join(', ') || '(none)'}`
        : `the template takes ${expected.length} positional parameters`,
    )
  return template
}

/** The body a template renders to, for the thread (`{{1}}` or `{{name}}` filled in). */
const rendered = (body: string | null, parameters: Parameter[]) =>
  body?.replace(/\{\{\s*([a-z0-9_]+)\s*\}\}/g, (all, name: string) => {
    const found = /^\d+$/.test(name)
      ? parameters[Number(name) - 1]
      : parameters.find((p) => typeof p !== 'string' && p.name === name)
    return found === undefined ? all : typeof found === 'string' ? found : found.text
  }) ?? null

/**
 * Sends a reply from the inbox through the outbox, in the request's transaction: free text only
 * inside the customer-service window (outside: 422 WINDOW_CLOSED offering the approved templates,
 * nothing stored, no platform call); a template only when synced, approved and given exactly its
 * parameters. The client message id is the outbox idempotency key, so the same send twice stores
 * and sends one message; each new message takes one of the plan's monthly sends (403
 * ATTENDANCE_LIMIT_REACHED past it). Records the first reply of the episode and ends the wait.
 */
export async function sendReply(ctx: ServiceContext, conversationId: string, input: ReplyInput) {
  authorize(ctx.principal, 'attendance.reply')
  const tenantId = ctx.principal.tenantId
  const [conversation] = await ctx.tx
    .select({
      lastInboundAt: attendanceConversations.lastInboundAt,
      status: attendanceConversations.status,
      assigneeId: attendanceConversations.assigneeId,
      connectionId: attendanceNumbers.connectionId,
      phoneNumberId: attendanceNumbers.phoneNumberId,
      wabaId: attendanceNumbers.wabaId,
      waId: attendanceContacts.waId,
    })
    .from(attendanceConversations)
    .innerJoin(attendanceNumbers, eq(attendanceNumbers.id, attendanceConversations.numberId))
    .innerJoin(attendanceContacts, eq(attendanceContacts.id, attendanceConversations.contactId))
    .where(
      and(eq(attendanceConversations.id, conversationId), eq(attendanceConversations.tenantId, tenantId)),
    )
  if (!conversation) throw notFound('conversation')
  const window = windowOf(conversation.lastInboundAt, ctx.now)
  const content = input.content
  if (content.type === 'text' && !window.open) {
    const templates = await approvedTemplates(ctx, conversation.wabaId)
    throw new ApiError(
      422,
      'WINDOW_CLOSED',
      'The customer-service window is closed (no message from the customer in 24 hours): send an approved template instead.',
      { details: { templates } },
    )
  }
  // Sending needs the customer's number: a user known only by a username (BSUID) cannot be
  // written to until the outbox sends to BSUIDs.
  if (!conversation.waId)
    throw new ApiError(422, 'CONTACT_NOT_REACHABLE', 'This contact has no phone number to send to.')
  const template = content.type === 'template' ? await checkTemplate(ctx, conversation.wabaId, content) : null

  const enqueued = await enqueueMessage(ctx, {
    channel: 'whatsapp',
    purpose: 'attendance.reply',
    idempotencyKey: `attendance:${conversationId}:${input.clientMessageId}`,
    to: conversation.waId,
    from: { connectionId: conversation.connectionId, phoneNumberId: conversation.phoneNumberId },
    window: window.open ? 'open' : 'closed',
    content:
      content.type === 'text'
        ? { type: 'text', text: content.text, ...(content.replyTo ? { replyTo: content.replyTo } : {}) }
        : {
            type: 'template',
            name: content.name,
            language: content.language,
            parameters: content.parameters,
          },
  })
  if (!enqueued.created) {
    // The same client message again: the message it already made, nothing new stored or counted.
    const [existing] = await ctx.tx
      .select({ id: attendanceMessages.id })
      .from(attendanceMessages)
      .where(
        and(eq(attendanceMessages.tenantId, tenantId), eq(attendanceMessages.outboundMessageId, enqueued.id)),
      )
    if (!existing) throw notFound('message')
    return { ...(await messageById(ctx, existing.id)), created: false }
  }
  await reserveMonthlySend(ctx)

  const id = newId('amg')
  await ctx.tx.insert(attendanceMessages).values({
    id,
    tenantId,
    conversationId,
    direction: 'out',
    type: content.type,
    body: content.type === 'text' ? content.text : rendered(template?.body ?? null, content.parameters),
    replyTo: content.type === 'text' ? (content.replyTo ?? null) : null,
    details:
      content.type === 'template'
        ? { template: { name: content.name, language: content.language, parameters: content.parameters } }
        : null,
    outboundMessageId: enqueued.id,
    authorId: ctx.principal.kind === 'member' ? ctx.principal.id : null,
    sentAt: ctx.now,
  })
  const c = attendanceConversations
  await ctx.tx
    .update(c)
    .set({
      lastMessageAt: sql`greatest(${c.lastMessageAt}, ${ctx.now})`,
      waitingSince: null,
      firstReplyAt: sql`coalesce(${c.firstReplyAt}, ${ctx.now})`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(c.id, conversationId), eq(c.tenantId, tenantId)))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.message_sent',
    tenantId,
    target: { type: 'conversation', id: conversationId },
    data: { messageId: id, outboxId: enqueued.id, type: content.type },
  })
  ctx.afterCommit(() =>
    publishAttendanceEvents(ctx.services, tenantId, [
      { type: 'message.created', conversationId, messageId: id, direction: 'out' },
    ]),
  )
  return { ...(await messageById(ctx, id)), created: true }
}
