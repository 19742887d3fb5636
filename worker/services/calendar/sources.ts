import { and, asc, desc, eq, isNull, lt, or, sql } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import {
  type CalendarChannel,
  calendarSources,
  calendarSyncRuns,
  properties,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import type { Config } from '../../config.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage } from '../keyset.ts'
import { recomputeConflicts } from './conflicts.ts'

export const MANUAL_SYNC_INTERVAL_SECONDS = 60
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/

const COLUMNS = {
  id: calendarSources.id,
  propertyId: calendarSources.propertyId,
  channel: calendarSources.channel,
  name: calendarSources.name,
  icalUrl: calendarSources.urlMasked,
  status: calendarSources.status,
  lastSyncedAt: calendarSources.lastSyncedAt,
  nextSyncAt: calendarSources.nextSyncAt,
  lastError: calendarSources.lastError,
  lastErrorAt: calendarSources.lastErrorAt,
  createdAt: calendarSources.createdAt,
  updatedAt: calendarSources.updatedAt,
}

const sourceExists = () =>
  new ApiError(409, 'SOURCE_EXISTS', 'This property already has a source with this iCal URL.')

/**
 * The feed URL as it will be fetched: `webcal://` (what channels often show) is https; anything
 * but https is refused in production, and plain http is accepted only for loopback hosts (the
 * local fake feeds of dev and tests). Credentials in the URL are refused.
 */
export function normalizeFeedUrl(config: Config, raw: string): string {
  let url: URL
  try {
    url = new URL(raw.trim().replace(/^webcals?:\/\//i, 'https://'))
  } catch {
    throw invalidField('json.ical_url', 'must be a URL')
  }
  const local = config.APP_ENV !== 'production' && url.protocol === 'http:' && LOOPBACK.test(url.hostname)
  if (url.protocol !== 'https:' && !local) throw invalidField('json.ical_url', 'must be an https:// URL')
  if (url.username || url.password) throw invalidField('json.ical_url', 'must not carry credentials')
  return url.href
}

/**
 * What the tenant sees of a URL that is itself a secret: the host and the last 4 characters,
 * enough to tell two feeds apart.
 */
export function maskFeedUrl(url: string): string {
  const parsed = new URL(url)
  const tail = `${parsed.pathname}${parsed.search}`
  return `${parsed.protocol}//${parsed.host}/…${tail.length > 8 ? tail.slice(-4) : ''}`
}

export type SourceInput = {
  propertyId: string
  channel: CalendarChannel
  icalUrl: string
  name?: string | null
}

export async function createSource(ctx: ServiceContext, input: SourceInput) {
  authorize(ctx.principal, 'calendar.manage')
  const tenantId = ctx.principal.tenantId
  const url = normalizeFeedUrl(ctx.services.config, input.icalUrl)
  const [property] = await ctx.tx
    .select({ id: properties.id })
    .from(properties)
    .where(and(eq(properties.id, input.propertyId), eq(properties.tenantId, tenantId)))
  if (!property) throw invalidField('json.property_id', 'no such property', 'The property does not exist.')
  const id = newId('src')
  await ctx.tx
    .insert(calendarSources)
    .values({
      id,
      tenantId,
      propertyId: input.propertyId,
      channel: input.channel,
      name: input.name ?? null,
      urlMasked: maskFeedUrl(url),
      urlDigest: await sha256Hex(`${tenantId}\n${url}`),
      createdBy: ctx.principal.id,
      nextSyncAt: ctx.now,
    })
    .catch(onUniqueViolation({ calendar_sources_url_key: sourceExists }))
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  await vault.put({ tenantId, ownerId: id, purpose: 'ical_url' }, url, 1)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.source_created',
    tenantId,
    target: { type: 'calendar_source', id },
    data: { property_id: input.propertyId, channel: input.channel },
  })
  // The first sync goes out at once rather than at the next tick.
  await ctx.services.jobs.send({ type: 'calendar.sync', v: 1, tenantId, sourceId: id, kind: 'manual' })
  return getSource(ctx, id)
}

export async function listSources(
  ctx: ServiceContext,
  input: { limit: number; cursor?: string; propertyId?: string },
) {
  authorize(ctx.principal, 'calendar.read')
  const rows = await ctx.tx
    .select(COLUMNS)
    .from(calendarSources)
    .where(
      and(
        eq(calendarSources.tenantId, ctx.principal.tenantId),
        input.propertyId ? eq(calendarSources.propertyId, input.propertyId) : undefined,
        afterCursor([key.id(calendarSources.id, 'src')], input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(calendarSources.id))
    .limit(input.limit + 1)
  return nextPage(rows, input.limit, (row) => [row.id])
}

export async function getSource(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'calendar.read')
  const [row] = await ctx.tx
    .select(COLUMNS)
    .from(calendarSources)
    .where(and(eq(calendarSources.id, id), eq(calendarSources.tenantId, ctx.principal.tenantId)))
  if (!row) throw notFound('calendar source')
  return row
}

/** Rename, pause/resume, or a new URL (the next vault version; validators reset, sync queued). */
export async function updateSource(
  ctx: ServiceContext,
  id: string,
  input: { name?: string | null; status?: 'active' | 'paused'; icalUrl?: string },
) {
  authorize(ctx.principal, 'calendar.manage')
  const tenantId = ctx.principal.tenantId
  const before = await getSource(ctx, id)
  const url = input.icalUrl ? normalizeFeedUrl(ctx.services.config, input.icalUrl) : null
  const [updated] = await ctx.tx
    .update(calendarSources)
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.status ? { status: input.status } : {}),
      ...(input.status === 'active' && before.status !== 'active' ? { nextSyncAt: ctx.now } : {}),
      ...(url
        ? {
            urlVersion: sql`${calendarSources.urlVersion} + 1`,
            urlMasked: maskFeedUrl(url),
            urlDigest: await sha256Hex(`${tenantId}\n${url}`),
            etag: null,
            lastModified: null,
            nextSyncAt: ctx.now,
          }
        : {}),
      updatedAt: ctx.now,
    })
    .where(and(eq(calendarSources.id, id), eq(calendarSources.tenantId, tenantId)))
    .returning({ urlVersion: calendarSources.urlVersion })
    .catch(onUniqueViolation({ calendar_sources_url_key: sourceExists }))
  if (url && updated) {
    const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
    await vault.put({ tenantId, ownerId: id, purpose: 'ical_url' }, url, updated.urlVersion)
  }
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.source_updated',
    tenantId,
    target: { type: 'calendar_source', id },
    data: {
      ...(input.status ? { status: { from: before.status, to: input.status } } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
      url_changed: Boolean(url),
    },
  })
  return getSource(ctx, id)
}

