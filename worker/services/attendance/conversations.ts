import { and, asc, desc, eq, inArray, isNotNull, isNull, type SQL, sql } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import {
  attendanceContacts,
  attendanceConversations,
  attendanceMessages,
  attendanceNumbers,
  type ConversationStatus,
  outboundMessages,
  users,
} from '../../../db/schema/index.ts'
import { authorize, rolesWith } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage, sortKey } from '../keyset.ts'
import { type AttendanceEvent, publishAttendanceEvents } from './events.ts'

/** WhatsApp's customer-service window: free text only within 24 hours of the customer's last message. */
export const WINDOW_MS = 24 * 60 * 60 * 1000

/** The window as the inbox shows it: open or not, and until when (null: the customer never wrote). */
export function windowOf(lastInboundAt: Date | null, now: Date) {
  const closesAt = lastInboundAt ? new Date(lastInboundAt.getTime() + WINDOW_MS) : null
  return { open: closesAt !== null && closesAt > now, closesAt }
}

const COLUMNS = {
  id: attendanceConversations.id,
  status: attendanceConversations.status,
  assigneeId: attendanceConversations.assigneeId,
  lastInboundAt: attendanceConversations.lastInboundAt,
  lastMessageAt: attendanceConversations.lastMessageAt,
  waitingSince: attendanceConversations.waitingSince,
  openedAt: attendanceConversations.openedAt,
  firstReplyAt: attendanceConversations.firstReplyAt,
  resolvedAt: attendanceConversations.resolvedAt,
  snoozedUntil: attendanceConversations.snoozedUntil,
  number: {
    id: attendanceNumbers.id,
    displayNumber: attendanceNumbers.displayNumber,
    label: attendanceNumbers.label,
  },
  contact: {
    id: attendanceContacts.id,
    name: attendanceContacts.name,
    profileName: attendanceContacts.profileName,
    waId: attendanceContacts.waId,
  },
  createdAt: attendanceConversations.createdAt,
}

type Row = { lastInboundAt: Date | null } & Record<string, unknown>
const present =
  (now: Date) =>
  <T extends Row>(row: T) => ({ ...row, window: windowOf(row.lastInboundAt, now) })

const base = (ctx: ServiceContext) =>
  ctx.tx
    .select({ ...COLUMNS, sortKey: sortKey(attendanceConversations.lastMessageAt) })
    .from(attendanceConversations)
    .innerJoin(
      attendanceNumbers,
      and(
        eq(attendanceNumbers.id, attendanceConversations.numberId),
        eq(attendanceNumbers.tenantId, attendanceConversations.tenantId),
      ),
    )
    .innerJoin(
      attendanceContacts,
      and(
        eq(attendanceContacts.id, attendanceConversations.contactId),
        eq(attendanceContacts.tenantId, attendanceConversations.tenantId),
      ),
    )

export const CONVERSATION_FILTERS = ['mine', 'unassigned', 'waiting'] as const
export type ConversationFilter = (typeof CONVERSATION_FILTERS)[number]

export type ConversationQuery = {
  limit: number
  cursor?: string
  /** `mine`: assigned to the caller; `unassigned`; `waiting`: the customer spoke last. */
  filter?: ConversationFilter
  status?: ConversationStatus
  numberId?: string
}

