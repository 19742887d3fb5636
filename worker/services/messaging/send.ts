import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type { MessageChannel } from '../../../db/schema/index.ts'
import { platformHttp } from '../../connectors/http.ts'
import { channels, type SenderOf } from '../../connectors/messaging/index.ts'
import {
  type Accepted,
  type EmailContent,
  type ReadyAttachment,
  SendError,
  type SendErrorCode,
} from '../../connectors/messaging/types.ts'
import type { JobOf } from '../../jobs/messages.ts'
import { RetryLater } from '../../jobs/retry.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { StaleSecretError, Vault } from '../../vault/vault.ts'
import { readFile, toBase64 } from '../files/files.ts'
import { publishEvents } from '../realtime/publish.ts'
import { storedPayload } from './outbox.ts'

/** Calls to the provider per message, at most (each claim is one); then the last error stands. */
export const MAX_SEND_ATTEMPTS = 8
/**
 * A claimed message that has recorded no outcome this long after its claim is stuck: the
 * consumer died between the provider's answer and the record (a queue consumer runs 15 minutes
 * at most). The sweep then fails it OUTCOME_UNKNOWN, or re-queues it where the provider dedupes.
 */
export const SENDING_TIMEOUT_MINUTES = 15
/** KV may take about a minute to show a secret written elsewhere; after that it is not coming. */
const STALE_SECRET_ATTEMPTS = 3
const MAX_BACKOFF_SECONDS = 60 * 60

type Delivery = { attempts: number }
type Claimed = {
  id: string
  channel: MessageChannel
  recipient: string
  payload: Record<string, unknown>
  attempts: number
}
type Failure = { code: SendErrorCode; message: string; providerCode?: string | null }

/** Full-jitter backoff (2^attempts s, at most an hour), never shorter than the provider's hint. */
export function backoffSeconds(attempts: number, hint = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_SECONDS, 2 ** Math.max(1, attempts))
  return Math.min(MAX_BACKOFF_SECONDS, Math.max(hint, Math.max(1, Math.round(ceiling * random()))))
}

const baseUrl = (services: Services, channel: MessageChannel) =>
  ({
    whatsapp: services.config.WHATSAPP_API_URL,
    telegram: services.config.TELEGRAM_API_URL,
    email: services.config.RESEND_API_URL,
  })[channel]

/**
 * `messaging.send`: sends one outbox message at most once. (1) In a short transaction, claims the
 * row (`queued` → `sending`, one more attempt) and reads its sender's credentials from the vault;
 * a message already claimed, sent or failed is left alone, so a redelivered or duplicate job does
 * nothing. (2) Calls the provider with no transaction open. (3) Records the outcome in another:
 * `sent` with the provider's id; a retryable error (throttling, an outage) puts it back to
 * `queued` with a backoff and retries the job (RetryLater); anything else fails it with its code.
 * A crash between (2) and (3) leaves it `sending`, which the sweep resolves (sweep.ts). Each
 * outcome, once committed, is published to the tenant's open pages (`message.status`).
 */
