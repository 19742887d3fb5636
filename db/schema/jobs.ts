import { bigserial, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

/**
 * One row per cron firing that was processed. The unique (cron, scheduled_at) pair is what
 * makes a duplicate firing of the same scheduled time a no-op.
 */
export const cronTicks = pgTable(
  'cron_ticks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    cron: text('cron').notNull(),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }).notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('cron_ticks_cron_scheduled_at_key').on(t.cron, t.scheduledAt)],
)

/** Messages that exhausted their retries; kept for operators to inspect and replay. */
export const jobDeadLetters = pgTable('job_dead_letters', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  queue: text('queue').notNull(),
  messageId: text('message_id').notNull(),
  type: text('type'),
  attempts: integer('attempts').notNull(),
  body: jsonb('body').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
})
