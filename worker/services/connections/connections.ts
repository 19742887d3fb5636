import { and, asc, count, eq, ne, sql } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import {
  attendanceNumbers,
  type ConnectionStatus,
  collectionRuns,
  connections,
  consents,
  type Platform,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { Config } from '../../config.ts'
import { connectors, httpFor } from '../../connectors/index.ts'
import { ConnectorError, type Profile } from '../../connectors/types.ts'
import { ApiError, notFound } from '../../errors.ts'
import type { JobMessage } from '../../jobs/messages.ts'
import { Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { Caller } from '../caller.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage } from '../keyset.ts'
import { loadEntitlement } from '../licensing.ts'

export const BACKFILL_DAYS = 90
/** The consent policy a tenant accepts when connecting an account for metrics collection. */
export const COLLECTION_POLICY_VERSION = '2026-11'
export const MANUAL_RUN_INTERVAL_SECONDS = 5 * 60

const PUBLIC_COLUMNS = {
  id: connections.id,
  platform: connections.platform,
  externalAccountId: connections.externalAccountId,
  label: connections.label,
  displayName: connections.displayName,
  status: connections.status,
  tokenExpiresAt: connections.tokenExpiresAt,
  lastCollectedAt: connections.lastCollectedAt,
  nextCollectAt: connections.nextCollectAt,
  lastError: connections.lastError,
  lastErrorAt: connections.lastErrorAt,
  backfillDoneDays: connections.backfillDoneDays,
  backfillTotalDays: connections.backfillTotalDays,
  createdAt: connections.createdAt,
}

type ConnectionRow = { [K in keyof typeof PUBLIC_COLUMNS]: unknown } & {
  backfillDoneDays: number
  backfillTotalDays: number
}

/** The shape the API returns: never a token, only what the tenant needs to see. */
export function present<T extends ConnectionRow>(row: T) {
  const { backfillDoneDays, backfillTotalDays, ...rest } = row
  return { ...rest, backfill: { doneDays: backfillDoneDays, totalDays: backfillTotalDays } }
}

const connectionExists = () => new ApiError(409, 'CONNECTION_EXISTS', 'This account is already connected.')

export type RegisterInput = {
  platform: Platform
  externalAccountId: string
  accessToken: string
  refreshToken?: string
  expiresAt?: Date
  label?: string
}

/** Checks the token with the platform (a profile call) before anything is stored. */
export async function validateWithPlatform(config: Config, input: RegisterInput): Promise<Profile> {
  const connector = connectors[input.platform]
  if (!connector)
    throw new ApiError(400, 'PLATFORM_UNSUPPORTED', `The ${input.platform} connector is not available yet.`)
  try {
    return await connector.validate(
      httpFor(config, input.platform, { budget: 3 }),
      input,
      input.externalAccountId,
    )
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error
    if (error.kind === 'token_invalid' || error.kind === 'permanent') {
      throw new ApiError(
        422,
        'TOKEN_REJECTED',
        `The platform did not accept this token or account: ${error.message}`,
      )
    }
    throw new ApiError(503, 'PLATFORM_UNAVAILABLE', 'The platform is not answering; try again shortly.', {
      headers: { 'Retry-After': String(error.retryAfterSeconds ?? 30) },
    })
  }
}

/** Permission, plan limit and duplicate checks, run before calling the platform. */
export async function checkCanRegister(ctx: ServiceContext, input: RegisterInput): Promise<void> {
  authorize(ctx.principal, 'connections.manage')
  const tenantId = ctx.principal.tenantId
  const [duplicate] = await ctx.tx
    .select({ id: connections.id })
    .from(connections)
    .where(
      and(
        eq(connections.tenantId, tenantId),
        eq(connections.platform, input.platform),
        eq(connections.externalAccountId, input.externalAccountId),
      ),
    )
  if (duplicate) throw connectionExists()
  const entitlement = await loadEntitlement(ctx.tx, tenantId, ctx.now)
  const [{ value: used } = { value: 0 }] = await ctx.tx
    .select({ value: count() })
    .from(connections)
    .where(and(eq(connections.tenantId, tenantId), ne(connections.status, 'disconnected')))
  if (used >= (entitlement.plan?.limits.connections ?? 0)) {
    throw new ApiError(
      403,
      'CONNECTIONS_LIMIT_REACHED',
      `Your plan allows ${entitlement.plan?.limits.connections ?? 0} connections.`,
    )
  }
}

/** Windows covering the last BACKFILL_DAYS days, each within the platform's maximum range. */
export function backfillWindows(platform: Platform, today: Date): { from: string; to: string }[] {
  const size = connectors[platform]?.maxWindowDays ?? 30
  const windows: { from: string; to: string }[] = []
  const day = (offset: number) => new Date(today.getTime() - offset * 86_400_000).toISOString().slice(0, 10)
  for (let end = 1; end <= BACKFILL_DAYS; end += size) {
    windows.push({ from: day(Math.min(BACKFILL_DAYS, end + size - 1)), to: day(end) })
  }
  return windows
}

/**
 * Stores the connection (tokens to the vault, metadata to Postgres), records the tenant's consent
 * to collection, and queues the 90-day backfill, all in the caller's transaction.
 */
export async function registerConnection(ctx: ServiceContext, input: RegisterInput, profile: Profile) {
  await checkCanRegister(ctx, input)
  authorize(ctx.principal, 'connections.manage')
  const tenantId = ctx.principal.tenantId
  const id = newId('con')
  const windows = backfillWindows(input.platform, ctx.now)
  // A concurrent registration of the same account can pass the check above and commit first.
  await ctx.tx
    .insert(connections)
    .values({
      id,
      tenantId,
      platform: input.platform,
      externalAccountId: input.externalAccountId,
      label: input.label ?? null,
      displayName: profile.displayName,
      tokenExpiresAt: input.expiresAt ?? null,
      hasRefreshToken: Boolean(input.refreshToken),
      backfillTotalDays: BACKFILL_DAYS,
      createdBy: ctx.principal.id,
      nextCollectAt: ctx.now,
    })
    .catch(onUniqueViolation({ connections_account_key: connectionExists }))
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  await vault.put({ tenantId, ownerId: id, purpose: 'access_token' }, input.accessToken, 1)
  if (input.refreshToken)
    await vault.put({ tenantId, ownerId: id, purpose: 'refresh_token' }, input.refreshToken, 1)
  await ctx.tx.insert(consents).values({
    id: newId('cns'),
    tenantId,
    subject: 'connection',
    subjectId: id,
    purpose: 'metrics_collection',
    policyVersion: COLLECTION_POLICY_VERSION,
    granted: true,
    actorId: ctx.principal.id,
    ip: ctx.meta.ip,
    userAgent: ctx.meta.userAgent,
  })
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'connection.created',
    tenantId,
    target: { type: 'connection', id },
    data: { platform: input.platform, external_account_id: input.externalAccountId },
  })
  const backfill: JobMessage[] = windows.map((window) => ({
    type: 'collect.connection',
    v: 1,
    tenantId,
    connectionId: id,
    kind: 'backfill',
    ...window,
  }))
  await ctx.services.jobs.sendMany(backfill)
  return getConnection(ctx, id)
}

