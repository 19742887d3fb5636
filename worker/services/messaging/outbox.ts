import { sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import type { MessageChannel, MessageStatus } from '../../../db/schema/index.ts'
import { emailContent, telegramContent, whatsappContent } from '../../connectors/messaging/types.ts'
import { ApiError, invalidField } from '../../errors.ts'
import type { JobMessage } from '../../jobs/messages.ts'
import type { JobQueue } from '../../runtime/ports.ts'
import type { ServiceContext } from '../context.ts'
import { ownsKey } from '../files/files.ts'
import { publishAfterCommit } from '../realtime/publish.ts'

const common = {
  /** What the message is for, e.g. `scheduling.reminder`: lists filter on it. */
  purpose: z
    .string()
    .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, 'like module.what')
    .max(64),
  /**
   * One intent, one message: the same key twice makes one row and one send. Derive it from the
   * business fact (`appointment:apt_…:reminder-24h`), never from the time or a random value.
   */
  idempotencyKey: z.string().min(1).max(200),
}

/** What a module asks to send: one channel, its recipient, its sender and its content. */
export const outboundInput = z.discriminatedUnion('channel', [
  z.object({
    channel: z.literal('whatsapp'),
    ...common,
    /** The customer's number, digits only with the country code (`5511987654321`). */
    to: z.string().regex(/^[1-9]\d{7,14}$/, 'digits with the country code'),
    /** The tenant's WhatsApp connection (its token) and the business number it sends from. */
    from: z.object({
      connectionId: z.string().regex(/^con_[0-9a-z]{20}$/),
      phoneNumberId: z.string().regex(/^\d{1,30}$/),
    }),
    /**
     * The customer-service window as the caller knows it (from the conversation's last inbound
     * message): free text is refused when it is `closed`, before anything is stored or sent.
     */
    window: z.enum(['open', 'closed']),
    content: whatsappContent,
  }),
  z.object({
    channel: z.literal('email'),
    ...common,
    to: z.email().max(254),
    content: emailContent,
  }),
  z.object({
    channel: z.literal('telegram'),
    ...common,
    /** A chat id (`123456789`, `-100…` for groups) or a public `@channelname`. */
    to: z.string().regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, 'a chat id or @channelname'),
    /** Whose bot token, in the vault (`ownerId` of purpose `bot_token`), and its version at least. */
    from: z.object({ vaultOwner: z.string().min(1).max(64), version: z.number().int().positive() }),
    content: telegramContent,
  }),
])
export type OutboundInput = z.input<typeof outboundInput>
type Outbound = z.output<typeof outboundInput>

/** What is stored in `payload`: everything but the channel, recipient, purpose and key. */
function payloadOf(input: Outbound): Record<string, unknown> {
  const { channel: _c, purpose: _p, idempotencyKey: _k, to: _t, ...payload } = input
  return payload
}

/** The stored payload of a message, read back as its channel's shape. */
export const storedPayload = {
  whatsapp: outboundInput.options[0].omit({ channel: true, purpose: true, idempotencyKey: true, to: true }),
  email: outboundInput.options[1].omit({ channel: true, purpose: true, idempotencyKey: true, to: true }),
  telegram: outboundInput.options[2].omit({ channel: true, purpose: true, idempotencyKey: true, to: true }),
} as const

export type Enqueued = {
  id: string
  channel: MessageChannel
  status: MessageStatus
  /** False when the key was already used for the same message: nothing new was stored. */
  created: boolean
}

type Inserted = { id: string; status: MessageStatus; created: boolean; same: boolean }

/**
 * Stores one outbound message in the caller's transaction, for the tenant `tenantId`; the
 * idempotency key is unique per tenant (`ON CONFLICT DO NOTHING`). `mismatch` when the key is
 * already taken by a different message (another channel, recipient, purpose or payload). Used by
 * system work (a job's own transaction); request-driven verbs call `enqueueMessage`.
 */
