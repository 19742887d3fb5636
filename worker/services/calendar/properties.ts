import { and, asc, eq, sql } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import { calendarSources, properties } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { randomSecret, sha256Hex } from '../../auth/tokens.ts'
import { ApiError, notFound } from '../../errors.ts'
import { Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, key, nextPage } from '../keyset.ts'

const COLUMNS = {
  id: properties.id,
  name: properties.name,
  address: properties.address,
  timezone: properties.timezone,
  capacity: properties.capacity,
  icalTokenCreatedAt: properties.icalTokenCreatedAt,
  createdAt: properties.createdAt,
  updatedAt: properties.updatedAt,
}

type PropertyRow = { icalTokenCreatedAt: Date | null } & Record<string, unknown>

/** Never the export token (not even its hash): only whether one is live and since when. */
const present = <T extends PropertyRow>({ icalTokenCreatedAt, ...row }: T) => ({
  ...row,
  icalExport: { enabled: icalTokenCreatedAt !== null, createdAt: icalTokenCreatedAt },
})

const propertyExists = () => new ApiError(409, 'PROPERTY_EXISTS', 'A property with this name already exists.')

export type PropertyInput = {
  name: string
  address?: string | null
  timezone: string
  capacity?: number | null
}

export async function createProperty(ctx: ServiceContext, input: PropertyInput) {
  authorize(ctx.principal, 'calendar.manage')
  const id = newId('prp')
  await ctx.tx
    .insert(properties)
    .values({
      id,
      tenantId: ctx.principal.tenantId,
      name: input.name,
      address: input.address ?? null,
      timezone: input.timezone,
      capacity: input.capacity ?? null,
    })
    .catch(onUniqueViolation({ properties_name_key: propertyExists }))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.property_created',
    tenantId: ctx.principal.tenantId,
    target: { type: 'property', id },
    data: { name: input.name, timezone: input.timezone },
  })
  return getProperty(ctx, id)
}

export async function listProperties(ctx: ServiceContext, input: { limit: number; cursor?: string }) {
  authorize(ctx.principal, 'calendar.read')
  const rows = await ctx.tx
    .select(COLUMNS)
    .from(properties)
    .where(
      and(
        eq(properties.tenantId, ctx.principal.tenantId),
        afterCursor([key.id(properties.id, 'prp')], input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(properties.id))
    .limit(input.limit + 1)
  const page = nextPage(rows, input.limit, (row) => [row.id])
  return { ...page, data: page.data.map(present) }
}

export async function getProperty(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'calendar.read')
  const [row] = await ctx.tx
    .select(COLUMNS)
    .from(properties)
    .where(and(eq(properties.id, id), eq(properties.tenantId, ctx.principal.tenantId)))
  if (!row) throw notFound('property')
  return present(row)
}

/**
 * Changing the time zone changes how timed feed events map to dates: the sources are made due
 * so the next tick re-reads them (with no validators, so they are not answered 304).
 */
export async function updateProperty(ctx: ServiceContext, id: string, input: Partial<PropertyInput>) {
  authorize(ctx.principal, 'calendar.manage')
  const before = await getProperty(ctx, id)
  await ctx.tx
    .update(properties)
    .set({ ...input, updatedAt: ctx.now })
    .where(and(eq(properties.id, id), eq(properties.tenantId, ctx.principal.tenantId)))
    .catch(onUniqueViolation({ properties_name_key: propertyExists }))
  if (input.timezone && input.timezone !== before.timezone) {
    await ctx.tx
      .update(calendarSources)
      .set({ etag: null, lastModified: null, nextSyncAt: ctx.now })
      .where(and(eq(calendarSources.propertyId, id), eq(calendarSources.tenantId, ctx.principal.tenantId)))
  }
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.property_updated',
    tenantId: ctx.principal.tenantId,
    target: { type: 'property', id },
    data: { changed: Object.keys(input) },
  })
  return getProperty(ctx, id)
}

/** Removes the property with its sources (their URLs leave the vault), bookings and conflicts. */
export async function deleteProperty(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'calendar.manage')
  const before = await getProperty(ctx, id)
  const tenantId = ctx.principal.tenantId
  const sources = await ctx.tx
    .select({ id: calendarSources.id })
    .from(calendarSources)
    .where(and(eq(calendarSources.propertyId, id), eq(calendarSources.tenantId, tenantId)))
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  for (const source of sources) await vault.delete({ tenantId, ownerId: source.id, purpose: 'ical_url' })
  await ctx.tx.delete(properties).where(and(eq(properties.id, id), eq(properties.tenantId, tenantId)))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.property_deleted',
    tenantId,
    target: { type: 'property', id },
    data: { name: before.name, sources: sources.length },
  })
}

/**
 * A new export token for the property's iCal feed, replacing (and so revoking) the previous one.
 * Only its SHA-256 is stored: the URL is shown this once.
 */
export async function rotateExportToken(ctx: ServiceContext, id: string, input: { origin: string }) {
  authorize(ctx.principal, 'calendar.manage')
  await getProperty(ctx, id)
  const token = randomSecret(32)
  await ctx.tx
    .update(properties)
    .set({ icalTokenHash: await sha256Hex(token), icalTokenCreatedAt: ctx.now, updatedAt: ctx.now })
    .where(and(eq(properties.id, id), eq(properties.tenantId, ctx.principal.tenantId)))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.export_token_rotated',
    tenantId: ctx.principal.tenantId,
    target: { type: 'property', id },
  })
  return { icalUrl: `${input.origin}/ical/${token}.ics`, createdAt: ctx.now }
}

/** Revokes the export URL: channels importing it get 404 from now on. */
export async function revokeExportToken(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'calendar.manage')
  await getProperty(ctx, id)
  await ctx.tx
    .update(properties)
    .set({ icalTokenHash: null, icalTokenCreatedAt: null, updatedAt: sql`now()` })
    .where(and(eq(properties.id, id), eq(properties.tenantId, ctx.principal.tenantId)))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'calendar.export_token_revoked',
    tenantId: ctx.principal.tenantId,
    target: { type: 'property', id },
  })
}
