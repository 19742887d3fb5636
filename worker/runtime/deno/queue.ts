import { consumeDeadLetters, consumeJobs } from '../../jobs/consumer.ts'
import type { JobMessage } from '../../jobs/messages.ts'
import { describeError, log } from '../../log.ts'
import type { JobQueue, Services } from '../ports.ts'
import { deleteText, getText, setText } from './kv.ts'

/** The queue names the consumers log and record (the dead-letter rows' `queue` column), as on Workers. */
export const JOBS_QUEUE = 'integra-jobs'
export const DEAD_LETTER_QUEUE = 'integra-jobs-dlq'
/** Retries before a message goes to the dead letters: wrangler.toml's `max_retries`. */
export const MAX_RETRIES = 5
/**
 * Deno's own redelivery, used only when the consumer itself failed to run (it threw, or the
 * process died mid-message): the consumer's retries carry their own delay (re-enqueued below).
 * When these are spent Deno writes the message to `keysIfUndelivered`, the dead-letter store
 * `sweepUndelivered` empties.
 */
export const BACKOFF_SCHEDULE_MS = [1_000, 5_000, 30_000]
const UNDELIVERED = 'jobs-undelivered'
const BODIES = 'job-bodies'
/** Deno KV takes a queued value of at most 64 KiB; a larger message's body waits in KV beside it. */
const INLINE_BODY_BYTES = 60_000

/**
 * What goes through `kv.enqueue`: the job message (or the key of its body in KV when it is too
 * large to queue), its delivery id and attempt count (Deno's queue keeps neither across our
 * re-enqueues), and which queue it is on.
 */
export type Envelope = {
  id: string
  attempts: number
  queue: typeof JOBS_QUEUE | typeof DEAD_LETTER_QUEUE
  body?: unknown
  bodyId?: string
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v.id === 'string' &&
    typeof v.attempts === 'number' &&
    (v.queue === JOBS_QUEUE || v.queue === DEAD_LETTER_QUEUE)
  )
}

async function enqueue(kv: Deno.Kv, envelope: Envelope, delaySeconds = 0): Promise<void> {
  await kv.enqueue(envelope, {
    delay: delaySeconds * 1000,
    backoffSchedule: BACKOFF_SCHEDULE_MS,
    keysIfUndelivered: [[UNDELIVERED, envelope.id, envelope.attempts]],
  })
}

/** A new message's envelope; a body too large to queue is stored in KV first. */
async function envelopeOf(kv: Deno.Kv, message: JobMessage): Promise<Envelope> {
  const id = crypto.randomUUID()
  const json = JSON.stringify(message)
  if (new TextEncoder().encode(json).length <= INLINE_BODY_BYTES)
    return { id, attempts: 1, queue: JOBS_QUEUE, body: message }
  await setText(kv, [BODIES, id], json)
  return { id, attempts: 1, queue: JOBS_QUEUE, bodyId: id }
}

/** The JobQueue port on Deno KV's queue. Deno has no batch send; `sendMany` counts one call per message. */
export function denoQueue(kv: Deno.Kv): JobQueue {
  return {
    async send(message, options) {
      await enqueue(kv, await envelopeOf(kv, message), options?.delaySeconds)
    },
    async sendMany(messages) {
      for (const message of messages) await enqueue(kv, await envelopeOf(kv, message))
      return messages.length
    },
  }
}

/**
 * Runs one delivery through the same consumers as Workers (`consumeJobs`, `consumeDeadLetters`),
 * as a batch of one, and does what they asked: an ack ends the message (its stored body is
 * deleted); a retry enqueues it again with their delay and one more attempt, or moves it to the
 * dead-letter queue after MAX_RETRIES, as Cloudflare Queues would.
 */
export async function deliver(kv: Deno.Kv, value: unknown, services: Services): Promise<void> {
  if (!isEnvelope(value)) {
    log('error', 'unreadable queue envelope dropped', {})
    return
  }
  const envelope = value
  const body = envelope.bodyId ? await getText(kv, [BODIES, envelope.bodyId]) : undefined
  let outcome: { retry: number } | 'ack' | undefined
  const message: Message<unknown> = {
    id: envelope.id,
    timestamp: new Date(),
    body: body ? JSON.parse(body.text) : envelope.body,
    attempts: envelope.attempts,
    ack: () => {
      outcome = 'ack'
    },
    retry: (options) => {
      outcome = { retry: options?.delaySeconds ?? 0 }
    },
  }
  const batch: MessageBatch<unknown> = {
    queue: envelope.queue,
    messages: [message],
    // One message, delivered now: nothing is waiting behind it that this process knows of.
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    ackAll: () => message.ack(),
    retryAll: (options) => message.retry(options),
  }
  if (envelope.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, services)
  else await consumeJobs(batch, services)

  if (outcome === undefined || outcome === 'ack') {
    if (envelope.bodyId) await deleteText(kv, [BODIES, envelope.bodyId])
  } else if (envelope.attempts <= MAX_RETRIES) {
    await enqueue(kv, { ...envelope, attempts: envelope.attempts + 1 }, outcome.retry)
  } else if (envelope.queue === JOBS_QUEUE) {
    await enqueue(kv, { ...envelope, queue: DEAD_LETTER_QUEUE, attempts: 1 })
  } else {
    log('error', 'dead letter dropped after its retries', { message_id: envelope.id })
  }
}

/**
 * Starts consuming: every delivery gets its own services (one database connection, closed after
 * it), like a Workers queue invocation. A delivery that throws is left to Deno's redelivery.
 */
export function listen(kv: Deno.Kv, servicesOf: () => Services): Promise<void> {
  return kv.listenQueue(async (value) => {
    const services = servicesOf()
    try {
      await deliver(kv, value, services)
    } catch (error) {
      log('error', 'queue delivery failed; Deno will redeliver it', describeError(error))
      throw error
    } finally {
      await services.db.close()
    }
  })
}

/**
 * Moves what Deno gave up on (its `keysIfUndelivered` entries) to the dead-letter consumer, which
 * records it for operators. Run at start and on every cron tick.
 */
export async function sweepUndelivered(kv: Deno.Kv): Promise<number> {
  let moved = 0
  for await (const entry of kv.list<Envelope>({ prefix: [UNDELIVERED] })) {
    const envelope = entry.value
    if (isEnvelope(envelope)) await enqueue(kv, { ...envelope, queue: DEAD_LETTER_QUEUE, attempts: 1 })
    await kv.delete(entry.key)
    moved++
  }
  return moved
}