export async function listConnections(
  ctx: ServiceContext,
  input: { limit: number; cursor?: string; status?: ConnectionStatus },
) {
  authorize(ctx.principal, 'connections.read')
  const rows = await ctx.tx
    .select(PUBLIC_COLUMNS)
    .from(connections)
    .where(
      and(
        eq(connections.tenantId, ctx.principal.tenantId),
        input.status ? eq(connections.status, input.status) : ne(connections.status, 'disconnected'),
        afterCursor([key.id(connections.id, 'con')], input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(connections.id))
    .limit(input.limit + 1)
  const page = nextPage(rows, input.limit, (row) => [row.id])
  return { ...page, data: page.data.map(present) }
}

export async function getConnection(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'connections.read')
  const [row] = await ctx.tx
    .select(PUBLIC_COLUMNS)
    .from(connections)
    .where(and(eq(connections.id, id), eq(connections.tenantId, ctx.principal.tenantId)))
  if (!row) throw notFound('connection')
  return present(row)
}

/** Pause, resume (also after a reconnect-free error) and relabel. */
export async function updateConnection(
  ctx: ServiceContext,
  id: string,
  input: { label?: string | null; status?: 'active' | 'paused' },
) {
  authorize(ctx.principal, 'connections.manage')
  const current = await getConnection(ctx, id)
  if (input.status && current.status === 'needs_reconnect') {
    throw new ApiError(409, 'NEEDS_RECONNECT', 'Reconnect this account with a new token before resuming it.')
  }
  if (current.status === 'disconnected') throw notFound('connection')
  await ctx.tx
    .update(connections)
    .set({
      ...(input.label !== undefined ? { label: input.label } : {}),
      ...(input.status
        ? {
            status: input.status,
            ...(input.status === 'active' ? { nextCollectAt: ctx.now, lastError: null } : {}),
          }
        : {}),
      updatedAt: ctx.now,
    })
    .where(and(eq(connections.id, id), eq(connections.tenantId, ctx.principal.tenantId)))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: input.status
      ? `connection.${input.status === 'paused' ? 'paused' : 'resumed'}`
      : 'connection.updated',
    tenantId: ctx.principal.tenantId,
    target: { type: 'connection', id },
    data: { from: current.status, to: input.status ?? current.status, label: input.label },
  })
  return getConnection(ctx, id)
}

