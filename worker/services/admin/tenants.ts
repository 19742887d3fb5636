import { and, count, desc, eq, ilike, isNull, or, sql } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import {
  type LicenseStatus,
  licenses,
  plans,
  sessions,
  type TenantStatus,
  tenants,
  users,
} from '../../../db/schema/index.ts'
import { authorizeOperator } from '../../auth/permissions.ts'
import { ApiError, notFound } from '../../errors.ts'
import { escapeLike } from '../../http.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import { effectiveStatus, loadEntitlement } from '../licensing.ts'
import { refreshMetaEdgeCopy } from '../meta-webhooks/meta-settings.ts'
import { tenantErasureUnderWay } from '../privacy/erasure-requests.ts'

const tenantColumns = {
  id: tenants.id,
  slug: tenants.slug,
  name: tenants.name,
  status: tenants.status,
  deletedAt: tenants.deletedAt,
  createdAt: tenants.createdAt,
  updatedAt: tenants.updatedAt,
}

const slugTaken = () => new ApiError(409, 'SLUG_TAKEN', 'Another tenant already uses this slug.')
const SLUG_CONFLICTS = { tenants_slug_key: slugTaken }

/**
 * The tenant row, or 404. With a lock, concurrent changes to it apply one after the other
 * (`share` lets other readers that also only need it to stay put run alongside). Callers
 * authorize first.
 */
export async function findTenant({ tx }: ServiceContext, tenantId: string, lock?: 'update' | 'share') {
  const query = tx.select(tenantColumns).from(tenants).where(eq(tenants.id, tenantId))
  const [tenant] = await (lock ? query.for(lock) : query)
  if (!tenant) throw notFound('tenant')
  return tenant
}

export const tenantDeleted = () =>
  new ApiError(409, 'TENANT_DELETED', 'This tenant is deleted; it cannot be changed.')

export async function createTenant(ctx: ServiceContext, input: { slug: string; name: string }) {
  authorizeOperator(ctx.principal)
  const [tenant] = await ctx.tx
    .insert(tenants)
    .values({ id: newId('ten'), slug: input.slug, name: input.name })
    .returning(tenantColumns)
    .catch(onUniqueViolation(SLUG_CONFLICTS))
  if (!tenant) throw new Error('insert returned no row')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'tenant.created',
    tenantId: tenant.id,
    target: { type: 'tenant', id: tenant.id },
    data: { slug: tenant.slug, name: tenant.name },
  })
  return tenant
}

/** Tenants newest first, each with its current (latest) license's status as of now and plan code. */
export async function listTenants(
  ctx: ServiceContext,
  input: { q?: string; status?: TenantStatus; limit: number; cursor?: string },
) {
  authorizeOperator(ctx.principal)
  const current = ctx.tx
    .select({
      licenseStatus: sql<LicenseStatus>`${licenses.status}`.as('license_status'),
      validFrom: licenses.validFrom,
      validUntil: licenses.validUntil,
      planCode: plans.code,
    })
    .from(licenses)
    .innerJoin(plans, eq(plans.id, licenses.planId))
    .where(eq(licenses.tenantId, tenants.id))
    .orderBy(desc(licenses.createdAt))
    .limit(1)
    .as('current_license')
  const rows = await ctx.tx
    .select({
      ...tenantColumns,
      sortKey: sortKey(tenants.createdAt),
      licenseStatus: current.licenseStatus,
      validFrom: current.validFrom,
      validUntil: current.validUntil,
      planCode: current.planCode,
    })
    .from(tenants)
    .leftJoinLateral(current, sql`true`)
    .where(
      and(
        input.q
          ? or(
              ilike(tenants.name, `%${escapeLike(input.q)}%`),
              ilike(tenants.slug, `%${escapeLike(input.q)}%`),
            )
          : undefined,
        input.status ? eq(tenants.status, input.status) : undefined,
        afterCursor(byCreatedAt(tenants, 'ten'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(tenants.createdAt), desc(tenants.id))
    .limit(input.limit + 1)
  const page = cutPage(rows, input.limit)
  return {
    data: page.data.map(({ licenseStatus, validFrom, validUntil, planCode, ...tenant }) => ({
      ...tenant,
      licenseStatus:
        licenseStatus && validFrom && validUntil
          ? effectiveStatus({ status: licenseStatus, validFrom, validUntil }, ctx.now)
          : null,
      planCode,
    })),
    nextCursor: page.nextCursor,
  }
}

/** One tenant with its entitlement (current license, plan, effective modules) and active member count. */
export async function getTenant(ctx: ServiceContext, tenantId: string) {
  authorizeOperator(ctx.principal)
  const tenant = await findTenant(ctx, tenantId)
  const entitlement = await loadEntitlement(ctx.tx, tenantId, ctx.now)
  const [members] = await ctx.tx
    .select({ active: count() })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.status, 'active')))
  return { ...tenant, ...entitlement, userCount: members?.active ?? 0 }
}

