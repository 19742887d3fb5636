import { and, asc, eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import { type MemberRole, operators, users } from '../../../db/schema/index.ts'
import { hashPassword } from '../../auth/password.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import { revokeUserSessions } from '../auth/sessions.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import { keepAnOwner, lockTeam, ROLE_RANK, requireReach, requireSeat } from './team.ts'

/** What the API shows of a member: never the password hash. */
const member = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  status: users.status,
  lastLoginAt: users.lastLoginAt,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
}

const EMAIL_TAKEN = () => new ApiError(409, 'EMAIL_TAKEN', 'This e-mail already belongs to an account.')

/** The member `id` of the tenant, or 404: another tenant's id reads exactly like an unknown one. */
async function findMember(tx: Tx, tenantId: string, id: string) {
  const [row] = await tx
    .select(member)
    .from(users)
    .where(and(eq(users.id, id), eq(users.tenantId, tenantId)))
  if (!row) throw notFound('user')
  return row
}

async function setMember(
  { tx, now }: ServiceContext,
  tenantId: string,
  id: string,
  patch: { role?: MemberRole; name?: string; status?: 'active' | 'deactivated' },
) {
  const [row] = await tx
    .update(users)
    .set({ ...patch, updatedAt: now })
    .where(and(eq(users.id, id), eq(users.tenantId, tenantId)))
    .returning(member)
  if (!row) throw notFound('user')
  return row
}

/** The team, oldest first, one keyset page at a time. */
export async function listUsers(
  { tx, principal }: ServiceContext,
  input: { limit: number; cursor?: string; status?: 'active' | 'deactivated' },
) {
  authorize(principal, 'users.read')
  const rows = await tx
    .select({ ...member, sortKey: sortKey(users.createdAt) })
    .from(users)
    .where(
      and(
        eq(users.tenantId, principal.tenantId),
        input.status ? eq(users.status, input.status) : undefined,
        afterCursor(byCreatedAt(users, 'usr'), input.cursor, 'asc'),
      ),
    )
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(input.limit + 1)
  return cutPage(rows, input.limit)
}

/** Adds a member to the caller's tenant, within the plan's users limit. */
export async function createUser(
  ctx: ServiceContext,
  input: { email: string; name: string; role: MemberRole; password: string },
) {
  const { tx, principal, meta } = ctx
  authorize(principal, 'users.manage')
  // Hash before taking the team lock: the slow part should not hold other requests back.
  const passwordHash = await hashPassword(input.password)
  requireReach(await lockTeam(tx, principal), { role: input.role }, input.role)
  await requireSeat(tx, principal.tenantId, ctx.now)
  // Members' e-mails are unique by index (across tenants, RLS notwithstanding); operators'
  // are in another table, so that half of "unique across all accounts" is checked here.
  const [operator] = await tx
    .select({ id: operators.id })
    .from(operators)
    .where(sql`lower(${operators.email}) = ${input.email}`)
  if (operator) throw EMAIL_TAKEN()
  const id = newId('usr')
  const [created] = await tx
    .insert(users)
    .values({
      id,
      tenantId: principal.tenantId,
      email: input.email,
      name: input.name,
      role: input.role,
      passwordHash,
    })
    .returning(member)
    .catch(onUniqueViolation({ users_email_key: EMAIL_TAKEN }))
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.created',
    tenantId: principal.tenantId,
    target: { type: 'member', id },
    data: { role: input.role },
  })
  return created as NonNullable<typeof created>
}

/**
 * Renames a member and/or changes their role. Lowering a role ends the member's sessions, so
 * the narrower role applies now rather than when their access token expires.
 */
export async function updateUser(
  ctx: ServiceContext,
  id: string,
  input: { role?: MemberRole; name?: string },
) {
  const { tx, principal, meta } = ctx
  authorize(principal, 'users.manage')
  const actorRole = await lockTeam(tx, principal)
  const target = await findMember(tx, principal.tenantId, id)
  requireReach(actorRole, target, input.role)
  const roleChange = input.role !== undefined && input.role !== target.role ? input.role : null
  const nameChange = input.name !== undefined && input.name !== target.name ? input.name : null
  if (!roleChange && nameChange === null) return target
  if (roleChange) await keepAnOwner(tx, principal.tenantId, target)
  const updated = await setMember(ctx, principal.tenantId, id, {
    ...(roleChange ? { role: roleChange } : {}),
    ...(nameChange !== null ? { name: nameChange } : {}),
  })
  if (roleChange) {
    const lowered = ROLE_RANK[roleChange] < ROLE_RANK[target.role]
    const endedSessions = lowered ? await revokeUserSessions(tx, id, 'role_lowered') : 0
    await writeAudit(tx, actorOf(principal), meta, {
      action: 'user.role_changed',
      tenantId: principal.tenantId,
      target: { type: 'member', id },
      data: { from: target.role, to: roleChange, ended_sessions: endedSessions },
    })
  }
  if (nameChange !== null) {
    await writeAudit(tx, actorOf(principal), meta, {
      action: 'user.updated',
      tenantId: principal.tenantId,
      target: { type: 'member', id },
      data: { fields: ['name'] },
    })
  }
  return updated
}

/** Deactivates a member and ends their sessions; deactivating a deactivated member changes nothing. */
export async function deactivateUser(ctx: ServiceContext, id: string) {
  const { tx, principal, meta } = ctx
  authorize(principal, 'users.manage')
  const actorRole = await lockTeam(tx, principal)
  const target = await findMember(tx, principal.tenantId, id)
  requireReach(actorRole, target)
  if (target.status === 'deactivated') return target
  await keepAnOwner(tx, principal.tenantId, target)
  const updated = await setMember(ctx, principal.tenantId, id, { status: 'deactivated' })
  const endedSessions = await revokeUserSessions(tx, id, 'user_deactivated')
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.deactivated',
    tenantId: principal.tenantId,
    target: { type: 'member', id },
    data: { ended_sessions: endedSessions },
  })
  return updated
}

/** Reactivates a member if the plan's users limit has room; an active member is left as is. */
export async function reactivateUser(ctx: ServiceContext, id: string) {
  const { tx, principal, meta } = ctx
  authorize(principal, 'users.manage')
  const actorRole = await lockTeam(tx, principal)
  const target = await findMember(tx, principal.tenantId, id)
  requireReach(actorRole, target)
  if (target.status === 'active') return target
  await requireSeat(tx, principal.tenantId, ctx.now)
  const updated = await setMember(ctx, principal.tenantId, id, { status: 'active' })
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.reactivated',
    tenantId: principal.tenantId,
    target: { type: 'member', id },
  })
  return updated
}
