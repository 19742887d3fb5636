import { and, desc, eq } from 'drizzle-orm'
import { type MessageChannel, type MessageStatus, outboundMessages } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'

/** What a list shows of a message: everything but its content. */
const summary = {
  id: outboundMessages.id,
  channel: outboundMessages.channel,
  purpose: outboundMessages.purpose,
  recipient: outboundMessages.recipient,
  status: outboundMessages.status,
  idempotencyKey: outboundMessages.idempotencyKey,
  providerMessageId: outboundMessages.providerMessageId,
  errorCode: outboundMessages.errorCode,
  providerErrorCode: outboundMessages.providerErrorCode,
  errorMessage: outboundMessages.errorMessage,
  costCategory: outboundMessages.costCategory,
  attempts: outboundMessages.attempts,
  createdAt: outboundMessages.createdAt,
  sentAt: outboundMessages.sentAt,
  updatedAt: outboundMessages.updatedAt,
}

/** The tenant's outbound messages, newest first, filtered by status, channel or purpose. */
export async function listMessages(
  { tx, principal }: ServiceContext,
  input: {
    limit: number
    cursor?: string
    status?: MessageStatus
    channel?: MessageChannel
    purpose?: string
  },
) {
  authorize(principal, 'messages.read')
  const rows = await tx
    .select({ ...summary, sortKey: sortKey(outboundMessages.createdAt) })
    .from(outboundMessages)
    .where(
      and(
        eq(outboundMessages.tenantId, principal.tenantId),
        input.status ? eq(outboundMessages.status, input.status) : undefined,
        input.channel ? eq(outboundMessages.channel, input.channel) : undefined,
        input.purpose ? eq(outboundMessages.purpose, input.purpose) : undefined,
        afterCursor(byCreatedAt(outboundMessages, 'msg'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(outboundMessages.createdAt), desc(outboundMessages.id))
    .limit(input.limit + 1)
  return cutPage(rows, input.limit)
}

/**
 * One message with what it says (`payload`: the text, template and parameters, or subject and
 * body, and the sender's connection or bot; never a credential). Another tenant's is a 404.
 */
export async function getMessage({ tx, principal }: ServiceContext, id: string) {
  authorize(principal, 'messages.read')
  const [row] = await tx
    .select({ ...summary, payload: outboundMessages.payload })
    .from(outboundMessages)
    .where(and(eq(outboundMessages.id, id), eq(outboundMessages.tenantId, principal.tenantId)))
  if (!row) throw notFound('message')
  return row
}