export async function updateTenant(
  ctx: ServiceContext,
  tenantId: string,
  input: { name?: string; slug?: string },
) {
  authorizeOperator(ctx.principal)
  const before = await findTenant(ctx, tenantId, 'update')
  if (before.status === 'deleted') throw tenantDeleted()
  const changes = Object.fromEntries(
    (['name', 'slug'] as const)
      .filter((field) => input[field] !== undefined && input[field] !== before[field])
      .map((field) => [field, { from: before[field], to: input[field] }]),
  )
  if (Object.keys(changes).length === 0) return before
  const [tenant] = await ctx.tx
    .update(tenants)
    .set({ name: input.name, slug: input.slug, updatedAt: ctx.now })
    .where(eq(tenants.id, tenantId))
    .returning(tenantColumns)
    .catch(onUniqueViolation(SLUG_CONFLICTS))
  // The Meta webhook endpoint resolves tenants by slug at the edge, without Postgres: move it
  // (not while an erasure is scheduled: its edge copy is withdrawn, a cancellation puts it back).
  if (changes.slug && !(await tenantErasureUnderWay(ctx, tenantId)))
    await refreshMetaEdgeCopy(ctx.tx, ctx.services, tenantId)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'tenant.updated',
    tenantId,
    target: { type: 'tenant', id: tenantId },
    data: { changes },
  })
  return tenant ?? before
}

/**
 * The tenant lifecycle. Suspension and deletion end every session of its members (API keys stop
 * working on their own: they are accepted only for active tenants); deletion is soft, erasure is
 * a separate process.
 */
const LIFECYCLE = {
  suspend: { from: ['active'], to: 'suspended', action: 'tenant.suspended', endSessions: 'tenant_suspended' },
  reactivate: { from: ['suspended'], to: 'active', action: 'tenant.reactivated', endSessions: null },
  delete: {
    from: ['active', 'suspended'],
    to: 'deleted',
    action: 'tenant.deleted',
    endSessions: 'tenant_deleted',
  },
} as const satisfies Record<
  string,
  { from: TenantStatus[]; to: TenantStatus; action: string; endSessions: string | null }
>

export type TenantLifecycleAction = keyof typeof LIFECYCLE

export async function changeTenantStatus(
  ctx: ServiceContext,
  tenantId: string,
  change: TenantLifecycleAction,
) {
  authorizeOperator(ctx.principal)
  const step = LIFECYCLE[change]
  const before = await findTenant(ctx, tenantId, 'update')
  // Suspended by a scheduled erasure: canceling it (with a reason) is the way back.
  if (await tenantErasureUnderWay(ctx, tenantId))
    throw new ApiError(
      409,
      'ERASURE_SCHEDULED',
      'An erasure of this tenant is scheduled; cancel it to change the tenant’s status.',
    )
  if (!(step.from as readonly TenantStatus[]).includes(before.status)) {
    throw new ApiError(
      409,
      'INVALID_TRANSITION',
      `A ${before.status} tenant cannot be ${step.to === 'active' ? 'reactivated' : step.to}.`,
    )
  }
  const [tenant] = await ctx.tx
    .update(tenants)
    .set({ status: step.to, updatedAt: ctx.now, ...(step.to === 'deleted' ? { deletedAt: ctx.now } : {}) })
    .where(eq(tenants.id, tenantId))
    .returning(tenantColumns)
  const ended = step.endSessions
    ? await ctx.tx
        .update(sessions)
        .set({ revokedAt: ctx.now, revokedReason: step.endSessions })
        .where(and(eq(sessions.tenantId, tenantId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id })
    : []
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: step.action,
    tenantId,
    target: { type: 'tenant', id: tenantId },
    data: { from: before.status, to: step.to, ended_sessions: ended.length },
  })
  return tenant ?? before
}
