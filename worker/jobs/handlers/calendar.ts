import type { Services } from '../../runtime/ports.ts'
import { enqueueLegacyAlert } from '../../services/calendar/alerts.ts'
import { syncSource } from '../../services/calendar/sync.ts'
import type { JobOf } from '../messages.ts'

type Delivery = { messageId: string; attempts: number }

/** `calendar.sync`: one source's feed; a feed failure is recorded and acknowledged (see syncSource). */
export async function handleCalendarSync(
  message: JobOf<'calendar.sync'>,
  services: Services,
  delivery: Delivery,
): Promise<void> {
  await syncSource(message, services, delivery)
}

/** `calendar.alert` from a deploy before the outbox: the alert goes through the outbox (at most once). */
export async function handleCalendarAlert(
  message: JobOf<'calendar.alert'>,
  services: Services,
): Promise<void> {
  await enqueueLegacyAlert(message, services)
}
