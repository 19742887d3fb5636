import { sql } from 'drizzle-orm'
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { tenants } from './tenancy.ts'

export const MESSAGE_CHANNELS = ['whatsapp', 'email', 'telegram'] as const
/**
 * `queued` → `sending` (claimed by one consumer) → `sent` (the provider accepted it) → `delivered`
 * → `read` (from the provider's status webhooks, forward only); `failed` at any step, with a code.
 */
export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed'] as const
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number]
export type MessageStatus = (typeof MESSAGE_STATUSES)[number]

/**
 * The outbox: one row per message a module asked to send, written in the same transaction as the
 * module's own change (a booking, an order…) and sent by a `messaging.send` job. The row is the
 * intent: `(tenant_id, idempotency_key)` is unique, so asking twice makes one message, and the
 * job claims it (`queued` → `sending`) before calling the provider, so a redelivered job sends
 * nothing (worker/services/messaging/, docs/messaging.md). `payload` holds what to send per
 * channel (text, a template and its parameters, a subject and body) and where from (a WhatsApp
 * connection and number, a Telegram bot's vault owner): never a token. `error_message` is the
 * provider's description, never a credential.
 */
export const outboundMessages = pgTable(
  'outbound_messages',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    channel: text('channel', { enum: MESSAGE_CHANNELS }).notNull(),
    /** What the message is for (`calendar.conflict_alert`, `scheduling.reminder`…): lists filter on it. */
    purpose: text('purpose').notNull(),
    /** A phone number (WhatsApp), an e-mail address or a chat id (Telegram). */
    recipient: text('recipient').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    status: text('status', { enum: MESSAGE_STATUSES }).notNull().default('queued'),
    providerMessageId: text('provider_message_id'),
    /** Our stable code (`WINDOW_CLOSED`, `THROTTLED`, `OUTCOME_UNKNOWN`…; docs/messaging.md). */
    errorCode: text('error_code'),
    /** The provider's own code (`131047`, `rate_limit_exceeded`…), as it answered. */
    providerErrorCode: text('provider_error_code'),
    errorMessage: text('error_message'),
    /** The provider's pricing category when it reports one (WhatsApp: marketing, utility, service…). */
    costCategory: text('cost_category'),
    /** Claims so far: each call to the provider is one. */
    attempts: integer('attempts').notNull().default(0),
    /** A queued message is not sent before this (backoff after a retryable error). */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('outbound_messages_idempotency_key').on(t.tenantId, t.idempotencyKey),
    // The API's list, newest first.
    index('outbound_messages_tenant_id_idx').on(t.tenantId, t.createdAt, t.id),
    // Status webhooks find a message by the provider's id (a WhatsApp wamid).
    index('outbound_messages_provider_idx')
      .on(t.tenantId, t.providerMessageId)
      .where(sql`provider_message_id is not null`),
    // The cron sweep: queued messages whose job was lost, sends that never recorded an outcome.
    index('outbound_messages_pending_idx').on(t.nextAttemptAt).where(sql`status in ('queued', 'sending')`),
  ],
)
