import { and, desc, eq, inArray, isNull } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import {
  CONNECTION_STATUSES,
  connections,
  erasureReceipts,
  erasureRequests,
  sessions,
  tenants,
} from '../../../db/schema/index.ts'
import { authorize, authorizeOperator, can } from '../../auth/permissions.ts'
import { ApiError, notFound } from '../../errors.ts'
import { Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import { type Reauth, reauthenticate } from '../auth/reauth.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import { forgetMetaEndpoint } from '../meta-webhooks/meta-endpoint.ts'
import { refreshMetaEdgeCopy } from '../meta-webhooks/meta-settings.ts'

// Asking for an erasure, confirming it, cancelling it within the grace period, and listing
// requests and receipts. The deletion itself, found due by the cron tick, is erasure-run.ts.

const DAY_MS = 86_400_000

const erasureRequested = () =>
  new ApiError(409, 'ERASURE_ALREADY_REQUESTED', 'An erasure of this subject is already requested.')
const ERASURE_CONFLICTS = { erasure_requests_one_open_key: erasureRequested }

const REQUEST_COLUMNS = {
  id: erasureRequests.id,
  tenantId: erasureRequests.tenantId,
  scope: erasureRequests.scope,
  subjectId: erasureRequests.subjectId,
  status: erasureRequests.status,
  requestedByType: erasureRequests.requestedByType,
  requestedBy: erasureRequests.requestedBy,
  confirmedBy: erasureRequests.confirmedBy,
  graceDays: erasureRequests.graceDays,
  previousStatus: erasureRequests.previousStatus,
  createdAt: erasureRequests.createdAt,
  confirmedAt: erasureRequests.confirmedAt,
  scheduledFor: erasureRequests.scheduledFor,
  startedAt: erasureRequests.startedAt,
  canceledBy: erasureRequests.canceledBy,
  canceledAt: erasureRequests.canceledAt,
  cancelReason: erasureRequests.cancelReason,
  completedAt: erasureRequests.completedAt,
  receiptId: erasureRequests.receiptId,
}

/**
 * The grace period of a new request: the configured one, or fewer days when the owner asks for
 * it (the data subject's own request; the caller re-authenticates to confirm it). Null: the
 * configured period applies. An admin cannot shorten it.
 */
function shortenedGrace(ctx: ServiceContext, asked: number | undefined): number | null {
  if (asked === undefined || asked >= ctx.services.config.ERASURE_GRACE_DAYS) return null
  if (!can(ctx.principal, 'privacy.erase_tenant'))
    throw new ApiError(403, 'FORBIDDEN', 'Only the owner can shorten the grace period.')
  return asked
}

const scheduleFrom = (ctx: ServiceContext, graceDays: number) =>
  new Date(ctx.now.getTime() + graceDays * DAY_MS)

/** The audit row of an erasure step: a tenant's in the central's trail (it outlives the tenant). */
function auditStep(
  ctx: ServiceContext,
  action: string,
  request: ErasureRequest,
  data: Record<string, unknown>,
) {
  const tenantScope = request.scope === 'tenant'
  return writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action,
    tenantId: tenantScope ? null : request.tenantId,
    target: { type: 'erasure_request', id: request.id },
    data: { tenant_id: request.tenantId, scope: request.scope, subject_id: request.subjectId, ...data },
  })
}

/**
 * Stops the tenant at once, everything kept: suspended (no collection, no sign-in, no API key),
 * its sessions ended and its edge copies withdrawn (Meta webhooks find no endpoint). A tenant
 * already suspended or deleted keeps that status.
 */
async function suspendTenant(ctx: ServiceContext, tenant: { id: string; slug: string; status: string }) {
  if (tenant.status === 'active')
    await ctx.tx
      .update(tenants)
      .set({ status: 'suspended', updatedAt: ctx.now })
      .where(eq(tenants.id, tenant.id))
  await ctx.tx
    .update(sessions)
    .set({ revokedAt: ctx.now, revokedReason: 'tenant_erasure_scheduled' })
    .where(and(eq(sessions.tenantId, tenant.id), isNull(sessions.revokedAt)))
  await new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS).withdrawEdgeCopies(
    tenant.id,
  )
  forgetMetaEndpoint(tenant.slug)
}

