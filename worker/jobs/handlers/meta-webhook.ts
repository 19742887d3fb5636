import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { publishAttendanceEvents } from '../../services/attendance/events.ts'
import { queueSends } from '../../services/messaging/outbox.ts'
import { parseMetaDelivery } from '../../services/meta-webhooks/meta-events.ts'
import { loadMetaBody, releaseMetaBody } from '../../services/meta-webhooks/meta-ingest.ts'
import { recordMetaDelivery } from '../../services/meta-webhooks/meta-record.ts'
import { publishEvents } from '../../services/realtime/publish.ts'
import type { JobOf } from '../messages.ts'

/**
 * One verified Meta delivery: counted events and raw units in one tenant transaction, so a
 * failure retries the whole delivery and the dedupe table makes the retry count nothing twice.
 * What cannot be understood is kept raw, never failed: only an infrastructure error retries.
 * Once committed, the outbound messages whose status moved are published to the tenant's open
 * pages (a failed publish is only logged: the pages poll).
 */
export async function handleMetaWebhook(
  message: JobOf<'meta.webhook'>,
  services: Services,
  delivery: { attempts: number },
): Promise<void> {
  const body = await loadMetaBody(services, message, delivery.attempts)
  if (body === null) return
  const receivedAt = new Date(message.receivedAt)
  const parsed = parseMetaDelivery(body, receivedAt)
  const { moved, events, sends } = await services.db.transaction(
    (tx) => recordMetaDelivery(tx, message.tenantId, parsed, receivedAt),
    { tenantId: message.tenantId },
  )
  await publishEvents(
    services,
    message.tenantId,
    moved.map(({ id, status }) => ({ type: 'message.status', messageId: id, status })),
  )
  // Away replies are outbox rows of this transaction; a send lost here is re-queued by the sweep.
  await queueSends(services.jobs, message.tenantId, sends)
  await releaseMetaBody(services, message)
  await publishAttendanceEvents(services, message.tenantId, events)
  log('info', 'meta webhook recorded', {
    tenant_id: message.tenantId,
    events: parsed.counted.length,
    raw_units: parsed.raw.length,
    inbound: parsed.inbound.length,
  })
}
