import { and, asc, eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import { type MemberRole, operators, tenants, type UserStatus, users } from '../../../db/schema/index.ts'
import { hashPassword } from '../../auth/password.ts'
import { authorize, roleLosesPermissions } from '../../auth/permissions.ts'
import type { TenantPrincipal } from '../../auth/principal.ts'
import { ApiError, notFound } from '../../errors.ts'
import { invitationLink, NO_PASSWORD } from '../accounts/invitations.ts'
import { invitationMail, mailLocale } from '../accounts/mail.ts'
import { issueAccountToken, TOKEN_LIFETIME_SECONDS } from '../accounts/tokens.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { UserLocale } from '../auth/preferences.ts'
import { revokeUserSessions } from '../auth/sessions.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import { enqueueMessage } from '../messaging/outbox.ts'
import { keepAnOwner, lockTeam, requireReach, requireSeat } from './team.ts'

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
const notInvited = () =>
  new ApiError(409, 'NOT_INVITED', 'This member has no pending invitation (they already joined).')
const notJoined = () =>
  new ApiError(
    409,
    'INVALID_TRANSITION',
    'This member has not accepted the invitation yet: resend or revoke the invitation instead.',
  )

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
  input: { limit: number; cursor?: string; status?: UserStatus },
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

/**
 * Inserts a member of the caller's tenant, within the plan's users limit (pending invitations take
 * a seat). Members' e-mails are unique by index (across tenants, RLS notwithstanding); operators'
 * are in another table, so that half of "unique across all accounts" is checked here.
 */
async function insertMember(
  ctx: ServiceContext<TenantPrincipal>,
  input: { email: string; name: string; role: MemberRole },
  account: { status: 'active' | 'invited'; passwordHash: string; mustChangePassword: boolean },
) {
  const { tx, principal } = ctx
  requireReach(await lockTeam(tx, principal), { role: input.role }, input.role)
  await requireSeat(tx, principal.tenantId, ctx.now)
  const [operator] = await tx
    .select({ id: operators.id })
    .from(operators)
    .where(sql`lower(${operators.email}) = ${input.email}`)
  if (operator) throw EMAIL_TAKEN()
  const [created] = await tx
    .insert(users)
    .values({ id: newId('usr'), tenantId: principal.tenantId, ...input, ...account })
    .returning(member)
    .catch(onUniqueViolation({ users_email_key: EMAIL_TAKEN }))
  if (!created) throw new Error('insert returned no row')
  return created
}

/**
 * Adds a member with a password the caller typed (the API's `password` field, kept for existing
 * clients): since someone else knows it, the member must change it at the first sign-in.
 * Invitations by e-mail (`inviteUser`) are the default way.
 */
export async function createUser(
  ctx: ServiceContext,
  input: { email: string; name: string; role: MemberRole; password: string },
) {
  const { tx, principal, meta } = ctx
  authorize(principal, 'users.manage')
  // Hash before taking the team lock: the slow part should not hold other requests back.
  const passwordHash = await hashPassword(input.password)
  const created = await insertMember({ ...ctx, principal }, input, {
    status: 'active',
    passwordHash,
    mustChangePassword: true,
  })
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.created',
    tenantId: principal.tenantId,
    target: { type: 'member', id: created.id },
    data: { role: input.role },
  })
  return created
}

/**
 * Invites someone by e-mail: a member in status `invited` (no usable password, a seat taken) and
 * a single-use link valid for 7 days, sent through the outbox in `locale`. Accepting it
 * (`acceptInvitation`) sets the password and activates the member.
 */
export async function inviteUser(
  ctx: ServiceContext,
  input: { email: string; name: string; role: MemberRole; origin: string; locale?: UserLocale },
) {
  const { tx, principal, meta } = ctx
  authorize(principal, 'users.manage')
  const created = await insertMember(
    { ...ctx, principal },
    { email: input.email, name: input.name, role: input.role },
    { status: 'invited', passwordHash: NO_PASSWORD, mustChangePassword: false },
  )
  const invitation = await sendInvitation(ctx, created, input)
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.invited',
    tenantId: principal.tenantId,
    target: { type: 'member', id: created.id },
    data: { role: input.role, expires_at: invitation.expiresAt.toISOString() },
  })
  return { ...created, invitationExpiresAt: invitation.expiresAt }
}

