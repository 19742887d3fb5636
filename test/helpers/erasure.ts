import type { JobMessage } from '../../worker/jobs/messages.ts'
import { consume, jobBatch } from './connections.ts'
import type { TestBindings, TestDatabase } from './env.ts'
import { PASSWORD } from './fixtures.ts'

/** The proof an erasure request carries: the test password typed again. */
export const REAUTH = { password: PASSWORD }

/** Delivers one cron.tick for the slot `at` to the real consumer; what it queues lands in env's JOBS. */
export const tick = (env: TestBindings, at: Date | number) =>
  consume(env, jobBatch([{ type: 'cron.tick', v: 1, cron: '*/15 * * * *', scheduledTime: Number(at) }]))

/** The `privacy.erase` messages among those a capture queue recorded. */
export const erasureJobs = (messages: unknown[]) =>
  (messages as JobMessage[]).filter((m) => m.type === 'privacy.erase')

/** A request's row as stored (owner connection: row-level security does not apply). */
export async function requestRow(db: TestDatabase, id: string) {
  const [row] = await db.owner<{
    status: string
    scheduled_for: Date | null
    previous_status: string | null
    cancel_reason: string | null
    receipt_id: string | null
  }>(
    'select status, scheduled_for, previous_status, cancel_reason, receipt_id from erasure_requests where id = $1',
    [id],
  )
  return row
}

export async function tenantStatus(db: TestDatabase, tenantId: string) {
  const [row] = await db.owner<{ status: string }>('select status from tenants where id = $1', [tenantId])
  return row?.status
}
