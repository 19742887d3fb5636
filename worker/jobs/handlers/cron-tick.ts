import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { cronTicks } from '../../../db/schema/index.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../../services/audit.ts'
import { fanOutDueSources } from '../../services/calendar/fan-out.ts'
import { fanOutDueConnections } from '../../services/collection/fan-out.ts'
import { expireUnpaidOrders } from '../../services/commerce/payments.ts'
import { runCommitted } from '../../services/commerce/storefront.ts'
import { sweepOutbox } from '../../services/messaging/sweep.ts'
import { queueDueErasures } from '../../services/privacy/erasure-run.ts'
import { purgeExpiredData } from '../../services/privacy/retention.ts'
import { queueDueReports } from '../../services/reports/due.ts'
import { sweepExpiredHolds } from '../../services/scheduling/holds.ts'
import { sendDueReminders } from '../../services/scheduling/reminders.ts'
import type { JobOf } from '../messages.ts'

/**
 * Claims the scheduled slot in `cron_ticks`; a second firing (or a redelivery) of the same slot
 * finds it taken and does nothing. Work that must happen once per slot goes after the claim,
 * in the same transaction, so a failure releases the slot for the retry.
 */
export async function handleCronTick(message: JobOf<'cron.tick'>, services: Services): Promise<void> {
  const committed: (() => Promise<void>)[] = []
  await services.db.transaction(
    async (tx) => {
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
        return
      }
      const now = new Date(message.scheduledTime)
      const expired = await expireLicenses(tx)
      if (expired > 0) log('info', 'licenses expired', { count: expired, cron: message.cron })
      const fanOut = await fanOutDueConnections(tx, services.jobs, now)
      log('info', 'collection fan-out', { cron: message.cron, ...fanOut })
      log('info', 'calendar fan-out', {
        cron: message.cron,
        ...(await fanOutDueSources(tx, services.jobs, now)),
      })
      log('info', 'outbox sweep', { cron: message.cron, ...(await sweepOutbox(tx, services.jobs, now)) })
      log('info', 'report runs', { cron: message.cron, ...(await queueDueReports(tx, services.jobs, now)) })
      // Commerce: unpaid orders past their window release their stock.
      await expireUnpaidOrders(tx, services, now, committed)
      // Scheduling: public holds past their ten minutes are released.
      await sweepExpiredHolds(tx, services, now, committed)
      // Scheduling: due reminders go to the outbox, once per slot (see sendDueReminders).
      await sendDueReminders(tx, services, now, committed)
      const erasures = await queueDueErasures(tx, services.jobs, now)
      if (erasures > 0) log('info', 'erasures started', { count: erasures, cron: message.cron })
      const purged = await purgeExpiredData(tx, now)
      log('info', 'retention purge', {
        cron: message.cron,
        metric_points: Object.values(purged.metricPoints).reduce((sum, n) => sum + n, 0),
        metric_points_by_tenant: purged.metricPoints,
        webhook_events: purged.webhookEvents,
        meta_webhook_seen: purged.webhookSeen,
        login_attempts: purged.loginAttempts,
        password_reset_requests: purged.resetRequests,
        job_dead_letters: purged.deadLetters,
      })
    },
    // Operator mode: the sweeps below touch rows of every tenant, which row-level security hides
    // from a transaction without it. There is no caller: the job is the system, and audits as such.
    { operator: true },
  )
  await runCommitted(committed)
}

/**
 * Records as `expired` every trialing or active license whose validity has ended, one audit row
 * each. Entitlements already read such a license as expired at request time (licensing.ts); the
 * sweep makes the stored status and the audit trail agree. The rows are locked and re-checked,
 * so a renewal committed meanwhile is not expired.
 */
async function expireLicenses(tx: Tx): Promise<number> {
  const result = await tx.execute<{
    id: string
    tenant_id: string
    previous_status: string
    valid_until: Date | string
  }>(sql`
    update licenses l set status = 'expired', updated_at = now()
    from (
      select id, status from licenses
      where status in ('trialing', 'active') and valid_until <= now()
      for update
    ) previous
    where l.id = previous.id and l.status in ('trialing', 'active') and l.valid_until <= now()
    returning l.id, l.tenant_id, previous.status as previous_status, l.valid_until`)
  for (const row of result.rows) {
    await writeAudit(tx, { type: 'system', id: null }, null, {
      action: 'license.expired',
      tenantId: row.tenant_id,
      target: { type: 'license', id: row.id },
      data: {
        previous_status: row.previous_status,
        valid_until: new Date(row.valid_until).toISOString(),
      },
    })
  }
  return result.rows.length
}
