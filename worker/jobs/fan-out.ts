import type { JobQueue } from '../runtime/ports.ts'
import type { JobMessage } from './messages.ts'

/**
 * The cron fan-out loop shared by every scheduled job kind: `claimPage` claims and leases one page
 * of due rows in a single statement (due rows oldest first, `FOR UPDATE SKIP LOCKED`, their next
 * run moved one interval ahead, so the next page, a concurrent tick and the next tick never pick
 * them again: the lease is the keyset), and each row becomes one message. Runs inside the cron
 * tick's transaction and sends before commit: if sending fails the leases roll back with the
 * tick's claim, and a message sent twice is harmless because the jobs upsert.
 */
export async function fanOutPages<Row>(
  jobs: JobQueue,
  pageSize: number,
  claimPage: () => Promise<Row[]>,
  toMessage: (row: Row) => JobMessage,
): Promise<{ rows: number; batches: number; pages: number }> {
  let rows = 0
  let batches = 0
  let pages = 0
  for (;;) {
    const claimed = await claimPage()
    pages++
    if (claimed.length > 0) batches += await jobs.sendMany(claimed.map(toMessage))
    rows += claimed.length
    if (claimed.length < pageSize) return { rows, batches, pages }
  }
}
