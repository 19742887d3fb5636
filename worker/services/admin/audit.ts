import { and, desc, eq, gte, like, lt } from 'drizzle-orm'
import { auditLog } from '../../../db/schema/index.ts'
import { authorizeOperator } from '../../auth/permissions.ts'
import { escapeLike } from '../../http.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, cutPage, sortKey } from '../keyset.ts'

/** The audit log of every tenant and of the central itself, newest first. */
export async function listAudit(
  ctx: ServiceContext,
  input: {
    tenantId?: string
    action?: string
    actorId?: string
    from?: Date
    to?: Date
    limit: number
    cursor?: string
  },
) {
  authorizeOperator(ctx.principal)
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
        input.tenantId ? eq(auditLog.tenantId, input.tenantId) : undefined,
        input.action ? like(auditLog.action, `${escapeLike(input.action)}%`) : undefined,
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
