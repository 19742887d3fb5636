import { z } from 'zod'

/**
 * Every message on the jobs queue, versioned by `v` so a deploy can still read messages queued
 * by the previous one. Producers build them with these types; the consumer parses with the schema.
 */
export const cronTickMessage = z.object({
  type: z.literal('cron.tick'),
  v: z.literal(1),
  cron: z.string().max(100),
  /** The controller's scheduledTime (ms): identical for a duplicate firing of the same slot. */
  scheduledTime: z.number().int().nonnegative(),
})

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/)

/** Collect one connection: scheduled by the cron fan-out, manual (collect now) or a backfill window. */
export const collectMessage = z.object({
  type: z.literal('collect.connection'),
  v: z.literal(1),
  tenantId: z.string(),
  connectionId: z.string(),
  kind: z.enum(['scheduled', 'manual', 'backfill']),
  /** Backfill windows carry their range; scheduled runs re-collect the last days (platforms lag). */
  from: day.optional(),
  to: day.optional(),
})

export const jobMessage = z.discriminatedUnion('type', [cronTickMessage, collectMessage])

export type JobMessage = z.infer<typeof jobMessage>
export type JobType = JobMessage['type']
export type JobOf<T extends JobType> = Extract<JobMessage, { type: T }>
