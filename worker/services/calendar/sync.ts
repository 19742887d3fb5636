import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import { calendarSyncRuns } from '../../../db/schema/index.ts'
import type { JobOf } from '../../jobs/messages.ts'
import { RetryLater } from '../../jobs/retry.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { StaleSecretError, Vault } from '../../vault/vault.ts'
import { queueSends } from '../messaging/outbox.ts'
import { alertConflicts } from './alerts.ts'
import { recomputeConflicts } from './conflicts.ts'
import { FeedError, type FeedValidators, fetchFeed } from './fetch-feed.ts'
import { SYNC_INTERVAL_MINUTES, syncableSql } from './gates.ts'
import { type FeedEvent, MalformedFeedError, parseFeed } from './parse.ts'

type Job = JobOf<'calendar.sync'>
type Delivery = { messageId: string; attempts: number }

/** KV may lag a URL change by a minute or more across locations. */
const STALE_SECRET_RETRY_SECONDS = 30

type SourceRow = {
  property_id: string
  timezone: string
  url_version: number
  etag: string | null
  last_modified: string | null
  syncable: boolean
}

export type SyncOutcome =
  | { status: 'skipped' }
  | { status: 'not_modified' }
  | { status: 'failed'; error: string }
  | {
      status: 'succeeded'
      events: number
      created: number
      updated: number
      cancelled: number
      opened: number
    }

/**
 * Syncs one source: gate re-checked and URL read from the vault in a first transaction; the feed
 * fetched (conditional, timed out, size-limited) and parsed with no transaction open; then the
 * bookings upserted by (source, UID), those missing from the feed cancelled, the run recorded,
 * conflicts recomputed and new ones queued for alerting, all in one transaction under the
 * source's row lock. A feed that cannot be fetched or parsed records a failed run and changes no
 * booking; the next scheduled tick tries again (no queue retry: the schedule is the retry).
 */
