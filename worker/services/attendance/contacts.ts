import { and, desc, eq, sql } from 'drizzle-orm'
import {
  attendanceContacts,
  attendanceConversations,
  attendanceNumbers,
  customers,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'

/**
 * What the inbox's contact panel shows: the contact (name, profile name, WhatsApp id, opt-in),
 * the shared customer it is, and its conversations on the tenant's numbers.
 */
export async function getContact(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'attendance.read')
  const tenantId = ctx.principal.tenantId
  const [contact] = await ctx.tx
    .select({
      id: attendanceContacts.id,
      name: attendanceContacts.name,
      profileName: attendanceContacts.profileName,
      waId: attendanceContacts.waId,
      hasUserId: sql<boolean>`${attendanceContacts.bsuid} is not null`,
      optedInAt: attendanceContacts.optedInAt,
      optInSource: attendanceContacts.optInSource,
      customer: { id: customers.id, name: customers.name, phone: customers.phone, email: customers.email },
      createdAt: attendanceContacts.createdAt,
    })
    .from(attendanceContacts)
    .leftJoin(
      customers,
      and(eq(customers.id, attendanceContacts.customerId), eq(customers.tenantId, tenantId)),
    )
    .where(and(eq(attendanceContacts.id, id), eq(attendanceContacts.tenantId, tenantId)))
  if (!contact) throw notFound('contact')
  const conversations = await ctx.tx
    .select({
      id: attendanceConversations.id,
      status: attendanceConversations.status,
      lastMessageAt: attendanceConversations.lastMessageAt,
      number: { id: attendanceNumbers.id, displayNumber: attendanceNumbers.displayNumber },
    })
    .from(attendanceConversations)
    .innerJoin(attendanceNumbers, eq(attendanceNumbers.id, attendanceConversations.numberId))
    .where(and(eq(attendanceConversations.tenantId, tenantId), eq(attendanceConversations.contactId, id)))
    .orderBy(desc(attendanceConversations.lastMessageAt))
  return { ...contact, customer: contact.customer?.id ? contact.customer : null, conversations }
}

/** The name the team gives a contact (null: back to the WhatsApp profile name). */
export async function updateContact(ctx: ServiceContext, id: string, input: { name: string | null }) {
  authorize(ctx.principal, 'attendance.reply')
  const [updated] = await ctx.tx
    .update(attendanceContacts)
    .set({ name: input.name, updatedAt: sql`now()` })
    .where(and(eq(attendanceContacts.id, id), eq(attendanceContacts.tenantId, ctx.principal.tenantId)))
    .returning({ id: attendanceContacts.id })
  if (!updated) throw notFound('contact')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.contact_renamed',
    tenantId: ctx.principal.tenantId,
    target: { type: 'contact', id },
  })
  return getContact(ctx, id)
}

/**
 * Erases one contact (LGPD Art. 18 VI, on the person's request): its messages, the outbox rows of
 * the replies sent to it, its conversations and the contact itself, in one transaction. Only
 * counts remain, in the audit row. The shared customer stays (other modules' bookings and orders
 * may be theirs; erasing a customer everywhere is that record's own request).
 */
export async function eraseContact(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'privacy.manage')
  const tenantId = ctx.principal.tenantId
  const [counts] = (
    await ctx.tx.execute<{
      contact: string | null
      messages: number
      conversations: number
      outbox: number
    }>(sql`
      with contact as (
        select id from attendance_contacts where id = ${id} and tenant_id = ${tenantId} for update
      ), conversation as (
        select c.id from attendance_conversations c join contact on contact.id = c.contact_id
        where c.tenant_id = ${tenantId}
      ), message as (
        delete from attendance_messages m using conversation
        where m.tenant_id = ${tenantId} and m.conversation_id = conversation.id
        returning m.outbound_message_id
      ), outbox as (
        delete from outbound_messages o using message
        where o.tenant_id = ${tenantId} and o.id = message.outbound_message_id
        returning o.id
      )
      select (select id from contact) as contact, (select count(*)::int from message) as messages,
        (select count(*)::int from conversation) as conversations, (select count(*)::int from outbox) as outbox`)
  ).rows
  if (!counts?.contact) throw notFound('contact')
  // The messages referenced the conversations: those go once the messages' deletion is visible.
  await ctx.tx.execute(
    sql`delete from attendance_conversations where tenant_id = ${tenantId} and contact_id = ${id}`,
  )
  await ctx.tx.execute(sql`delete from attendance_contacts where tenant_id = ${tenantId} and id = ${id}`)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.contact_erased',
    tenantId,
    target: { type: 'contact', id },
    data: { messages: counts.messages, conversations: counts.conversations, outboundMessages: counts.outbox },
  })
  return { messages: counts.messages, conversations: counts.conversations, outboundMessages: counts.outbox }
}
