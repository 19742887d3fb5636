import { and, count, eq, inArray, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { type MemberRole, users } from '../../../db/schema/index.ts'
import { can } from '../../auth/permissions.ts'
import type { TenantPrincipal } from '../../auth/principal.ts'
import { ApiError } from '../../errors.ts'
import { loadEntitlement } from '../licensing.ts'

/** How far each role reaches; nobody grants a role above their own. */
// An agent reaches only the inbox: below an analyst, beside a viewer.
export const ROLE_RANK: Record<MemberRole, number> = { owner: 3, admin: 2, analyst: 1, viewer: 0, agent: 0 }

export const FORBIDDEN_ABOVE_OWN_ROLE = () =>
  new ApiError(403, 'FORBIDDEN', 'You cannot grant a role above your own.')

/**
 * Serializes changes to one tenant's team until the transaction ends, so two concurrent
 * requests cannot both pass the users limit or both remove "the other" last owner. An advisory
 * lock, not a row lock on `tenants`, so operator edits of the tenant row are not blocked.
 *
 * Under the lock the caller's own row is read again and its role returned: a request whose
 * session was confirmed just before a concurrent deactivation or demotion of its caller must
 * not act with what the caller no longer is.
 */
export async function lockTeam(tx: Tx, principal: TenantPrincipal): Promise<MemberRole> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`team:${principal.tenantId}`}, 0))`)
  if (principal.kind !== 'member') return principal.role
  const [actor] = await tx
    .select({ role: users.role, status: users.status })
    .from(users)
    .where(and(eq(users.id, principal.id), eq(users.tenantId, principal.tenantId)))
  if (actor?.status !== 'active') {
    throw new ApiError(401, 'SESSION_ENDED', 'Your session has ended; sign in again.')
  }
  if (!can({ ...principal, role: actor.role }, 'users.manage')) {
    throw new ApiError(403, 'FORBIDDEN', 'Your role does not allow this action.')
  }
  return actor.role
}

export async function countActive(tx: Tx, tenantId: string, role?: MemberRole): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(users)
    .where(
      and(eq(users.tenantId, tenantId), eq(users.status, 'active'), role ? eq(users.role, role) : undefined),
    )
  return row?.n ?? 0
}

/** The seats taken: active members and pending invitations (an accepted invitation needs no new seat). */
export async function countSeats(tx: Tx, tenantId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), inArray(users.status, ['active', 'invited'])))
  return row?.n ?? 0
}

/**
 * Throws 403 USERS_LIMIT_REACHED unless one more member (active or invited) fits the plan of the tenant's
 * current license. The plan's limit applies whatever the license status: a lapsed license
 * removes modules, not the team. A tenant without any license has no room.
 */
export async function requireSeat(tx: Tx, tenantId: string, now: Date): Promise<void> {
  const { plan } = await loadEntitlement(tx, tenantId, now)
  const limit = plan?.limits.users ?? 0
  if ((await countSeats(tx, tenantId)) >= limit) {
    throw new ApiError(
      403,
      'USERS_LIMIT_REACHED',
      `Your plan allows ${limit} active users; deactivate someone or upgrade the plan.`,
    )
  }
}

/**
 * Only an owner may touch an owner (change, deactivate, reactivate) or grant the owner role;
 * an admin manages admins, analysts and viewers.
 */
export function requireReach(actorRole: MemberRole, target: { role: MemberRole }, nextRole?: MemberRole) {
  if (actorRole !== 'owner' && (target.role === 'owner' || nextRole === 'owner')) {
    throw new ApiError(403, 'FORBIDDEN', 'Only an owner can manage owners or grant the owner role.')
  }
}

/**
 * Throws 409 LAST_OWNER when taking `target` out of the active owners would leave the tenant
 * with none. Call under `lockTeam`.
 */
export async function keepAnOwner(tx: Tx, tenantId: string, target: { role: MemberRole; status: string }) {
  if (target.role !== 'owner' || target.status !== 'active') return
  if ((await countActive(tx, tenantId, 'owner')) <= 1) {
    throw new ApiError(
      409,
      'LAST_OWNER',
      'The tenant needs at least one active owner; appoint another first.',
    )
  }
}