export async function syncSource(job: Job, services: Services, delivery: Delivery): Promise<SyncOutcome> {
  const { db, config } = services
  const now = new Date()
  const startedAt = new Date()
  const prepared = await db
    .transaction(
      async (tx) => {
        const [row] = await tx
          .execute<SourceRow>(sql`
            select s.property_id, p.timezone, s.url_version, s.etag, s.last_modified,
              (${syncableSql(now)}) as syncable
            from calendar_sources s join properties p on p.id = s.property_id
            where s.id = ${job.sourceId} and s.tenant_id = ${job.tenantId}`)
          .then((r) => r.rows)
        if (!row?.syncable) return null
        const vault = new Vault(tx, services.tokens, config.VAULT_MASTER_KEYS)
        const url = await vault.get(
          { tenantId: job.tenantId, ownerId: job.sourceId, purpose: 'ical_url' },
          row.url_version,
        )
        return { ...row, url }
      },
      { tenantId: job.tenantId },
    )
    .catch((error: unknown) => {
      if (error instanceof StaleSecretError)
        throw new RetryLater('feed URL not yet visible in KV', STALE_SECRET_RETRY_SECONDS)
      throw error
    })
  if (!prepared) {
    log('info', 'calendar sync skipped: source not syncable', {
      source_id: job.sourceId,
      tenant_id: job.tenantId,
    })
    return { status: 'skipped' }
  }

  const validators: FeedValidators = { etag: prepared.etag, lastModified: prepared.last_modified }
  const run = {
    tenantId: job.tenantId,
    sourceId: job.sourceId,
    kind: job.kind,
    messageId: delivery.messageId,
    attempt: delivery.attempts,
    startedAt,
  }
  let events: FeedEvent[]
  let feed: Awaited<ReturnType<typeof fetchFeed>>
  try {
    feed = await fetchFeed(prepared.url, validators)
    events = feed.kind === 'ok' ? await parseFeed(feed.text, prepared.timezone) : []
  } catch (error) {
    if (!(error instanceof FeedError || error instanceof MalformedFeedError)) throw error
    const message = error.message
    await db.transaction(
      async (tx) => {
        await tx.insert(calendarSyncRuns).values({
          ...run,
          status: 'failed',
          finishedAt: new Date(),
          httpStatus: error instanceof FeedError ? error.httpStatus : null,
          error: message,
        })
        await tx.execute(sql`
          update calendar_sources set last_error = ${message}, last_error_at = now(), updated_at = now()
          where id = ${job.sourceId} and tenant_id = ${job.tenantId}`)
      },
      { tenantId: job.tenantId },
    )
    log('warn', 'calendar sync failed', { source_id: job.sourceId, tenant_id: job.tenantId, error: message })
    return { status: 'failed', error: message }
  }

  if (feed.kind === 'not_modified') {
    await db.transaction(
      async (tx) => {
        await tx.insert(calendarSyncRuns).values({
          ...run,
          status: 'not_modified',
          finishedAt: new Date(),
          httpStatus: 304,
        })
        await markSynced(tx, job, null)
      },
      { tenantId: job.tenantId },
    )
    return { status: 'not_modified' }
  }

  const outcome = await db.transaction(
    async (tx) => {
      // Serializes two syncs of one source (a manual one racing a scheduled one).
      await tx.execute(
        sql`select 1 from calendar_sources where id = ${job.sourceId} and tenant_id = ${job.tenantId} for update`,
      )
      const incoming = JSON.stringify(
        events.map((event) => ({
          id: newId('bkg'),
          uid: event.uid,
          check_in: event.checkIn,
          check_out: event.checkOut,
          status: event.status,
          summary: event.summary,
          guest_name: event.guestName,
        })),
      )
      const upserted = await tx.execute<{ created: number; updated: number }>(sql`
        with upserted as (
          insert into bookings
            (id, tenant_id, property_id, source_id, uid, guest_name, check_in, check_out, status, summary)
          select e.id, ${job.tenantId}, ${prepared.property_id}, ${job.sourceId}, e.uid, e.guest_name,
            e.check_in, e.check_out, e.status, e.summary
          from json_to_recordset(${incoming}::json) as e(id text, uid text, guest_name text,
            check_in date, check_out date, status text, summary text)
          on conflict (source_id, uid) do update set
            guest_name = excluded.guest_name, check_in = excluded.check_in, check_out = excluded.check_out,
            status = excluded.status, summary = excluded.summary, updated_at = now()
          where (bookings.guest_name, bookings.check_in, bookings.check_out, bookings.status, bookings.summary)
            is distinct from (excluded.guest_name, excluded.check_in, excluded.check_out, excluded.status,
              excluded.summary)
          returning (xmax = 0) as inserted
        )
        select count(*) filter (where inserted)::int as created,
          count(*) filter (where not inserted)::int as updated
        from upserted`)
      // An event the feed no longer lists was cancelled on the channel.
      const cancelled = await tx.execute(sql`
        update bookings b set status = 'cancelled', updated_at = now()
        where b.source_id = ${job.sourceId} and b.tenant_id = ${job.tenantId} and b.status <> 'cancelled'
          and not exists (select 1 from json_to_recordset(${incoming}::json) as e(uid text) where e.uid = b.uid)`)
      const counts = upserted.rows[0] ?? { created: 0, updated: 0 }
      const changed = counts.created + counts.updated + (cancelled.rowCount ?? 0) > 0
      const conflicts = changed
        ? await recomputeConflicts(tx, job.tenantId, prepared.property_id)
        : { opened: [], resolved: 0 }
      await tx.insert(calendarSyncRuns).values({
        ...run,
        status: 'succeeded',
        finishedAt: new Date(),
        httpStatus: feed.httpStatus,
        bytes: feed.bytes,
        events: events.length,
        created: counts.created,
        updated: counts.updated,
        cancelled: cancelled.rowCount ?? 0,
      })
      await markSynced(tx, job, feed.validators)
      // The alerts are outbox rows of this transaction: they exist exactly when their conflicts do.
      const alerts = await alertConflicts(tx, job.tenantId, conflicts.opened)
      return {
        alerts,
        status: 'succeeded' as const,
        events: events.length,
        created: counts.created,
        updated: counts.updated,
        cancelled: cancelled.rowCount ?? 0,
        opened: conflicts.opened.length,
      }
    },
    { tenantId: job.tenantId },
  )
  const { alerts, ...result } = outcome
  await queueSends(services.jobs, job.tenantId, alerts)
  log('info', 'calendar synced', { source_id: job.sourceId, tenant_id: job.tenantId, ...result })
  return result
}

/** Success (or 304): the error clears, the next scheduled sync is one interval away. */
async function markSynced(tx: Tx, job: Job, validators: FeedValidators | null) {
  // The validators change only with a body read in full; a 304 keeps the ones that earned it.
  const keep = validators
    ? sql`etag = ${validators.etag}, last_modified = ${validators.lastModified},`
    : sql``
  await tx.execute(sql`
    update calendar_sources set ${keep}
      last_synced_at = now(), last_error = null, last_error_at = null, updated_at = now(),
      next_sync_at = greatest(next_sync_at, now() + make_interval(mins => ${SYNC_INTERVAL_MINUTES}))
    where id = ${job.sourceId} and tenant_id = ${job.tenantId}`)
}
