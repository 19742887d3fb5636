import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { publishEvents } from '../realtime/publish.ts'

/** Most holds one tick releases; the rest wait for the next tick (they no longer count anyway). */
const SWEEP_BATCH = 1000

/**
 * The cron tick's part (operator transaction, every tenant): public holds whose ten minutes are
 * over become `cancelled`, so they leave the exclusion constraint and the staff's day view. They
 * already stopped counting for availability at expiry, and a booking in their way cancels them
 * itself (booking.ts); this makes the stored status agree for the rest. A hold is not a booking
 * (its creation is not audited either), so none is audited; the count is logged. `SKIP LOCKED`:
 * a hold a visitor is confirming right now is left to that confirmation's conditional update,
 * which refuses an expired hold anyway. Open day views hear it after the tick commits.
 */
export async function sweepExpiredHolds(
  tx: Tx,
  services: Services,
  now: Date,
  committed: (() => Promise<void>)[],
): Promise<number> {
  const swept = await tx.execute<{ id: string; tenant_id: string }>(sql`
    update appointments a set status = 'cancelled', cancelled_at = ${now}, updated_at = ${now}
    from (
      select id from appointments
      where status = 'pending' and hold_expires_at is not null and hold_expires_at <= ${now}
      order by hold_expires_at limit ${SWEEP_BATCH}
      for update skip locked
    ) due
    where a.id = due.id and a.status = 'pending'
    returning a.id, a.tenant_id`)
  const byTenant = new Map<string, string[]>()
  for (const row of swept.rows) byTenant.set(row.tenant_id, [...(byTenant.get(row.tenant_id) ?? []), row.id])
  for (const [tenantId, ids] of byTenant)
    committed.push(() =>
      publishEvents(
        services,
        tenantId,
        ids.map((appointmentId) => ({ type: 'schedule.changed', appointmentId })),
      ),
    )
  if (swept.rows.length > 0) log('info', 'scheduling holds expired', { count: swept.rows.length })
  return swept.rows.length
}
