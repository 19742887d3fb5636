import { and, desc, eq, sql } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import { type MemberRole, operators, users } from '../../../db/schema/index.ts'
import { hashPassword } from '../../auth/password.ts'
import { authorizeOperator } from '../../auth/permissions.ts'
import { randomSecret } from '../../auth/tokens.ts'
import { ApiError, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import { revokeUserSessions } from '../auth/sessions.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import { loadEntitlement } from '../licensing.ts'
import { countSeats } from '../tenant/team.ts'
import { findTenant, tenantDeleted } from './tenants.ts'

/** What the API shows of a member: never the password hash. */
const userColumns = {
  id: users.id,
  tenantId: users.tenantId,
  email: users.email,
  name: users.name,
  role: users.role,
  status: users.status,
  lastLoginAt: users.lastLoginAt,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
}

/**
 * Serializes changes to one tenant's team for the rest of the transaction, so two additions
 * cannot both take the last seat. The same advisory lock key as the tenant-side team service
 * (`lockTeam` in services/tenant/team.ts), so operators and tenant admins queue behind each other.
 */
async function lockTeam({ tx }: ServiceContext, tenantId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`team:${tenantId}`}, 0))`)
}

const emailTaken = () => new ApiError(409, 'EMAIL_TAKEN', 'This e-mail already belongs to an account.')

/**
 * Adds a member to a tenant. E-mails are unique across members (a unique index) and operators
 * (checked here), so login stays unambiguous; active members stay within the users limit of the
 * plan of the tenant's current license, whatever its status (no license, no seats).
 */
export async function createTenantUser(
  ctx: ServiceContext,
  tenantId: string,
  input: { email: string; name: string; role: MemberRole; password: string },
) {
  authorizeOperator(ctx.principal)
  // Hash before taking any lock: the slow part should not hold other requests back.
  const passwordHash = await hashPassword(input.password)
  // Shared with a concurrent deletion, which would otherwise miss the new member.
  const tenant = await findTenant(ctx, tenantId, 'share')
  if (tenant.status === 'deleted') throw tenantDeleted()
  await lockTeam(ctx, tenantId)
  const [operator] = await ctx.tx
    .select({ id: operators.id })
    .from(operators)
    .where(sql`lower(${operators.email}) = lower(${input.email})`)
  if (operator) throw emailTaken()

  const { plan } = await loadEntitlement(ctx.tx, tenantId, ctx.now)
  const limit = plan?.limits.users ?? 0
  if ((await countSeats(ctx.tx, tenantId)) >= limit) {
    throw new ApiError(
      403,
      'USERS_LIMIT_REACHED',
      plan
        ? `The ${plan.code} plan allows ${limit} active users; deactivate one or change the plan.`
        : 'This tenant has no license, so no seats; create a license first.',
    )
  }

  const [user] = await ctx.tx
    .insert(users)
    .values({
      id: newId('usr'),
      tenantId,
      email: input.email,
      name: input.name,
      role: input.role,
      passwordHash,
      // The operator typed this password: the member's first sign-in must replace it.
      mustChangePassword: true,
    })
    .returning(userColumns)
    .catch(onUniqueViolation({ users_email_key: emailTaken }))
  if (!user) throw new Error('insert returned no row')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'user.created',
    tenantId,
    target: { type: 'member', id: user.id },
    data: { role: user.role },
  })
  return user
}

export async function listTenantUsers(
  ctx: ServiceContext,
  tenantId: string,
  input: { status?: (typeof users.$inferSelect)['status']; limit: number; cursor?: string },
) {
  authorizeOperator(ctx.principal)
  await findTenant(ctx, tenantId)
  const rows = await ctx.tx
    .select({ ...userColumns, sortKey: sortKey(users.createdAt) })
    .from(users)
    .where(
      and(
        eq(users.tenantId, tenantId),
        input.status ? eq(users.status, input.status) : undefined,
        afterCursor(byCreatedAt(users, 'usr'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(input.limit + 1)
  return cutPage(rows, input.limit)
}

async function lockUser({ tx }: ServiceContext, userId: string) {
  const [user] = await tx.select(userColumns).from(users).where(eq(users.id, userId)).for('update')
  if (!user) throw notFound('user')
  return user
}

/** Deactivates a member and ends all their sessions at once. */
export async function deactivateUser(ctx: ServiceContext, userId: string) {
  authorizeOperator(ctx.principal)
  const before = await lockUser(ctx, userId)
  if (before.status !== 'active') {
    throw new ApiError(
      409,
      'INVALID_TRANSITION',
      'This user is not active (deactivated, or invited and not yet in).',
    )
  }
  const [user] = await ctx.tx
    .update(users)
    .set({ status: 'deactivated', updatedAt: ctx.now })
    .where(eq(users.id, userId))
    .returning(userColumns)
  const endedSessions = await revokeUserSessions(ctx.tx, userId, 'user_deactivated')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'user.deactivated',
    tenantId: before.tenantId,
    target: { type: 'member', id: userId },
    data: { ended_sessions: endedSessions },
  })
  return user ?? before
}

/**
 * Replaces a member's password with a generated one (144 random bits) and ends their sessions;
 * the member must change it at their next sign-in.
 * The password is returned to the caller once and exists nowhere else: only its hash is stored,
 * and the audit row records that a reset happened, never the value.
 */
export async function resetUserPassword(ctx: ServiceContext, userId: string) {
  authorizeOperator(ctx.principal)
  const user = await lockUser(ctx, userId)
  if (user.status !== 'active') {
    throw new ApiError(409, 'USER_DEACTIVATED', 'This user is deactivated; their password cannot be reset.')
  }
  const temporaryPassword = randomSecret(18)
  await ctx.tx
    .update(users)
    .set({
      passwordHash: await hashPassword(temporaryPassword),
      passwordChangedAt: ctx.now,
      // The operator knows this password: the member's next sign-in must replace it.
      mustChangePassword: true,
      updatedAt: ctx.now,
    })
    .where(eq(users.id, userId))
  const endedSessions = await revokeUserSessions(ctx.tx, userId, 'password_reset')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'user.password_reset',
    tenantId: user.tenantId,
    target: { type: 'member', id: userId },
    data: { ended_sessions: endedSessions },
  })
  return { userId, temporaryPassword, endedSessions }
}