/** Removes the source, its URL from the vault and its bookings; conflicts are recomputed. */
export async function deleteSource(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'calendar.manage')
  const tenantId = ctx.principal.tenantId
  const before = await getSource(ctx, id)
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  await vault.delete({ tenantId, ownerId: id, purpose: 'ical_url' })
  await ctx.tx
    .delete(calendarSources)
    .where(and(eq(calendarSources.id, id), eq(calendarSources.tenantId, tenantId)))
  await recomputeConflicts(ctx.tx, tenantId, before.propertyId)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.source_deleted',
    tenantId,
    target: { type: 'calendar_source', id },
    data: { property_id: before.propertyId, channel: before.channel },
  })
}

/** "Sync now": queued at once, at most once a minute per source; a paused source is refused. */
export async function requestSync(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'calendar.manage')
  const tenantId = ctx.principal.tenantId
  const source = await getSource(ctx, id)
  if (source.status !== 'active')
    throw new ApiError(409, 'SOURCE_PAUSED', 'Resume this source before syncing it.')
  const claimed = await ctx.tx
    .update(calendarSources)
    .set({ manualRequestedAt: ctx.now })
    .where(
      and(
        eq(calendarSources.id, id),
        eq(calendarSources.tenantId, tenantId),
        or(
          isNull(calendarSources.manualRequestedAt),
          lt(
            calendarSources.manualRequestedAt,
            new Date(ctx.now.getTime() - MANUAL_SYNC_INTERVAL_SECONDS * 1000),
          ),
        ),
      ),
    )
    .returning({ id: calendarSources.id })
  if (claimed.length === 0) {
    throw new ApiError(429, 'SYNC_TOO_SOON', 'This source was synced a moment ago; try again in a minute.', {
      headers: { 'Retry-After': String(MANUAL_SYNC_INTERVAL_SECONDS) },
    })
  }
  await ctx.services.jobs.send({ type: 'calendar.sync', v: 1, tenantId, sourceId: id, kind: 'manual' })
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.sync_requested',
    tenantId,
    target: { type: 'calendar_source', id },
  })
  return { queued: true }
}

/** The source's latest sync runs, newest first. */
export async function listSyncRuns(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'calendar.read')
  await getSource(ctx, id)
  return ctx.tx
    .select({
      id: calendarSyncRuns.id,
      kind: calendarSyncRuns.kind,
      status: calendarSyncRuns.status,
      startedAt: calendarSyncRuns.startedAt,
      finishedAt: calendarSyncRuns.finishedAt,
      httpStatus: calendarSyncRuns.httpStatus,
      bytes: calendarSyncRuns.bytes,
      events: calendarSyncRuns.events,
      created: calendarSyncRuns.created,
      updated: calendarSyncRuns.updated,
      cancelled: calendarSyncRuns.cancelled,
      error: calendarSyncRuns.error,
    })
    .from(calendarSyncRuns)
    .where(and(eq(calendarSyncRuns.sourceId, id), eq(calendarSyncRuns.tenantId, ctx.principal.tenantId)))
    .orderBy(desc(calendarSyncRuns.startedAt), desc(calendarSyncRuns.id))
    .limit(50)
}