/** The inbox: the tenant's conversations, latest activity first, with their window. */
export async function listConversations(ctx: ServiceContext, input: ConversationQuery) {
  authorize(ctx.principal, 'attendance.read')
  const c = attendanceConversations
  const filters: Record<ConversationFilter, SQL | undefined> = {
    // An API key is nobody's assignee: "mine" is empty for it.
    mine: ctx.principal.kind === 'member' ? eq(c.assigneeId, ctx.principal.id) : sql`false`,
    unassigned: isNull(c.assigneeId),
    waiting: isNotNull(c.waitingSince),
  }
  const rows = await base(ctx)
    .where(
      and(
        eq(c.tenantId, ctx.principal.tenantId),
        input.filter ? filters[input.filter] : undefined,
        input.status ? eq(c.status, input.status) : undefined,
        input.numberId ? eq(c.numberId, input.numberId) : undefined,
        afterCursor([key.timestamp(c.lastMessageAt), key.id(c.id, 'cnv')], input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(c.lastMessageAt), desc(c.id))
    .limit(input.limit + 1)
  const page = nextPage(rows, input.limit, (row) => [row.sortKey, row.id])
  return { ...page, data: page.data.map(({ sortKey: _k, ...row }) => present(ctx.now)(row)) }
}

/** One conversation of the tenant (404 for another tenant's, as for an unknown id). */
export async function findConversation(ctx: ServiceContext, id: string) {
  const [row] = await base(ctx).where(
    and(
      eq(attendanceConversations.id, id),
      eq(attendanceConversations.tenantId, ctx.principal.tenantId ?? ''),
    ),
  )
  if (!row) throw notFound('conversation')
  const { sortKey: _k, ...conversation } = row
  return conversation
}

const MESSAGE_COLUMNS = {
  id: attendanceMessages.id,
  direction: attendanceMessages.direction,
  type: attendanceMessages.type,
  body: attendanceMessages.body,
  replyTo: attendanceMessages.replyTo,
  details: attendanceMessages.details,
  authorId: attendanceMessages.authorId,
  sentAt: attendanceMessages.sentAt,
  // Outbound messages' status, error and cost live in one place: their outbox row.
  delivery: {
    outboxId: outboundMessages.id,
    status: outboundMessages.status,
    errorCode: outboundMessages.errorCode,
    costCategory: outboundMessages.costCategory,
  },
}

/** A conversation's messages, newest first (keyset on the time it happened). */
export async function listConversationMessages(
  ctx: ServiceContext,
  conversationId: string,
  input: { limit: number; cursor?: string },
) {
  authorize(ctx.principal, 'attendance.read')
  await findConversation(ctx, conversationId)
  return pageOfMessages(ctx, conversationId, input)
}

async function pageOfMessages(
  ctx: ServiceContext,
  conversationId: string,
  input: { limit: number; cursor?: string },
) {
  const m = attendanceMessages
  const rows = await ctx.tx
    .select({ ...MESSAGE_COLUMNS, sortKey: sortKey(m.sentAt) })
    .from(m)
    .leftJoin(
      outboundMessages,
      and(eq(outboundMessages.id, m.outboundMessageId), eq(outboundMessages.tenantId, m.tenantId)),
    )
    .where(
      and(
        eq(m.tenantId, ctx.principal.tenantId ?? ''),
        eq(m.conversationId, conversationId),
        afterCursor([key.timestamp(m.sentAt), key.id(m.id, 'amg')], input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(m.sentAt), desc(m.id))
    .limit(input.limit + 1)
  const page = nextPage(rows, input.limit, (row) => [row.sortKey, row.id])
  return {
    ...page,
    data: page.data.map(({ sortKey: _k, delivery, ...row }) => ({
      ...row,
      delivery: delivery?.outboxId ? delivery : null,
    })),
  }
}

/** A conversation with its latest messages (oldest first, as a thread reads) and its window. */
export async function getConversation(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'attendance.read')
  const conversation = present(ctx.now)(await findConversation(ctx, id))
  const latest = await pageOfMessages(ctx, id, { limit: 50 })
  return { ...conversation, messages: latest.data.reverse(), olderCursor: latest.nextCursor }
}

/** Publishes the conversation's new state once the transaction has committed. */
function announce(ctx: ServiceContext, events: AttendanceEvent[]) {
  const tenantId = ctx.principal.tenantId
  if (!tenantId) return
  ctx.afterCommit(() => publishAttendanceEvents(ctx.services, tenantId, events))
}

/**
 * Assigns a conversation to a member who may answer it (an active member holding
 * `attendance.reply`), or to nobody with null.
 */
export async function assignConversation(ctx: ServiceContext, id: string, assigneeId: string | null) {
  authorize(ctx.principal, 'attendance.reply')
  const tenantId = ctx.principal.tenantId
  if (assigneeId) {
    const [member] = await ctx.tx
      .select({ id: users.id })
      .from(users)
      .where(
        and(
          eq(users.id, assigneeId),
          eq(users.tenantId, tenantId),
          eq(users.status, 'active'),
          inArray(users.role, [...rolesWith('attendance.reply')]),
        ),
      )
    if (!member) throw invalidField('json.assignee_id', 'not a member who may answer conversations')
  }
  const [updated] = await ctx.tx
    .update(attendanceConversations)
    .set({ assigneeId, updatedAt: sql`now()` })
    .where(and(eq(attendanceConversations.id, id), eq(attendanceConversations.tenantId, tenantId)))
    .returning({ id: attendanceConversations.id, status: attendanceConversations.status })
  if (!updated) throw notFound('conversation')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.conversation_assigned',
    tenantId,
    target: { type: 'conversation', id },
    data: { assigneeId },
  })
  announce(ctx, [{ type: 'conversation.updated', conversationId: id, status: updated.status, assigneeId }])
  return getConversation(ctx, id)
}

/** What a status change may ask: resolve, wait for the customer, snooze until a time, reopen. */
export type StatusChange =
  | { status: 'resolved' | 'pending' | 'open' }
  | { status: 'snoozed'; snoozedUntil: Date }

export async function setConversationStatus(ctx: ServiceContext, id: string, change: StatusChange) {
  authorize(ctx.principal, 'attendance.reply')
  const tenantId = ctx.principal.tenantId
  const snoozedUntil = change.status === 'snoozed' ? change.snoozedUntil : null
  if (snoozedUntil && snoozedUntil <= ctx.now)
    throw invalidField('json.snoozed_until', 'must be in the future')
  const c = attendanceConversations
  const [updated] = await ctx.tx
    .update(c)
    .set({
      status: change.status,
      snoozedUntil,
      // Resolving ends the episode (its resolution time); reopening starts a new one.
      resolvedAt: change.status === 'resolved' ? sql`coalesce(${c.resolvedAt}, ${ctx.now})` : null,
      waitingSince: change.status === 'resolved' ? null : sql`${c.waitingSince}`,
      openedAt:
        change.status === 'open'
          ? sql`case when ${c.status} = 'resolved' then ${ctx.now} else ${c.openedAt} end`
          : sql`${c.openedAt}`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(c.id, id), eq(c.tenantId, tenantId)))
    .returning({ assigneeId: c.assigneeId })
  if (!updated) throw notFound('conversation')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.conversation_status_changed',
    tenantId,
    target: { type: 'conversation', id },
    data: { status: change.status, snoozedUntil: snoozedUntil?.toISOString() ?? null },
  })
  announce(ctx, [
    {
      type: 'conversation.updated',
      conversationId: id,
      status: change.status,
      assigneeId: updated.assigneeId,
    },
  ])
  return getConversation(ctx, id)
}