/** A new link for a pending invitation (the older one stops working), sent again. */
export async function resendInvitation(
  ctx: ServiceContext,
  id: string,
  input: { origin: string; locale?: UserLocale },
) {
  const { tx, principal, meta } = ctx
  authorize(principal, 'users.manage')
  const actorRole = await lockTeam(tx, principal)
  const target = await findMember(tx, principal.tenantId, id)
  requireReach(actorRole, target)
  if (target.status !== 'invited') throw notInvited()
  const invitation = await sendInvitation(ctx, target, input)
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.invitation_resent',
    tenantId: principal.tenantId,
    target: { type: 'member', id },
    data: { expires_at: invitation.expiresAt.toISOString() },
  })
  return { ...target, invitationExpiresAt: invitation.expiresAt }
}

/** Withdraws a pending invitation: the invited member (who never signed in) and its link are gone. */
export async function revokeInvitation(ctx: ServiceContext, id: string): Promise<void> {
  const { tx, principal, meta } = ctx
  authorize(principal, 'users.manage')
  const actorRole = await lockTeam(tx, principal)
  const target = await findMember(tx, principal.tenantId, id)
  requireReach(actorRole, target)
  if (target.status !== 'invited') throw notInvited()
  // The tokens go with the row (ON DELETE CASCADE); audit rows keep the id as text.
  await tx
    .delete(users)
    .where(and(eq(users.id, id), eq(users.tenantId, principal.tenantId), eq(users.status, 'invited')))
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.invitation_revoked',
    tenantId: principal.tenantId,
    target: { type: 'member', id },
    data: { role: target.role },
  })
}

/** Issues the invitation's link and queues its e-mail, in the verb's transaction. */
async function sendInvitation(
  ctx: ServiceContext,
  invitee: { id: string; email: string; name: string },
  input: { origin: string; locale?: UserLocale },
) {
  const { tx, principal } = ctx
  const tenantId = principal.tenantId as string
  const issued = await issueAccountToken(tx, {
    tenantId,
    userId: invitee.id,
    purpose: 'invitation',
    requestKey: `invitation:${ctx.meta.requestId}:${invitee.id}`,
    createdBy: principal.id,
    now: ctx.now,
  })
  if (!issued) throw new Error('one request issued the same invitation twice')
  const [context] = await tx
    .select({ tenant: tenants.name, inviter: users.name })
    .from(tenants)
    .leftJoin(users, and(eq(users.id, principal.id), eq(users.tenantId, tenants.id)))
    .where(eq(tenants.id, tenantId))
  await enqueueMessage(ctx, {
    channel: 'email',
    purpose: 'auth.invitation',
    idempotencyKey: `invitation:${issued.id}`,
    to: invitee.email,
    content: invitationMail(mailLocale(input.locale), {
      name: invitee.name,
      tenant: context?.tenant ?? '',
      // An API key has no name of its own: the e-mail names the team instead.
      inviter: context?.inviter ?? context?.tenant ?? '',
      link: invitationLink(input.origin, issued.token),
      days: TOKEN_LIFETIME_SECONDS.invitation / 86_400,
    }),
  })
  return issued
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
    // Any permission taken away ends the member's sessions (their tokens carry the old role).
    const lowered = roleLosesPermissions(target.role, roleChange)
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
  if (target.status === 'invited') throw notJoined()
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
  if (target.status === 'invited') throw notJoined()
  await requireSeat(tx, principal.tenantId, ctx.now)
  const updated = await setMember(ctx, principal.tenantId, id, { status: 'active' })
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.reactivated',
    tenantId: principal.tenantId,
    target: { type: 'member', id },
  })
  return updated
}
