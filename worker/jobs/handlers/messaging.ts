import type { Services } from '../../runtime/ports.ts'
import { sendOutboundMessage } from '../../services/messaging/send.ts'
import type { JobOf } from '../messages.ts'

/** `messaging.send`: one outbox message to its provider, at most once (docs/messaging.md). */
export async function handleMessagingSend(
  message: JobOf<'messaging.send'>,
  services: Services,
  delivery: { attempts: number },
): Promise<void> {
  await sendOutboundMessage(message, services, delivery)
}