/**
 * Deletes the tokens (KV) and stops collection. `purgeMetrics` true removes the connection and
 * its history; false keeps the history under a `disconnected` connection.
 */
export async function deleteConnection(ctx: ServiceContext, id: string, input: { purgeMetrics: boolean }) {
  authorize(ctx.principal, 'connections.manage')
  const current = await getConnection(ctx, id)
  const tenantId = ctx.principal.tenantId
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  for (const purpose of ['access_token', 'refresh_token'] as const)
    await vault.delete({ tenantId, ownerId: id, purpose })
  const where = and(eq(connections.id, id), eq(connections.tenantId, tenantId))
  if (input.purgeMetrics) {
    // A WhatsApp number of the attendance inbox keeps its conversations on this connection: purging
    // would take the customers' messages with the metrics, so the number has to leave the inbox first.
    const [number] = await ctx.tx
      .select({ id: attendanceNumbers.id })
      .from(attendanceNumbers)
      .where(and(eq(attendanceNumbers.connectionId, id), eq(attendanceNumbers.tenantId, tenantId)))
      .limit(1)
    if (number)
      throw new ApiError(
        409,
        'CONNECTION_IN_USE',
        'This WhatsApp number is used by the attendance inbox: remove it from the inbox before purging the connection.',
      )
    await ctx.tx.delete(connections).where(where)
  } else {
    await ctx.tx.update(connections).set({ status: 'disconnected', updatedAt: ctx.now }).where(where)
  }
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'connection.deleted',
    tenantId,
    target: { type: 'connection', id },
    data: { platform: current.platform, purge_metrics: input.purgeMetrics },
  })
}

/** "Collect now": at most one manual run per connection every few minutes. */
export async function requestCollection(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'connections.manage')
  const tenantId = ctx.principal.tenantId
  const claimed = await ctx.tx
    .update(connections)
    .set({ manualRequestedAt: ctx.now })
    .where(
      and(
        eq(connections.id, id),
        eq(connections.tenantId, tenantId),
        eq(connections.status, 'active'),
        sql`(${connections.manualRequestedAt} is null or ${connections.manualRequestedAt} < ${ctx.now}::timestamptz - make_interval(secs => ${MANUAL_RUN_INTERVAL_SECONDS}))`,
      ),
    )
    .returning({ id: connections.id })
  if (claimed.length === 0) {
    const current = await getConnection(ctx, id)
    if (current.status !== 'active')
      throw new ApiError(409, 'CONNECTION_NOT_ACTIVE', `The connection is ${current.status}.`)
    throw new ApiError(
      429,
      'COLLECT_RATE_LIMITED',
      'A collection was requested moments ago; try again in a few minutes.',
      {
        headers: { 'Retry-After': String(MANUAL_RUN_INTERVAL_SECONDS) },
      },
    )
  }
  await ctx.services.jobs.send({
    type: 'collect.connection',
    v: 1,
    tenantId,
    connectionId: id,
    kind: 'manual',
  })
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'connection.collect_requested',
    tenantId,
    target: { type: 'connection', id },
  })
  return { queued: true }
}

/** Recent collection runs of a connection (tenant view of collection health). */
export async function listRuns(ctx: ServiceContext, id: string) {
  await getConnection(ctx, id)
  return ctx.tx
    .select({
      id: collectionRuns.id,
      kind: collectionRuns.kind,
      status: collectionRuns.status,
      startedAt: collectionRuns.startedAt,
      finishedAt: collectionRuns.finishedAt,
      points: collectionRuns.points,
      apiCalls: collectionRuns.apiCalls,
      error: collectionRuns.error,
    })
    .from(collectionRuns)
    .where(
      and(eq(collectionRuns.connectionId, id), eq(collectionRuns.tenantId, ctx.principal.tenantId as string)),
    )
    .orderBy(sql`${collectionRuns.startedAt} desc`)
    .limit(50)
}

/**
 * The register-token flow of the API and the portal: permission, limits and duplicates first (so
 * nobody can make us call a platform for nothing), the token checked with the platform with no
 * transaction open, then the connection written with its backfill queued.
 */
export async function connectWithToken(caller: Caller, input: RegisterInput) {
  await caller.run((ctx) => checkCanRegister(ctx, input), { module: 'metrics' })
  const profile = await validateWithPlatform(caller.services.config, input)
  return caller.run((ctx) => registerConnection(ctx, input, profile), { module: 'metrics' })
}
