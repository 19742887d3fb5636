import type { JobOf } from '../../jobs/messages.ts'
import { RetryLater } from '../../jobs/retry.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { openFromEdge, sealForEdge } from '../../vault/vault.ts'

/** Meta's payloads are a few KiB; anything over this answers 413 (README, "Meta webhooks"). */
export const META_BODY_LIMIT_BYTES = 256 * 1024
/**
 * Cloudflare Queues take messages of at most 128 KB. A body whose message would be larger is
 * "spilled": sealed into KV (edge sealing, like the secrets) and the message carries its key.
 */
const INLINE_MESSAGE_LIMIT_BYTES = 120_000
/** A spilled body outlives the queue's retention (4 days), then KV expires it on its own. */
const SPILL_TTL_SECONDS = 4 * 24 * 60 * 60
/** KV may take up to about a minute to show a spilled body elsewhere; after that it is gone. */
const SPILL_VISIBILITY_ATTEMPTS = 4

type MetaMessage = JobOf<'meta.webhook'>

const spillKey = (tenantId: string) => `edge/meta-webhook-spill/${tenantId}/${crypto.randomUUID()}`

/**
 * Queues one verified delivery, body exactly as received, on the webhooks queue (consumed at
 * once, not batched like collection jobs). No Postgres: only the queue, and KV for a body too
 * large for a queue message.
 */
export async function enqueueMetaDelivery(
  services: Services,
  input: { tenantId: string; body: string; receivedAt: number },
): Promise<void> {
  const inline: MetaMessage = { type: 'meta.webhook', v: 1, ...input }
  if (new TextEncoder().encode(JSON.stringify(inline)).length <= INLINE_MESSAGE_LIMIT_BYTES) {
    await services.webhooks.send(inline)
    return
  }
  const bodyKey = spillKey(input.tenantId)
  const sealed = await sealForEdge(services.config.VAULT_MASTER_KEYS, input.tenantId, bodyKey, input.body)
  await services.tokens.put(bodyKey, sealed, { expirationTtl: SPILL_TTL_SECONDS })
  await services.webhooks.send({
    type: 'meta.webhook',
    v: 1,
    tenantId: input.tenantId,
    receivedAt: input.receivedAt,
    bodyKey,
  })
}

/**
 * The delivery's body: inline, or opened from KV. Null (logged) when it can never be had: a
 * message without either, or a spilled body still missing after KV has had time to show it (a
 * redelivery of a message already processed, whose body was deleted).
 */
export async function loadMetaBody(
  services: Services,
  message: MetaMessage,
  attempts: number,
): Promise<string | null> {
  if (message.body !== undefined) return message.body
  if (!message.bodyKey) {
    log('error', 'meta webhook message without a body dropped', { tenant_id: message.tenantId })
    return null
  }
  const opened = await openFromEdge(services.tokens, services.config.VAULT_MASTER_KEYS, message.bodyKey)
  if (!opened) {
    if (attempts < SPILL_VISIBILITY_ATTEMPTS) throw new RetryLater('spilled webhook body not visible yet', 60)
    log('warn', 'spilled meta webhook body gone', { tenant_id: message.tenantId, attempts })
    return null
  }
  if (opened.tenantId !== message.tenantId) {
    log('error', 'spilled meta webhook body of another tenant dropped', { tenant_id: message.tenantId })
    return null
  }
  return opened.plaintext
}

/** Deletes a spilled body once its events are recorded (personal data, kept no longer than needed). */
export async function releaseMetaBody(services: Services, message: MetaMessage): Promise<void> {
  if (message.bodyKey) await services.tokens.delete(message.bodyKey)
}
