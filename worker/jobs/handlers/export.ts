import type { Services } from '../../runtime/ports.ts'
import { buildExport } from '../../services/privacy/export-archive.ts'
import type { JobOf } from '../messages.ts'

/**
 * `privacy.export`: builds the tenant's portability archive into the EXPORTS bucket. A failure
 * retries the whole archive (the consumer's backoff); the last attempt marks the export failed.
 */
export async function handleExport(
  message: JobOf<'privacy.export'>,
  services: Services,
  delivery: { messageId: string; attempts: number },
): Promise<void> {
  await buildExport(message, services, delivery)
}
