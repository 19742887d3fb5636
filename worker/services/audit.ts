import type { Tx } from '../../db/client.ts'
import { newId } from '../../db/ids.ts'
import { auditLog } from '../../db/schema/index.ts'
import type { Principal, RequestMeta } from '../auth/principal.ts'

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
