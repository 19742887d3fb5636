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

export const jobMessage = z.discriminatedUnion('type', [cronTickMessage])

export type JobMessage = z.infer<typeof jobMessage>
export type JobType = JobMessage['type']
export type JobOf<T extends JobType> = Extract<JobMessage, { type: T }>
