import { and, eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { collectionRuns, connections } from '../../../db/schema/index.ts'
import { appCredentials, connectors, httpFor } from '../../connectors/index.ts'
import { ConnectorError, type Tokens } from '../../connectors/types.ts'
import type { JobOf } from '../../jobs/messages.ts'
import { RetryLater } from '../../jobs/retry.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { StaleSecretError, Vault } from '../../vault/vault.ts'
import { collectableSql, intervalMinutesSql } from './gates.ts'
import { upsertPoints } from './points.ts'

/** Scheduled runs re-collect this many past days: platforms revise recent days (Instagram lags up to 48 h). */
export const RECOLLECT_DAYS = 3
/** KV may lag a token rotation by a minute or more across locations. */
const STALE_SECRET_RETRY_SECONDS = 30

type Job = JobOf<'collect.connection'>
type Delivery = { messageId: string; attempts: number }

const isoDay = (date: Date) => date.toISOString().slice(0, 10)

/**
 * Collects one connection: gates checked again (a message may have slipped through a
 * revocation), token refreshed under a row lock when close to expiry, platform called with no
 * transaction open, then points, run record and schedule written in one transaction with the
 * points in one upsert statement.
 */
export async function collectConnection(job: Job, services: Services, delivery: Delivery): Promise<void> {
  const { db, config } = services
  const now = new Date()
  const to = job.to ?? isoDay(now)
  const from = job.from ?? isoDay(new Date(now.getTime() - RECOLLECT_DAYS * 86_400_000))
  const startedAt = new Date()
  // A classified platform failure, during the token refresh or the collection itself.
  const fail = async (error: ConnectorError, apiCalls: number) => {
    await recordFailure(services, job, delivery, { startedAt, apiCalls, error, from, to })
    if (error.kind === 'throttled' || error.kind === 'transient') {
      throw new RetryLater(error.message, error.retryAfterSeconds ?? 0)
    }
  }
  const prepared = await db
    .transaction(
      async (tx) => {
        const [row] = await tx
          .execute<{
            id: string
            platform: keyof typeof connectors
            external_account_id: string
            token_version: number
            token_expires_at: string | null
            collectable: boolean
          }>(sql`select c.id, c.platform, c.external_account_id, c.token_version, c.token_expires_at,
               (${collectableSql(now)}) as collectable
             from connections c where c.id = ${job.connectionId} and c.tenant_id = ${job.tenantId}`)
          .then((r) => r.rows)
        if (!row?.collectable) return null
        const connector = connectors[row.platform]
        if (!connector) throw new Error(`no connector for ${row.platform}`)
        const vault = new Vault(tx, services.tokens, config.VAULT_MASTER_KEYS)
        const ref = { tenantId: job.tenantId, ownerId: row.id }
        let tokens: Tokens = {
          accessToken: await vault.get({ ...ref, purpose: 'access_token' }, row.token_version),
          refreshToken: await vault.find({ ...ref, purpose: 'refresh_token' }, row.token_version),
          expiresAt: row.token_expires_at ? new Date(row.token_expires_at) : null,
        }
        const lead = (connector.refreshLeadSeconds ?? 3600) * 1000
        if (connector.refresh && tokens.expiresAt && tokens.expiresAt.getTime() - now.getTime() < lead) {
          tokens = await refreshUnderLock(tx, services, vault, job, row.token_version, tokens)
        }
        return { connector, externalAccountId: row.external_account_id, tokens }
      },
      { tenantId: job.tenantId },
    )
    .catch(async (error: unknown) => {
      if (error instanceof StaleSecretError) {
        throw new RetryLater('token not yet visible in KV', STALE_SECRET_RETRY_SECONDS)
      }
      // A refresh the platform refused: a dead refresh token needs a reconnect, not retries.
      if (error instanceof ConnectorError) return fail(error, 1)
      throw error
    })
  if (!prepared) {
    log('info', 'collection skipped: connection not collectable', {
      connection_id: job.connectionId,
      tenant_id: job.tenantId,
    })
    return
  }

  const http = httpFor(config, prepared.connector.platform)
  try {
    const result = await prepared.connector.collect(http, prepared.tokens, {
      externalAccountId: prepared.externalAccountId,
      from,
      to,
    })
    await db.transaction(
      async (tx) => {
        const stored = await upsertPoints(tx, job.tenantId, job.connectionId, result.points)
        await tx.insert(collectionRuns).values({
          tenantId: job.tenantId,
          connectionId: job.connectionId,
          kind: job.kind,
          status: result.failedMetrics.length > 0 ? 'partial' : 'succeeded',
          messageId: delivery.messageId,
          attempt: delivery.attempts,
          rangeFrom: from,
          rangeTo: to,
          startedAt,
          finishedAt: new Date(),
          points: stored,
          apiCalls: http.calls,
          failedMetrics: result.failedMetrics.map((f) => f.metric),
          error:
            result.failedMetrics.length > 0
              ? result.failedMetrics.map((f) => `${f.metric}: ${f.reason}`).join('; ')
              : null,
        })
        // Backfill progress counts distinct days covered by successful backfill runs, so a
        // redelivered window does not count twice.
        await tx.execute(sql`
          update connections c set
            last_collected_at = now(), last_error = null, last_error_at = null, updated_at = now(),
            next_collect_at = case when ${job.kind} = 'backfill' then c.next_collect_at
              else now() + make_interval(mins => coalesce(${intervalMinutesSql}, 60)) end,
            backfill_done_days = least(c.backfill_total_days, (
              select count(distinct d)::int from collection_runs r,
                generate_series(r.range_from, r.range_to, interval '1 day') d
              where r.connection_id = c.id and r.kind = 'backfill' and r.status in ('succeeded', 'partial')))
          where c.id = ${job.connectionId} and c.tenant_id = ${job.tenantId}`)
      },
      { tenantId: job.tenantId },
    )
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error
    await fail(error, http.calls)
  }
}

/**
 * Refreshes the token while holding the connection row lock (until this transaction ends), so two
 * consumers never refresh the same token: one that waited on the lock finds a newer version and
 * uses it instead. A refresh token the platform did not send again is kept.
 */
async function refreshUnderLock(
  tx: Tx,
  services: Services,
  vault: Vault,
  job: Job,
  seenVersion: number,
  tokens: Tokens,
): Promise<Tokens> {
  const [locked] = await tx
    .select({ version: connections.tokenVersion, platform: connections.platform })
    .from(connections)
    .where(and(eq(connections.id, job.connectionId), eq(connections.tenantId, job.tenantId)))
    .for('update')
  if (!locked) return tokens
  const ref = { tenantId: job.tenantId, ownerId: job.connectionId }
  if (locked.version !== seenVersion) {
    return {
      accessToken: await vault.get({ ...ref, purpose: 'access_token' }, locked.version),
      refreshToken: await vault.find({ ...ref, purpose: 'refresh_token' }, locked.version),
    }
  }
  const connector = connectors[locked.platform]
  if (!connector?.refresh) return tokens
  const fresh = await connector.refresh(
    httpFor(services.config, locked.platform),
    tokens,
    appCredentials(services.config, locked.platform),
  )
  const version = locked.version + 1
  const refreshToken = fresh.refreshToken ?? tokens.refreshToken ?? null
  await vault.put({ ...ref, purpose: 'access_token' }, fresh.accessToken, version)
  if (refreshToken) await vault.put({ ...ref, purpose: 'refresh_token' }, refreshToken, version)
  await tx
    .update(connections)
    .set({
      tokenVersion: version,
      tokenExpiresAt: fresh.expiresAt ?? null,
      hasRefreshToken: Boolean(refreshToken),
      updatedAt: new Date(),
    })
    .where(eq(connections.id, job.connectionId))
  return { ...fresh, refreshToken }
}

/** A failed attempt: the run row, and the connection's status and message the tenant sees. */
async function recordFailure(
  services: Services,
  job: Job,
  delivery: Delivery,
  failure: { startedAt: Date; apiCalls: number; error: ConnectorError; from: string; to: string },
): Promise<void> {
  const { error } = failure
  const retrying = error.kind === 'throttled' || error.kind === 'transient'
  await services.db.transaction(
    async (tx) => {
      await tx.insert(collectionRuns).values({
        tenantId: job.tenantId,
        connectionId: job.connectionId,
        kind: job.kind,
        status: retrying ? 'retrying' : 'failed',
        messageId: delivery.messageId,
        attempt: delivery.attempts,
        rangeFrom: failure.from,
        rangeTo: failure.to,
        startedAt: failure.startedAt,
        finishedAt: new Date(),
        apiCalls: failure.apiCalls,
        error: error.message,
      })
      await tx
        .update(connections)
        .set({
          ...(error.kind === 'token_invalid' ? { status: 'needs_reconnect' as const } : {}),
          lastError:
            error.kind === 'token_invalid'
              ? 'The platform no longer accepts this connection’s token: reconnect the account.'
              : error.message,
          lastErrorAt: new Date(),
          updatedAt: new Date(),
        })
        .where(and(eq(connections.id, job.connectionId), eq(connections.tenantId, job.tenantId)))
    },
    { tenantId: job.tenantId },
  )
}

/**
 * Called by the dead-letter consumer when a collection message exhausted its retries: the run is
 * recorded as dead and the connection shows an error, visible to the tenant and to operators.
 */
export async function markCollectionDead(tx: Tx, job: Job, delivery: Delivery): Promise<void> {
  await tx.insert(collectionRuns).values({
    tenantId: job.tenantId,
    connectionId: job.connectionId,
    kind: job.kind,
    status: 'dead',
    messageId: delivery.messageId,
    attempt: delivery.attempts,
    rangeFrom: job.from ?? null,
    rangeTo: job.to ?? null,
    finishedAt: new Date(),
    error: `gave up after ${delivery.attempts} attempts`,
  })
  await tx
    .update(connections)
    .set({
      status: 'error',
      lastError: 'Collection kept failing and was stopped; resume the connection to try again.',
      lastErrorAt: new Date(),
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(connections.id, job.connectionId),
        eq(connections.tenantId, job.tenantId),
        eq(connections.status, 'active'),
      ),
    )
}