/** An internal note: seen by the team in the thread, never sent to the customer. */
export async function addNote(ctx: ServiceContext, conversationId: string, text: string) {
  authorize(ctx.principal, 'attendance.reply')
  await findConversation(ctx, conversationId)
  const id = newId('amg')
  await ctx.tx.insert(attendanceMessages).values({
    id,
    tenantId: ctx.principal.tenantId,
    conversationId,
    direction: 'note',
    type: 'note',
    body: text,
    authorId: ctx.principal.kind === 'member' ? ctx.principal.id : null,
    sentAt: ctx.now,
  })
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.note_added',
    tenantId: ctx.principal.tenantId,
    target: { type: 'conversation', id: conversationId },
    data: { messageId: id },
  })
  announce(ctx, [{ type: 'message.created', conversationId, messageId: id, direction: 'note' }])
  return messageById(ctx, id)
}

/** One message as the thread shows it. */
export async function messageById(ctx: ServiceContext, id: string) {
  const m = attendanceMessages
  const [row] = await ctx.tx
    .select(MESSAGE_COLUMNS)
    .from(m)
    .leftJoin(
      outboundMessages,
      and(eq(outboundMessages.id, m.outboundMessageId), eq(outboundMessages.tenantId, m.tenantId)),
    )
    .where(and(eq(m.id, id), eq(m.tenantId, ctx.principal.tenantId ?? '')))
    .orderBy(asc(m.sentAt))
  if (!row) throw new ApiError(500, 'INTERNAL_ERROR', 'The message just written is missing.')
  const { delivery, ...rest } = row
  return { ...rest, delivery: delivery?.outboxId ? delivery : null }
}
