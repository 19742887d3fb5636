import { and, desc, eq, gt } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import { dataExports } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import { type DownloadClaims, signDownloadToken } from './download-token.ts'

const PUBLIC_COLUMNS = {
  id: dataExports.id,
  status: dataExports.status,
  progress: dataExports.progress,
  sizeBytes: dataExports.sizeBytes,
  error: dataExports.error,
  requestedBy: dataExports.requestedBy,
  createdAt: dataExports.createdAt,
  startedAt: dataExports.startedAt,
  completedAt: dataExports.completedAt,
  expiresAt: dataExports.expiresAt,
}

const exportInProgress = () =>
  new ApiError(409, 'EXPORT_IN_PROGRESS', 'An export of this tenant is already being prepared.')

/** The object key of an export's archive; erasure deletes the tenant's whole prefix. */
export const exportObjectKey = (tenantId: string, exportId: string) => `exports/${tenantId}/${exportId}.zip`
export const exportPrefix = (tenantId: string) => `exports/${tenantId}/`

/**
 * Starts a portability export (LGPD Art. 18 V): a row, its audit row and a `privacy.export`
 * message, in the request's transaction. At most one export per tenant is in flight.
 */
export async function requestExport(ctx: ServiceContext, input: { origin: string }) {
  authorize(ctx.principal, 'privacy.manage')
  const tenantId = ctx.principal.tenantId
  const id = newId('exp')
  const [row] = await ctx.tx
    .insert(dataExports)
    .values({ id, tenantId, requestedBy: ctx.principal.id })
    .returning(PUBLIC_COLUMNS)
    .catch(onUniqueViolation({ data_exports_one_in_flight_key: exportInProgress }))
  if (!row) throw new Error('insert returned no row')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'export.requested',
    tenantId,
    target: { type: 'export', id },
  })
  await ctx.services.jobs.send({ type: 'privacy.export', v: 1, tenantId, exportId: id })
  return present(ctx, row, input.origin)
}

/** Status, progress and, once the archive is ready and not expired, a fresh signed link. */
export async function getExport(ctx: ServiceContext, input: { id: string; origin: string }) {
  authorize(ctx.principal, 'privacy.manage')
  const [row] = await ctx.tx
    .select(PUBLIC_COLUMNS)
    .from(dataExports)
    .where(and(eq(dataExports.id, input.id), eq(dataExports.tenantId, ctx.principal.tenantId)))
  if (!row) throw notFound('export')
  return present(ctx, row, input.origin)
}

export async function listExports(ctx: ServiceContext, input: { limit: number; cursor?: string }) {
  authorize(ctx.principal, 'privacy.manage')
  const rows = await ctx.tx
    .select({ ...PUBLIC_COLUMNS, sortKey: sortKey(dataExports.createdAt) })
    .from(dataExports)
    .where(
      and(
        eq(dataExports.tenantId, ctx.principal.tenantId),
        afterCursor(byCreatedAt(dataExports, 'exp'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(dataExports.createdAt), desc(dataExports.id))
    .limit(input.limit + 1)
  const page = cutPage(rows, input.limit)
  return {
    data: await Promise.all(page.data.map((row) => present(ctx, row, null))),
    nextCursor: page.nextCursor,
  }
}

async function present<T extends { id: string; status: string; expiresAt: Date | null }>(
  ctx: ServiceContext,
  row: T,
  origin: string | null,
) {
  const ready = row.status === 'completed' && row.expiresAt !== null && row.expiresAt > ctx.now
  let download: { url: string; expiresAt: Date } | null = null
  if (ready && origin) {
    const { token, expiresAt } = await signDownloadToken(
      { exportId: row.id, tenantId: ctx.principal.tenantId as string, actorId: ctx.principal.id },
      ctx.services.config.JWT_SIGNING_KEYS,
      ctx.now,
    )
    download = { url: `${origin}/exports/download/${token}`, expiresAt }
  }
  return { ...row, expired: row.status === 'completed' && !ready, download }
}

/**
 * What a download link may fetch: the export must still be completed and unexpired when the link
 * is used (the link's own expiry is shorter). Audited as the member the link was made for.
 */
export async function openDownload(
  ctx: Omit<ServiceContext, 'principal' | 'modules' | 'afterCommit'>,
  claims: DownloadClaims,
) {
  const [row] = await ctx.tx
    .select({ objectKey: dataExports.objectKey, sizeBytes: dataExports.sizeBytes })
    .from(dataExports)
    .where(
      and(
        eq(dataExports.id, claims.exportId),
        eq(dataExports.tenantId, claims.tenantId),
        eq(dataExports.status, 'completed'),
        gt(dataExports.expiresAt, ctx.now),
      ),
    )
  if (!row?.objectKey) throw notFound('export')
  await writeAudit(ctx.tx, { type: 'member', id: claims.actorId }, ctx.meta, {
    action: 'export.downloaded',
    tenantId: claims.tenantId,
    target: { type: 'export', id: claims.exportId },
  })
  return row.objectKey
}
