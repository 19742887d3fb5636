import { and, desc, eq, gte, lt, sql } from 'drizzle-orm'
import type { Tx } from '../../db/client.ts'
import { newId } from '../../db/ids.ts'
import { auditLog } from '../../db/schema/index.ts'
import { authorize, authorizeOperator } from '../auth/permissions.ts'
import type { Principal, RequestMeta } from '../auth/principal.ts'
import type { ServiceContext } from './context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from './keyset.ts'

export type AuditEntry = {
  action: string
  tenantId?: string | null
  target?: { type: string; id: string }
  data?: Record<string, unknown>
}

type Actor = {
  type: 'operator' | 'member' | 'api_key' | 'system' | 'billing' | 'anonymous'
  id: string | null
}

export function actorOf(principal: Principal | null): Actor {
  if (!principal) return { type: 'anonymous', id: null }
  return { type: principal.kind, id: principal.id }
}

/**
 * Writes one audit row inside the caller's transaction, so the row exists exactly when the
 * change does. `data` must never carry secrets: ids, names and before/after values only.
 */
export async function writeAudit(
  tx: Tx,
  actor: Actor,
  meta: RequestMeta | null,
  entry: AuditEntry,
): Promise<void> {
  await tx.insert(auditLog).values({
    id: newId('aud'),
    tenantId: entry.tenantId ?? null,
    actorType: actor.type,
    actorId: actor.id,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    ip: meta?.ip ?? null,
    userAgent: meta?.userAgent?.slice(0, 400) ?? null,
    requestId: meta?.requestId ?? null,
    data: entry.data ?? null,
  })
}

/** The filters of an audit listing; the API checks them once for both listings. */
export type AuditQuery = {
  limit: number
  cursor?: string
  /** Actions starting with this text, taken literally (`%` and `_` are not wildcards): `user.` lists every user action. */
  action?: string
  actorId?: string
  /** Inclusive lower bound of `created_at`. */
  from?: Date
  /** Exclusive upper bound of `created_at`. */
  to?: Date
}

/**
 * Whose rows a listing shows, decided by who asks: `platform` is for operators (every tenant's
 * rows and the central's own, which have no tenant; `tenantId` narrows to one tenant), `tenant`
 * for a tenant's owners, admins and admin API keys (their own tenant's rows, the tenant taken from
 * the principal).
 */
export type AuditScope = { scope: 'platform'; tenantId?: string } | { scope: 'tenant' }

/** The audit log newest first, one keyset page at a time: the one listing behind both audit routes. */
export async function listAudit(ctx: ServiceContext, input: AuditQuery & AuditScope) {
  let tenantId: string | undefined
  if (input.scope === 'platform') {
    authorizeOperator(ctx.principal)
    tenantId = input.tenantId
  } else {
    authorize(ctx.principal, 'audit.read')
    // Row-level security shows only this tenant's rows already; the filter is the first lock.
    tenantId = ctx.principal.tenantId
  }
  const rows = await ctx.tx
    .select({
      id: auditLog.id,
      createdAt: auditLog.createdAt,
      sortKey: sortKey(auditLog.createdAt),
      tenantId: auditLog.tenantId,
      actorType: auditLog.actorType,
      actorId: auditLog.actorId,
      action: auditLog.action,
      targetType: auditLog.targetType,
      targetId: auditLog.targetId,
      ip: auditLog.ip,
      userAgent: auditLog.userAgent,
      requestId: auditLog.requestId,
      data: auditLog.data,
    })
    .from(auditLog)
    .where(
      and(
        tenantId ? eq(auditLog.tenantId, tenantId) : undefined,
        input.action ? sql`starts_with(${auditLog.action}, ${input.action})` : undefined,
        input.actorId ? eq(auditLog.actorId, input.actorId) : undefined,
        input.from ? gte(auditLog.createdAt, input.from) : undefined,
        input.to ? lt(auditLog.createdAt, input.to) : undefined,
        afterCursor(byCreatedAt(auditLog, 'aud'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(input.limit + 1)
  return cutPage(rows, input.limit)
}