export async function sendOutboundMessage(
  job: JobOf<'messaging.send'>,
  services: Services,
  delivery: Delivery,
): Promise<void> {
  const fields = { message_id: job.messageId, tenant_id: job.tenantId }
  const announce = (status: 'queued' | 'sent' | 'failed') =>
    publishEvents(services, job.tenantId, [{ type: 'message.status', messageId: job.messageId, status }])
  const claimed = await services.db
    .transaction((tx) => claim(tx, services, job), { tenantId: job.tenantId })
    .catch(async (error: unknown) => {
      if (!(error instanceof StaleSecretError)) throw error
      if (delivery.attempts < STALE_SECRET_ATTEMPTS)
        throw new RetryLater('credential not yet visible in KV', 30)
      await services.db.transaction(
        (tx) =>
          fail(
            tx,
            job,
            {
              code: 'NOT_CONFIGURED',
              message: 'The credential to send with could not be read (removed or replaced meanwhile).',
            },
            'queued',
          ),
        { tenantId: job.tenantId },
      )
      await announce('failed')
      return null
    })
  if (!claimed) return
  if ('wait' in claimed) throw new RetryLater('message not due yet', claimed.wait)
  if ('failed' in claimed) {
    log('warn', 'message not sent', { ...fields, code: claimed.failed })
    await announce('failed')
    return
  }

  const { message, sender } = claimed
  const channel = channels[message.channel]
  const http = platformHttp({
    baseUrl: baseUrl(services, message.channel),
    timeoutMs: services.config.PLATFORM_TIMEOUT_MS,
    budget: 1,
  })
  let outcome: { ok: true; accepted: Accepted } | { ok: false; error: SendError }
  try {
    const content = (storedPayload[message.channel].parse(message.payload) as { content: never }).content
    const attachments =
      message.channel === 'email' ? await readAttachments(services, content as EmailContent) : undefined
    outcome = {
      ok: true,
      accepted: await channel.send(
        http,
        sender as never,
        { messageId: message.id, recipient: message.recipient, attachments },
        content,
      ),
    }
  } catch (error) {
    // Anything unclassified (a bug) leaves the row `sending`: the sweep decides, nothing resends blindly.
    if (!(error instanceof SendError)) throw error
    outcome = { ok: false, error }
  }

  if (outcome.ok) {
    const { providerMessageId, costCategory } = outcome.accepted
    await services.db.transaction(
      (tx) =>
        tx.execute(sql`
          update outbound_messages set status = 'sent', provider_message_id = ${providerMessageId},
            cost_category = coalesce(${costCategory}, cost_category), sent_at = now(), updated_at = now(),
            error_code = null, provider_error_code = null, error_message = null
          where id = ${message.id} and tenant_id = ${job.tenantId} and status = 'sending'`),
      { tenantId: job.tenantId },
    )
    log('info', 'message sent', { ...fields, channel: message.channel, attempts: message.attempts })
    await announce('sent')
    return
  }

  const { error } = outcome
  const retryable = error.kind === 'throttled' || error.kind === 'transient'
  const failure: Failure = { code: error.code, message: error.message, providerCode: error.platformCode }
  if (retryable && message.attempts < MAX_SEND_ATTEMPTS) {
    const delay = backoffSeconds(message.attempts, error.retryAfterSeconds ?? 0)
    await services.db.transaction(
      (tx) =>
        tx.execute(sql`
          update outbound_messages set status = 'queued',
            next_attempt_at = now() + make_interval(secs => ${delay}), updated_at = now(),
            error_code = ${failure.code}, provider_error_code = ${failure.providerCode ?? null},
            error_message = ${failure.message}
          where id = ${message.id} and tenant_id = ${job.tenantId} and status = 'sending'`),
      { tenantId: job.tenantId },
    )
    await announce('queued')
    throw new RetryLater(`${message.channel}: ${error.code}`, delay)
  }
  await services.db.transaction(
    async (tx) => {
      await fail(tx, job, failure, 'sending')
      // The same dead token fails collection too: the tenant is told to reconnect, once.
      if (error.kind === 'token_invalid' && message.channel === 'whatsapp') {
        const { from } = storedPayload.whatsapp.parse(message.payload)
        await tx.execute(sql`
          update connections set status = 'needs_reconnect', updated_at = now(), last_error_at = now(),
            last_error = 'The platform no longer accepts this connection’s token: reconnect the account.'
          where id = ${from.connectionId} and tenant_id = ${job.tenantId} and status = 'active'`)
      }
    },
    { tenantId: job.tenantId },
  )
  log('warn', 'message failed', {
    ...fields,
    channel: message.channel,
    code: error.code,
    attempts: message.attempts,
  })
  await announce('failed')
}

/**
 * An e-mail's attachments, read from the FILES bucket with no transaction open (a few MiB at most,
 * checked when the message was stored). A file gone meanwhile (erased with its run or booking)
 * fails the message: sending it without the attachment would say something else.
 */
async function readAttachments(services: Services, content: EmailContent): Promise<ReadyAttachment[]> {
  const ready: ReadyAttachment[] = []
  for (const file of content.attachments ?? []) {
    const bytes = await readFile(services.files, file.key)
    if (!bytes)
      throw new SendError('permanent', 'REJECTED', `The attachment ${file.filename} is no longer stored.`)
    ready.push({ filename: file.filename, contentType: file.contentType, base64: toBase64(bytes) })
  }
  return ready
}