export async function insertOutboundMessage(
  tx: Tx,
  tenantId: string,
  raw: OutboundInput,
): Promise<Enqueued & { mismatch: boolean }> {
  const parsed = outboundInput.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw invalidField(
      `message.${issue?.path.join('.') ?? ''}`,
      issue?.message ?? 'invalid',
      'The message is not valid.',
    )
  }
  const input = parsed.data
  // A key names a stored object: only the tenant's own files may leave as its attachments.
  if (input.channel === 'email')
    for (const [index, file] of (input.content.attachments ?? []).entries())
      if (!ownsKey(tenantId, file.key))
        throw invalidField(
          `message.content.attachments.${index}.key`,
          'not a file of this tenant',
          'The message is not valid.',
        )
  if (input.channel === 'whatsapp' && input.window === 'closed' && input.content.type === 'text')
    throw windowClosed()
  const payload = JSON.stringify(payloadOf(input))
  const match = sql`m.channel = ${input.channel} and m.recipient = ${input.to} and m.purpose = ${input.purpose}
    and m.payload = ${payload}::jsonb`
  const inserted = await tx.execute<Inserted>(sql`
    with fresh as (
      insert into outbound_messages (id, tenant_id, channel, purpose, recipient, payload, idempotency_key)
      values (${newId('msg')}, ${tenantId}, ${input.channel}, ${input.purpose}, ${input.to}, ${payload}::jsonb,
        ${input.idempotencyKey})
      on conflict (tenant_id, idempotency_key) do nothing
      returning id, status
    )
    select id, status, true as created, true as same from fresh
    union all
    select m.id, m.status, false, ${match} from outbound_messages m
    where m.tenant_id = ${tenantId} and m.idempotency_key = ${input.idempotencyKey}
      and not exists (select 1 from fresh)`)
  let row = inserted.rows[0]
  // A concurrent transaction inserted the same key and committed after this statement's snapshot
  // was taken: the insert waited and did nothing, and the row is visible to the next statement.
  if (!row) {
    const existing = await tx.execute<Inserted>(sql`
      select m.id, m.status, false as created, ${match} as same from outbound_messages m
      where m.tenant_id = ${tenantId} and m.idempotency_key = ${input.idempotencyKey}`)
    row = existing.rows[0]
  }
  if (!row) throw new Error('outbound message neither inserted nor found')
  return { id: row.id, channel: input.channel, status: row.status, created: row.created, mismatch: !row.same }
}

export const windowClosed = () =>
  new ApiError(
    422,
    'WINDOW_CLOSED',
    'The customer-service window is closed (no message from the customer in 24 hours): send an approved template instead.',
  )

/**
 * Asks for one message to be sent, inside the calling verb's transaction (the verb has already
 * checked that its caller may do what the message is about; this adds no permission of its own).
 * The row commits or rolls back with the verb's own change; the `messaging.send` job is queued
 * only after the commit. Asking again with the same key answers the first message (`created:
 * false`, nothing sent twice); the same key for a different message is 409 IDEMPOTENCY_KEY_REUSED.
 * Free WhatsApp text when the caller says the window is closed is 422 WINDOW_CLOSED.
 */
export async function enqueueMessage(ctx: ServiceContext, input: OutboundInput): Promise<Enqueued> {
  const tenantId = ctx.principal.tenantId
  if (!tenantId) throw new ApiError(403, 'FORBIDDEN', 'Only a tenant sends messages.')
  const { mismatch, ...message } = await insertOutboundMessage(ctx.tx, tenantId, input)
  if (mismatch)
    throw new ApiError(
      409,
      'IDEMPOTENCY_KEY_REUSED',
      'This idempotency key was already used for a different message.',
    )
  if (message.status === 'queued') sendAfterCommit(ctx, [message.id])
  if (message.created)
    publishAfterCommit(ctx, [{ type: 'message.status', messageId: message.id, status: message.status }])
  return message
}

/** Queues the `messaging.send` jobs of messages written in the verb's transaction, once it commits. */
export function sendAfterCommit(ctx: ServiceContext, messageIds: string[]): void {
  const tenantId = ctx.principal.tenantId
  if (!tenantId || messageIds.length === 0) return
  ctx.afterCommit(async () => {
    await queueSends(ctx.services.jobs, tenantId, messageIds)
  })
}

/**
 * The `messaging.send` jobs of messages whose rows are committed. A job lost before it reaches the
 * queue is recovered by the cron sweep (sweep.ts): queued rows are re-sent a minute after they
 * were due.
 */
export async function queueSends(jobs: JobQueue, tenantId: string, messageIds: string[]): Promise<number> {
  if (messageIds.length === 0) return 0
  const messages: JobMessage[] = messageIds.map((messageId) => ({
    type: 'messaging.send',
    v: 1,
    tenantId,
    messageId,
  }))
  return jobs.sendMany(messages)
}