/** The tenant row, locked first (before its request rows, always in that order). */
async function lockTenant(ctx: ServiceContext, tenantId: string) {
  const [tenant] = await ctx.tx
    .select({ id: tenants.id, slug: tenants.slug, status: tenants.status })
    .from(tenants)
    .where(eq(tenants.id, tenantId))
    .for('update')
  if (!tenant) throw notFound('tenant')
  return tenant
}

async function lockRequest(ctx: ServiceContext, id: string, tenantId?: string) {
  const [request] = await ctx.tx
    .select(REQUEST_COLUMNS)
    .from(erasureRequests)
    .where(and(eq(erasureRequests.id, id), tenantId ? eq(erasureRequests.tenantId, tenantId) : undefined))
    .for('update')
  return request ?? null
}

type ErasureRequest = NonNullable<Awaited<ReturnType<typeof lockRequest>>>

/** The slug typed again must be the tenant's: a wrong id pasted in a script is caught here. */
function checkSlug(tenant: { slug: string }, typed: string) {
  if (tenant.slug !== typed)
    throw new ApiError(400, 'TENANT_SLUG_MISMATCH', "The slug typed does not match the tenant's.", {
      fields: [{ path: 'json.tenant_slug', message: "does not match the tenant's slug" }],
    })
}

async function tenantErased(ctx: ServiceContext, tenantId: string): Promise<boolean> {
  const [receipt] = await ctx.tx
    .select({ id: erasureReceipts.id })
    .from(erasureReceipts)
    .where(and(eq(erasureReceipts.tenantId, tenantId), eq(erasureReceipts.scope, 'tenant')))
  return Boolean(receipt)
}

// ---------------------------------------------------------------------------------------------
// The tenant's side

/**
 * The owner asks for the whole tenant to be erased (LGPD Art. 18 VI); an operator confirms it.
 * `graceDays` fewer than the configured period is the owner's own ask, confirmed by their password.
 */
export async function requestTenantErasure(
  ctx: ServiceContext,
  input: { graceDays?: number; reauth?: Reauth } = {},
) {
  authorize(ctx.principal, 'privacy.erase_tenant')
  const tenantId = ctx.principal.tenantId
  const graceDays = shortenedGrace(ctx, input.graceDays)
  if (graceDays !== null) await reauthenticate(ctx.tx, ctx.principal, input.reauth)
  const [request] = await ctx.tx
    .insert(erasureRequests)
    .values({
      id: newId('era'),
      tenantId,
      scope: 'tenant',
      subjectId: tenantId,
      requestedByType: 'member',
      requestedBy: ctx.principal.id,
      graceDays,
    })
    .returning(REQUEST_COLUMNS)
    .catch(onUniqueViolation(ERASURE_CONFLICTS))
  if (!request) throw new Error('insert returned no row')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'erasure.requested',
    tenantId,
    target: { type: 'erasure_request', id: request.id },
    data: { grace_days: graceDays },
  })
  return request
}

/**
 * An owner or admin asks for one connection's erasure (its history goes with it), password typed
 * again. Scheduled at once: the connection is paused now and erased after the grace period.
 */
export async function requestConnectionErasure(
  ctx: ServiceContext,
  input: { connectionId: string; graceDays?: number; reauth?: Reauth },
) {
  authorize(ctx.principal, 'privacy.manage')
  const tenantId = ctx.principal.tenantId
  await reauthenticate(ctx.tx, ctx.principal, input.reauth)
  const graceDays = shortenedGrace(ctx, input.graceDays) ?? ctx.services.config.ERASURE_GRACE_DAYS
  const [connection] = await ctx.tx
    .select({ id: connections.id, status: connections.status })
    .from(connections)
    .where(and(eq(connections.id, input.connectionId), eq(connections.tenantId, tenantId)))
    .for('update')
  if (!connection) throw notFound('connection')
  const [request] = await ctx.tx
    .insert(erasureRequests)
    .values({
      id: newId('era'),
      tenantId,
      scope: 'connection',
      subjectId: connection.id,
      status: 'scheduled',
      requestedByType: 'member',
      requestedBy: ctx.principal.id,
      confirmedBy: ctx.principal.id,
      confirmedAt: ctx.now,
      graceDays,
      scheduledFor: scheduleFrom(ctx, graceDays),
      previousStatus: connection.status,
    })
    .returning(REQUEST_COLUMNS)
    .catch(onUniqueViolation(ERASURE_CONFLICTS))
  if (!request) throw new Error('insert returned no row')
  // Paused, so nothing is collected meanwhile (the collection gate also skips it if resumed).
  if (connection.status === 'active')
    await ctx.tx
      .update(connections)
      .set({ status: 'paused', updatedAt: ctx.now })
      .where(eq(connections.id, connection.id))
  await auditStep(ctx, 'erasure.scheduled', request, {
    grace_days: graceDays,
    scheduled_for: request.scheduledFor,
  })
  return request
}

