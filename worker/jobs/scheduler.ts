import type { JobQueue } from '../runtime/ports.ts'

/**
 * The cron entry: it only enqueues. The slot is claimed and the work done by the consumer,
 * where failures are retried instead of lost with the scheduled invocation.
 */
export async function onSchedule(
  event: { cron: string; scheduledTime: number },
  jobs: JobQueue,
): Promise<void> {
  await jobs.send({ type: 'cron.tick', v: 1, cron: event.cron, scheduledTime: event.scheduledTime })
}
