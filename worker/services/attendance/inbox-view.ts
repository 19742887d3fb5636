import { and, desc, eq, ilike, inArray, isNotNull, isNull, or, type SQL, sql } from 'drizzle-orm'
import {
  attendanceContacts,
  attendanceConversations,
  attendanceMessages,
  attendanceNumbers,
  users,
} from '../../../db/schema/index.ts'
import { authorize, rolesWith } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage, sortKey } from '../keyset.ts'
import { windowOf } from './conversations.ts'

// What the portal's inbox (`/app/inbox`) reads beyond the API's verbs: the list as people scan it
// (who, the last words, whose turn, who handles it) and the members a conversation can go to.

/** The inbox's tabs: everything, mine, nobody's, by status, or the customer spoke last. */
export const INBOX_FILTERS = ['all', 'mine', 'unassigned', 'open', 'waiting', 'resolved'] as const
export type InboxFilter = (typeof INBOX_FILTERS)[number]

export type InboxQuery = { filter: InboxFilter; search?: string; limit: number; cursor?: string }

/** `%` and `_` typed by a person are letters to look for, not patterns. */
const likeText = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * The tenant's conversations for the inbox list, latest activity first: the contact, the number,
 * the assignee's name, the last message's first words and the window. `search` matches the
 * contact's name, WhatsApp profile name or phone digits.
 */
export async function inboxConversations(ctx: ServiceContext, input: InboxQuery) {
  authorize(ctx.principal, 'attendance.read')
  const tenantId = ctx.principal.tenantId
  const c = attendanceConversations
  const filters: Record<InboxFilter, SQL | undefined> = {
    all: undefined,
    mine: ctx.principal.kind === 'member' ? eq(c.assigneeId, ctx.principal.id) : sql`false`,
    unassigned: and(isNull(c.assigneeId), inArray(c.status, ['open', 'pending'])),
    open: inArray(c.status, ['open', 'pending']),
    waiting: and(isNotNull(c.waitingSince), inArray(c.status, ['open', 'pending'])),
    resolved: eq(c.status, 'resolved'),
  }
  const search = input.search?.trim()
  const digits = search?.replace(/\D/g, '') ?? ''
  const matches = search
    ? or(
        ilike(attendanceContacts.name, likeText(search)),
        ilike(attendanceContacts.profileName, likeText(search)),
        digits.length >= 3 ? ilike(attendanceContacts.waId, likeText(digits)) : undefined,
      )
    : undefined
  // The last message of each conversation on the page: one index probe per row.
  const last = ctx.tx
    .select({
      direction: attendanceMessages.direction,
      type: attendanceMessages.type,
      body: sql<string | null>`left(${attendanceMessages.body}, 140)`.as('body'),
    })
    .from(attendanceMessages)
    .where(and(eq(attendanceMessages.tenantId, tenantId), eq(attendanceMessages.conversationId, c.id)))
    .orderBy(desc(attendanceMessages.sentAt), desc(attendanceMessages.id))
    .limit(1)
    .as('last')
  const rows = await ctx.tx
    .select({
      id: c.id,
      status: c.status,
      lastInboundAt: c.lastInboundAt,
      lastMessageAt: c.lastMessageAt,
      waitingSince: c.waitingSince,
      snoozedUntil: c.snoozedUntil,
      assignee: { id: users.id, name: users.name },
      contact: {
        id: attendanceContacts.id,
        name: attendanceContacts.name,
        profileName: attendanceContacts.profileName,
        waId: attendanceContacts.waId,
      },
      number: { displayNumber: attendanceNumbers.displayNumber, label: attendanceNumbers.label },
      last: { direction: last.direction, type: last.type, body: last.body },
      sortKey: sortKey(c.lastMessageAt),
    })
    .from(c)
    .innerJoin(
      attendanceNumbers,
      and(eq(attendanceNumbers.id, c.numberId), eq(attendanceNumbers.tenantId, tenantId)),
    )
    .innerJoin(
      attendanceContacts,
      and(eq(attendanceContacts.id, c.contactId), eq(attendanceContacts.tenantId, tenantId)),
    )
    .leftJoin(users, and(eq(users.id, c.assigneeId), eq(users.tenantId, tenantId)))
    .leftJoinLateral(last, sql`true`)
    .where(
      and(
        eq(c.tenantId, tenantId),
        filters[input.filter],
        matches,
        afterCursor([key.timestamp(c.lastMessageAt), key.id(c.id, 'cnv')], input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(c.lastMessageAt), desc(c.id))
    .limit(input.limit + 1)
  const page = nextPage(rows, input.limit, (row) => [row.sortKey, row.id])
  return {
    ...page,
    data: page.data.map(({ sortKey: _k, assignee, last: lastMessage, ...row }) => ({
      ...row,
      assignee: assignee?.id ? assignee : null,
      last: lastMessage?.direction ? lastMessage : null,
      window: windowOf(row.lastInboundAt, ctx.now),
    })),
  }
}

export type InboxRow = Awaited<ReturnType<typeof inboxConversations>>['data'][number]

/** The members a conversation can be assigned to: active, holding `attendance.reply`, by name. */
export async function assignableMembers(ctx: ServiceContext) {
  authorize(ctx.principal, 'attendance.read')
  return ctx.tx
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(
      and(
        eq(users.tenantId, ctx.principal.tenantId),
        eq(users.status, 'active'),
        inArray(users.role, [...rolesWith('attendance.reply')]),
      ),
    )
    .orderBy(users.name, users.id)
}

/**
 * The messages a conversation's replies answer, by wamid: the customer's own (their wamid) and
 * the team's (the outbox's provider id), for the quote shown above a reply.
 */
export async function quotedMessages(
  ctx: ServiceContext,
  conversationId: string,
  wamids: string[],
): Promise<Record<string, { direction: string; body: string | null }>> {
  authorize(ctx.principal, 'attendance.read')
  const wanted = [...new Set(wamids)]
  if (wanted.length === 0) return {}
  const tenantId = ctx.principal.tenantId
  const list = sql.join(
    wanted.map((wamid) => sql`${wamid}`),
    sql`, `,
  )
  const rows = await ctx.tx.execute<{ wamid: string; direction: string; body: string | null }>(sql`
    select coalesce(m.wamid, o.provider_message_id) as wamid, m.direction, left(m.body, 200) as body
    from attendance_messages m
    left join outbound_messages o on o.id = m.outbound_message_id and o.tenant_id = m.tenant_id
    where m.tenant_id = ${tenantId} and m.conversation_id = ${conversationId}
      and (m.wamid in (${list}) or o.provider_message_id in (${list}))`)
  return Object.fromEntries(rows.rows.map((row) => [row.wamid, { direction: row.direction, body: row.body }]))
}

/** A customer's message of the conversation that a reply can answer (WhatsApp quotes it by wamid). */
export async function answerableMessage(ctx: ServiceContext, conversationId: string, messageId: string) {
  authorize(ctx.principal, 'attendance.read')
  const m = attendanceMessages
  const [row] = await ctx.tx
    .select({ id: m.id, wamid: m.wamid, body: sql<string | null>`left(${m.body}, 200)` })
    .from(m)
    .where(
      and(
        eq(m.tenantId, ctx.principal.tenantId),
        eq(m.conversationId, conversationId),
        eq(m.id, messageId),
        eq(m.direction, 'in'),
        isNotNull(m.wamid),
      ),
    )
  return row?.wamid ? { id: row.id, wamid: row.wamid, body: row.body } : null
}