/** The tenant's requests, newest first: owners see all, admins the connections'. */
export async function listOwnErasureRequests(ctx: ServiceContext) {
  authorize(ctx.principal, 'privacy.manage')
  const owner = can(ctx.principal, 'privacy.erase_tenant')
  return ctx.tx
    .select(REQUEST_COLUMNS)
    .from(erasureRequests)
    .where(
      and(
        eq(erasureRequests.tenantId, ctx.principal.tenantId),
        owner ? undefined : eq(erasureRequests.scope, 'connection'),
      ),
    )
    .orderBy(desc(erasureRequests.createdAt), desc(erasureRequests.id))
}

/**
 * Withdraws one of the tenant's requests with a reason: a connection's within its grace period
 * (owner or admin), the tenant's own before an operator confirms it (owner).
 */
export async function cancelOwnErasure(ctx: ServiceContext, id: string, input: { reason: string }) {
  authorize(ctx.principal, 'privacy.manage')
  const tenantId = ctx.principal.tenantId
  const [found] = await ctx.tx
    .select({ scope: erasureRequests.scope })
    .from(erasureRequests)
    .where(and(eq(erasureRequests.id, id), eq(erasureRequests.tenantId, tenantId)))
  if (!found) throw await goneOrUnknown(ctx, id)
  if (found.scope === 'tenant') authorize(ctx.principal, 'privacy.erase_tenant')
  return cancel(ctx, id, tenantId, input.reason)
}

// ---------------------------------------------------------------------------------------------
// The central's side

/** Requests of every tenant, newest first, with the tenant's slug and name and the connection's label. */
export async function listErasureRequests(ctx: ServiceContext, input: { limit: number; cursor?: string }) {
  authorizeOperator(ctx.principal)
  const rows = await ctx.tx
    .select({
      ...REQUEST_COLUMNS,
      tenantSlug: tenants.slug,
      tenantName: tenants.name,
      connectionPlatform: connections.platform,
      connectionLabel: connections.label,
      connectionName: connections.displayName,
      sortKey: sortKey(erasureRequests.createdAt),
    })
    .from(erasureRequests)
    .innerJoin(tenants, eq(tenants.id, erasureRequests.tenantId))
    .leftJoin(
      connections,
      and(eq(erasureRequests.scope, 'connection'), eq(connections.id, erasureRequests.subjectId)),
    )
    .where(afterCursor(byCreatedAt(erasureRequests, 'era'), input.cursor, 'desc'))
    .orderBy(desc(erasureRequests.createdAt), desc(erasureRequests.id))
    .limit(input.limit + 1)
  return cutPage(rows, input.limit)
}

type OperatorProof = { tenantSlug: string; reauth: Reauth }

/**
 * Confirms an owner's request: the operator types the tenant's slug and their password again.
 * The tenant is suspended at once and the deletion scheduled after the grace period (the
 * owner's shorter one if they asked for it).
 */