async function fail(tx: Tx, job: JobOf<'messaging.send'>, failure: Failure, from: 'queued' | 'sending') {
  await tx.execute(sql`
    update outbound_messages set status = 'failed', updated_at = now(), error_code = ${failure.code},
      provider_error_code = ${failure.providerCode ?? null}, error_message = ${failure.message}
    where id = ${job.messageId} and tenant_id = ${job.tenantId} and status = ${from}`)
}

type ClaimResult =
  | { message: Claimed; sender: SenderOf[MessageChannel] }
  | { wait: number }
  | { failed: SendErrorCode }
  | null

/**
 * The claim, in the job's first transaction: only a `queued` message that is due moves to
 * `sending`. Its sender is resolved in the same transaction; a sender that cannot exist (no such
 * connection, no e-mail key) fails the message there, without a call. A StaleSecretError rolls
 * the claim back (the secret may not have reached this KV location yet).
 */
async function claim(tx: Tx, services: Services, job: JobOf<'messaging.send'>): Promise<ClaimResult> {
  const rows = await tx.execute<Claimed>(sql`
    update outbound_messages
    set status = 'sending', attempts = attempts + 1, updated_at = now(),
      next_attempt_at = now() + make_interval(mins => ${SENDING_TIMEOUT_MINUTES})
    where id = ${job.messageId} and tenant_id = ${job.tenantId} and status = 'queued' and next_attempt_at <= now()
    returning id, channel, recipient, payload, attempts`)
  const message = rows.rows[0]
  if (!message) {
    const [row] = (
      await tx.execute<{ status: string; wait: number }>(sql`
        select status, ceil(extract(epoch from next_attempt_at - now()))::int as wait
        from outbound_messages where id = ${job.messageId} and tenant_id = ${job.tenantId}`)
    ).rows
    // Queued but backing off: a second job for it (the sweep's, say) waits its turn.
    if (row?.status === 'queued') return { wait: Math.max(1, row.wait) }
    log('info', 'message already handled', {
      message_id: job.messageId,
      tenant_id: job.tenantId,
      status: row?.status ?? 'missing',
    })
    return null
  }
  const refusal = await senderOf(tx, services, job.tenantId, message)
  if ('code' in refusal) {
    await fail(tx, job, refusal, 'sending')
    return { failed: refusal.code }
  }
  return { message, sender: refusal.sender }
}

/** The credentials and from-address a message is sent with, or why it cannot be sent at all. */
async function senderOf(
  tx: Tx,
  services: Services,
  tenantId: string,
  message: Claimed,
): Promise<{ sender: SenderOf[MessageChannel] } | Failure> {
  const vault = new Vault(tx, services.tokens, services.config.VAULT_MASTER_KEYS)
  if (message.channel === 'email') {
    const apiKey = services.config.RESEND_API_KEY
    if (!apiKey)
      return { code: 'NOT_CONFIGURED', message: 'No e-mail provider is configured (RESEND_API_KEY).' }
    return { sender: { apiKey, from: services.config.MAIL_FROM } }
  }
  if (message.channel === 'telegram') {
    const { from } = storedPayload.telegram.parse(message.payload)
    const botToken = await vault.get(
      { tenantId, ownerId: from.vaultOwner, purpose: 'bot_token' },
      from.version,
    )
    return { sender: { botToken } }
  }
  const payload = storedPayload.whatsapp.parse(message.payload)
  // Checked again here, whatever was stored: free text outside the window never reaches Meta.
  if (payload.window === 'closed' && payload.content.type === 'text')
    return {
      code: 'WINDOW_CLOSED',
      message: 'Outside the 24-hour customer-service window: send an approved template instead.',
    }
  const [connection] = (
    await tx.execute<{ status: string; token_version: number }>(sql`
      select status, token_version from connections
      where id = ${payload.from.connectionId} and tenant_id = ${tenantId} and platform = 'whatsapp'`)
  ).rows
  if (!connection || connection.status === 'disconnected')
    return { code: 'NOT_CONFIGURED', message: 'The WhatsApp connection to send from does not exist.' }
  if (connection.status === 'needs_reconnect')
    return { code: 'TOKEN_INVALID', message: 'The WhatsApp connection needs reconnecting.' }
  const accessToken = await vault.get(
    { tenantId, ownerId: payload.from.connectionId, purpose: 'access_token' },
    connection.token_version,
  )
  return { sender: { accessToken, phoneNumberId: payload.from.phoneNumberId } }
}
