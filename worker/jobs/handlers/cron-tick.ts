import { cronTicks } from '../../../db/schema/index.ts'
import type { Services } from '../../env.ts'
import { log } from '../../log.ts'
import type { JobOf } from '../messages.ts'

/**
 * Claims the scheduled slot in `cron_ticks`; a second firing (or a redelivery) of the same slot
 * finds it taken and does nothing. Work that must happen once per slot goes after the claim,
 * in the same transaction, so a failure releases the slot for the retry.
 */
export async function handleCronTick(message: JobOf<'cron.tick'>, services: Services): Promise<void> {
  await services.db.transaction(async (tx) => {
    const claimed = await tx
      .insert(cronTicks)
      .values({ cron: message.cron, scheduledAt: new Date(message.scheduledTime) })
      .onConflictDoNothing()
      .returning({ id: cronTicks.id })
    if (claimed.length === 0) {
      log('info', 'cron slot already processed', {
        cron: message.cron,
        scheduled_time: message.scheduledTime,
      })
    }
  })
}