export async function confirmErasure(ctx: ServiceContext, requestId: string, input: OperatorProof) {
  authorizeOperator(ctx.principal)
  await reauthenticate(ctx.tx, ctx.principal, input.reauth)
  const [found] = await ctx.tx
    .select({ tenantId: erasureRequests.tenantId })
    .from(erasureRequests)
    .where(eq(erasureRequests.id, requestId))
  if (!found) throw notFound('erasure request')
  const tenant = await lockTenant(ctx, found.tenantId)
  const request = await lockRequest(ctx, requestId)
  if (!request) throw notFound('erasure request')
  if (request.status === 'canceled') throw alreadyCanceled()
  if (request.status !== 'pending')
    throw new ApiError(409, 'ERASURE_ALREADY_CONFIRMED', 'This erasure is already confirmed.')
  checkSlug(tenant, input.tenantSlug)
  const graceDays = request.graceDays ?? ctx.services.config.ERASURE_GRACE_DAYS
  const [confirmed] = await ctx.tx
    .update(erasureRequests)
    .set({
      status: 'scheduled',
      confirmedBy: ctx.principal.id,
      confirmedAt: ctx.now,
      graceDays,
      scheduledFor: scheduleFrom(ctx, graceDays),
      previousStatus: tenant.status,
    })
    .where(eq(erasureRequests.id, requestId))
    .returning(REQUEST_COLUMNS)
  if (!confirmed) throw new Error('update returned no row')
  await suspendTenant(ctx, tenant)
  await auditStep(ctx, 'erasure.confirmed', confirmed, {
    grace_days: graceDays,
    scheduled_for: confirmed.scheduledFor,
  })
  return confirmed
}

/**
 * An operator's own erasure of a tenant (no owner request): the tenant named twice (id, and its
 * slug typed again) and the operator's password. Suspended at once, deleted after the grace period.
 */
export async function scheduleTenantErasure(
  ctx: ServiceContext,
  input: OperatorProof & { tenantId: string },
) {
  authorizeOperator(ctx.principal)
  await reauthenticate(ctx.tx, ctx.principal, input.reauth)
  const tenant = await lockTenant(ctx, input.tenantId)
  if (await tenantErased(ctx, tenant.id))
    throw new ApiError(409, 'TENANT_ERASED', 'This tenant was already erased.')
  checkSlug(tenant, input.tenantSlug)
  const graceDays = ctx.services.config.ERASURE_GRACE_DAYS
  const [request] = await ctx.tx
    .insert(erasureRequests)
    .values({
      id: newId('era'),
      tenantId: tenant.id,
      scope: 'tenant',
      subjectId: tenant.id,
      status: 'scheduled',
      requestedByType: 'operator',
      requestedBy: ctx.principal.id,
      confirmedBy: ctx.principal.id,
      confirmedAt: ctx.now,
      graceDays,
      scheduledFor: scheduleFrom(ctx, graceDays),
      previousStatus: tenant.status,
    })
    .returning(REQUEST_COLUMNS)
    .catch(onUniqueViolation(ERASURE_CONFLICTS))
  if (!request) throw new Error('insert returned no row')
  await suspendTenant(ctx, tenant)
  await auditStep(ctx, 'erasure.scheduled', request, {
    grace_days: graceDays,
    scheduled_for: request.scheduledFor,
  })
  return request
}

/** An operator cancels any request not yet under way, with a reason; the subject is as it was. */
export async function cancelErasure(ctx: ServiceContext, requestId: string, input: { reason: string }) {
  authorizeOperator(ctx.principal)
  const [found] = await ctx.tx
    .select({ tenantId: erasureRequests.tenantId })
    .from(erasureRequests)
    .where(eq(erasureRequests.id, requestId))
  if (!found) throw await goneOrUnknown(ctx, requestId)
  return cancel(ctx, requestId, found.tenantId, input.reason)
}

const alreadyCanceled = () =>
  new ApiError(409, 'ERASURE_ALREADY_CANCELED', 'This erasure request was already canceled.')
const alreadyDone = () =>
  new ApiError(409, 'ERASURE_COMPLETED', 'This erasure has been carried out; it cannot be canceled.')

/** A request that is gone was a tenant's, erased with it (its receipt names it); else unknown. */
async function goneOrUnknown(ctx: ServiceContext, requestId: string): Promise<ApiError> {
  const [receipt] = await ctx.tx
    .select({ id: erasureReceipts.id })
    .from(erasureReceipts)
    .where(eq(erasureReceipts.requestId, requestId))
  return receipt ? alreadyDone() : notFound('erasure request')
}

/**
 * Cancels a pending or scheduled request: the tenant (or connection) gets back the status it had,
 * with everything it had, and the tenant's edge copies are put back. Too late once the cron tick
 * has started the deletion.
 */
