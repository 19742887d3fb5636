import { describeError, log } from '../../log.ts'
import type { RealtimeEvent } from '../../realtime/events.ts'
import type { Services } from '../../runtime/ports.ts'
import type { ServiceContext } from '../context.ts'

/** Longest a job or request waits for the tenant's object; a page that missed the event polls. */
export const PUBLISH_TIMEOUT_MS = 2000

/**
 * Tells the tenant's open pages about committed changes. Never throws: real time is a courtesy
 * on top of the data, so a publish that fails or hangs is logged and the work that called it goes
 * on (a job is not retried for it); the pages catch up by polling (docs/realtime.md).
 */
export async function publishEvents(
  services: Services,
  tenantId: string,
  events: readonly RealtimeEvent[],
): Promise<void> {
  if (events.length === 0) return
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS)
  })
  try {
    await Promise.race([services.events.publish(tenantId, events), timeout])
  } catch (error) {
    log('warn', 'realtime publish failed', {
      tenant_id: tenantId,
      events: events.length,
      ...describeError(error),
    })
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
}

/** Publishes `events` once the verb's transaction has committed (never if it rolls back). */
export function publishAfterCommit(ctx: ServiceContext, events: readonly RealtimeEvent[]): void {
  const tenantId = ctx.principal.tenantId
  if (!tenantId || events.length === 0) return
  ctx.afterCommit(() => publishEvents(ctx.services, tenantId, events))
}
