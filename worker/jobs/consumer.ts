import { DatabaseConnectError } from '../../db/client.ts'
import { jobDeadLetters } from '../../db/schema/index.ts'
import { describeError, log } from '../log.ts'
import type { Services } from '../runtime/ports.ts'
import { sendPasswordReset } from '../services/accounts/recovery.ts'
import { syncTemplates } from '../services/attendance/templates.ts'
import { collectConnection, markCollectionDead } from '../services/collection/collect.ts'
import { runErasure } from '../services/privacy/erasure-run.ts'
import { runReport } from '../services/reports/run.ts'
import { handleCalendarAlert, handleCalendarSync } from './handlers/calendar.ts'
import { handleCronTick } from './handlers/cron-tick.ts'
import { handleExport } from './handlers/export.ts'
import { handleMessagingSend } from './handlers/messaging.ts'
import { handleMetaWebhook } from './handlers/meta-webhook.ts'
import { type JobMessage, jobMessage } from './messages.ts'
import { RetryLater } from './retry.ts'

/** Message handlers by type; adding a job type is a compile error until it has one. */
type Delivery = { messageId: string; attempts: number }
const handlers: {
  [T in JobMessage['type']]: (
    message: Extract<JobMessage, { type: T }>,
    services: Services,
    delivery: Delivery,
  ) => Promise<void>
} = {
  'cron.tick': handleCronTick,
  'collect.connection': collectConnection,
  'meta.webhook': handleMetaWebhook,
  'privacy.export': handleExport,
  'privacy.erase': runErasure,
  'calendar.sync': handleCalendarSync,
  'calendar.alert': handleCalendarAlert,
  'messaging.send': handleMessagingSend,
  'attendance.templates_sync': syncTemplates,
  'auth.password_reset': sendPasswordReset,
  'reports.run': runReport,
}

const MAX_DELAY_SECONDS = 15 * 60

/** Exponential backoff with full jitter: 2^attempts seconds at most, capped at 15 minutes. */
export function retryDelaySeconds(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_SECONDS, 2 ** Math.max(1, attempts))
  return Math.max(1, Math.round(ceiling * random()))
}

/**
 * Outage backoff for a database that cannot be reached: 5·2^(attempts−1) seconds plus up to as much
 * again of jitter, capped at 15 minutes. The wait is the outage's, not the message's: full jitter
 * could spend all 5 retries (wrangler.toml) in 5 seconds and dead-letter the message while the
 * database restarts; this way the retries span at least 155 s (5+10+20+40+80).
 */
export function outageDelaySeconds(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_SECONDS, 5 * 2 ** Math.max(0, attempts - 1))
  return Math.min(MAX_DELAY_SECONDS, base + Math.round(base * random()))
}

/** The delay before a failed message's next delivery; a platform's own hint wins when longer. */
function delayAfter(error: unknown, attempts: number): number {
  if (error instanceof DatabaseConnectError) return outageDelaySeconds(attempts)
  // e.g. Meta's time to regain access.
  const hinted = error instanceof RetryLater ? error.delaySeconds : 0
  return Math.min(MAX_DELAY_SECONDS * 4, Math.max(hinted, retryDelaySeconds(attempts)))
}

/**
 * Handles each message on its own: a failure retries that message only, so one bad message
 * never makes a whole batch run again. A body that does not parse can never succeed and is
 * acknowledged after logging (it is not retried into the dead-letter queue).
 */
export async function consumeJobs(batch: MessageBatch<unknown>, services: Services): Promise<void> {
  for (const message of batch.messages) {
    const parsed = jobMessage.safeParse(message.body)
    if (!parsed.success) {
      log('error', 'unreadable job message dropped', { message_id: message.id, queue: batch.queue })
      message.ack()
      continue
    }
    const job = parsed.data
    try {
      const handler = handlers[job.type] as (m: JobMessage, s: Services, d: Delivery) => Promise<void>
      await handler(job, services, { messageId: message.id, attempts: message.attempts })
      message.ack()
    } catch (error) {
      const delaySeconds = delayAfter(error, message.attempts)
      log('warn', 'job failed, retrying', {
        message_id: message.id,
        type: job.type,
        attempts: message.attempts,
        delay_seconds: delaySeconds,
        ...describeError(error),
      })
      message.retry({ delaySeconds })
    }
  }
}

/**
 * The dead-letter queue's consumer: keeps each message for operators; a dead collection also
 * marks its run dead and its connection in error. Then acknowledges it.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, services: Services): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body
    const parsed = jobMessage.safeParse(body)
    const type = parsed.success
      ? parsed.data.type
      : typeof body === 'object' && body && 'type' in body
        ? String(body.type)
        : null
    try {
      const collect = parsed.success && parsed.data.type === 'collect.connection' ? parsed.data : null
      await services.db.transaction(
        async (tx) => {
          await tx.insert(jobDeadLetters).values({
            queue: batch.queue,
            messageId: message.id,
            type,
            attempts: message.attempts,
            body: body ?? null,
          })
          if (collect)
            await markCollectionDead(tx, collect, { messageId: message.id, attempts: message.attempts })
        },
        { tenantId: collect?.tenantId },
      )
      log('error', 'job dead-lettered', { message_id: message.id, type, attempts: message.attempts })
      message.ack()
    } catch (error) {
      log('error', 'dead letter not recorded, retrying', { message_id: message.id, ...describeError(error) })
      message.retry({ delaySeconds: delayAfter(error, message.attempts) })
    }
  }
}