async function cancel(ctx: ServiceContext, requestId: string, tenantId: string, reason: string) {
  const tenant = await lockTenant(ctx, tenantId)
  const request = await lockRequest(ctx, requestId, tenantId)
  if (!request) throw await goneOrUnknown(ctx, requestId)
  if (request.status === 'canceled') throw alreadyCanceled()
  if (request.status === 'completed') throw alreadyDone()
  if (request.status === 'erasing')
    throw new ApiError(409, 'ERASURE_STARTED', 'The deletion has started; it can no longer be canceled.')
  const [canceled] = await ctx.tx
    .update(erasureRequests)
    .set({ status: 'canceled', canceledBy: ctx.principal.id, canceledAt: ctx.now, cancelReason: reason })
    .where(eq(erasureRequests.id, requestId))
    .returning(REQUEST_COLUMNS)
  if (!canceled) throw new Error('update returned no row')
  if (request.status === 'scheduled') await restoreSubject(ctx, request, tenant)
  await auditStep(ctx, 'erasure.canceled', canceled, { from: request.status, reason })
  return canceled
}

async function restoreSubject(
  ctx: ServiceContext,
  request: ErasureRequest,
  tenant: { id: string; status: string },
) {
  if (request.scope === 'connection') {
    const previous = CONNECTION_STATUSES.find((status) => status === request.previousStatus)
    if (previous && previous !== 'paused')
      await ctx.tx
        .update(connections)
        .set({ status: previous, updatedAt: ctx.now })
        .where(
          and(
            eq(connections.id, request.subjectId),
            eq(connections.tenantId, request.tenantId),
            eq(connections.status, 'paused'),
          ),
        )
    return
  }
  if (request.previousStatus === 'active' && tenant.status === 'suspended')
    await ctx.tx
      .update(tenants)
      .set({ status: 'active', updatedAt: ctx.now })
      .where(eq(tenants.id, tenant.id))
  // Whatever its status, the tenant had its edge copies before: a later reactivation relies on them.
  await refreshMetaEdgeCopy(ctx.tx, ctx.services, tenant.id)
}

/** Whether an erasure of the tenant is scheduled or running: its status is then the erasure's to change. */
export async function tenantErasureUnderWay(ctx: ServiceContext, tenantId: string): Promise<boolean> {
  const [open] = await ctx.tx
    .select({ id: erasureRequests.id })
    .from(erasureRequests)
    .where(
      and(
        eq(erasureRequests.tenantId, tenantId),
        eq(erasureRequests.scope, 'tenant'),
        inArray(erasureRequests.status, ['scheduled', 'erasing']),
      ),
    )
  return Boolean(open)
}

export async function listErasureReceipts(
  ctx: ServiceContext,
  input: { limit: number; cursor?: string; tenantId?: string },
) {
  authorizeOperator(ctx.principal)
  const columns = { createdAt: erasureReceipts.completedAt, id: erasureReceipts.id }
  const rows = await ctx.tx
    .select({
      id: erasureReceipts.id,
      tenantId: erasureReceipts.tenantId,
      scope: erasureReceipts.scope,
      subjectId: erasureReceipts.subjectId,
      requestId: erasureReceipts.requestId,
      requestedAt: erasureReceipts.requestedAt,
      confirmedBy: erasureReceipts.confirmedBy,
      confirmedAt: erasureReceipts.confirmedAt,
      rowCounts: erasureReceipts.rowCounts,
      kvKeysDeleted: erasureReceipts.kvKeysDeleted,
      objectsDeleted: erasureReceipts.objectsDeleted,
      keyDestroyed: erasureReceipts.keyDestroyed,
      completedAt: erasureReceipts.completedAt,
      sortKey: sortKey(erasureReceipts.completedAt),
    })
    .from(erasureReceipts)
    .where(
      and(
        input.tenantId ? eq(erasureReceipts.tenantId, input.tenantId) : undefined,
        afterCursor(byCreatedAt(columns, 'rcp'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(erasureReceipts.completedAt), desc(erasureReceipts.id))
    .limit(input.limit + 1)
  return cutPage(rows, input.limit)
}
