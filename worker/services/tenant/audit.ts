import { and, desc, eq, gte, lt, sql } from 'drizzle-orm'
import { auditLog } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, cutPage, sortKey } from '../keyset.ts'

export type AuditQuery = {
  limit: number
  cursor?: string
  /** Actions starting with this text: `user.` lists every user action. */
  action?: string
  actorId?: string
  /** Inclusive lower bound of `created_at`. */
  from?: Date
  /** Exclusive upper bound of `created_at`. */
  to?: Date
}

/** The caller's own tenant's audit trail, newest first, one keyset page at a time. */
export async function listAudit({ tx, principal }: ServiceContext, input: AuditQuery) {
  authorize(principal, 'audit.read')
  const rows = await tx
    .select({
      id: auditLog.id,
      createdAt: auditLog.createdAt,
      action: auditLog.action,
      actorType: auditLog.actorType,
      actorId: auditLog.actorId,
      targetType: auditLog.targetType,
      targetId: auditLog.targetId,
      ip: auditLog.ip,
      userAgent: auditLog.userAgent,
      requestId: auditLog.requestId,
      data: auditLog.data,
      sortKey: sortKey(auditLog.createdAt),
    })
    .from(auditLog)
    .where(
      and(
        // Row-level security shows only this tenant's rows already; the filter is the first lock.
        eq(auditLog.tenantId, principal.tenantId),
        input.action ? sql`starts_with(${auditLog.action}, ${input.action})` : undefined,
        input.actorId ? eq(auditLog.actorId, input.actorId) : undefined,
        input.from ? gte(auditLog.createdAt, input.from) : undefined,
        input.to ? lt(auditLog.createdAt, input.to) : undefined,
        afterCursor(auditLog, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(input.limit + 1)
  return cutPage(rows, input.limit)
}
