import { and, desc, eq, gt, isNull } from 'drizzle-orm'
import { operators, sessions, tenants, users } from '../../../db/schema/index.ts'
import { hashPassword, verifyPassword } from '../../auth/password.ts'
import { authorizePerson } from '../../auth/permissions.ts'
import { ApiError, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { revokeSession, revokeUserSessions } from './sessions.ts'
import { secondFactorRequired } from './two-factor.ts'

/** `GET /auth/me`: who the caller is, with the tenant and its effective modules for members. */
export async function describeMe({ tx, principal, modules }: ServiceContext) {
  if (principal.kind === 'operator') {
    const [operator] = await tx
      .select({
        id: operators.id,
        email: operators.email,
        name: operators.name,
        timeZone: operators.timeZone,
      })
      .from(operators)
      .where(eq(operators.id, principal.id))
    return { principal: { kind: principal.kind, role: principal.role }, user: operator ?? null, tenant: null }
  }
  // One statement: the tenant, and the member for a person (an API key has none). The modules
  // were read with the session check.
  const [row] = await tx
    .select({
      tenant: {
        id: tenants.id,
        slug: tenants.slug,
        name: tenants.name,
        status: tenants.status,
        timeZone: tenants.timeZone,
      },
      user: {
        id: users.id,
        email: users.email,
        name: users.name,
        locale: users.locale,
        timeZone: users.timeZone,
      },
    })
    .from(tenants)
    .leftJoin(
      users,
      and(eq(users.id, principal.kind === 'member' ? principal.id : ''), eq(users.tenantId, tenants.id)),
    )
    .where(eq(tenants.id, principal.tenantId))
  return {
    principal: { kind: principal.kind, role: principal.role, id: principal.id },
    user: row?.user ?? null,
    tenant: row ? { ...row.tenant, modules: [...modules] } : null,
  }
}

/** `POST /auth/logout`: ends the caller's session. */
export async function logout({ tx, principal, meta }: ServiceContext): Promise<void> {
  authorizePerson(principal)
  await revokeSession(tx, principal.sessionId, 'logout')
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'auth.logout',
    tenantId: principal.tenantId,
    target: { type: 'session', id: principal.sessionId },
  })
}

/** The caller's live sessions, the current one marked. */
export async function listMySessions({ tx, principal, now }: ServiceContext) {
  authorizePerson(principal)
  const rows = await tx
    .select({
      id: sessions.id,
      ip: sessions.ip,
      userAgent: sessions.userAgent,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, principal.id),
        isNull(sessions.revokedAt),
        gt(sessions.idleExpiresAt, now),
        gt(sessions.absoluteExpiresAt, now),
      ),
    )
    .orderBy(desc(sessions.lastSeenAt))
  return rows.map((row) => ({ ...row, current: row.id === principal.sessionId }))
}

/** Ends one of the caller's own sessions; another user's id answers 404. */
export async function revokeMySession(
  { tx, principal, meta }: ServiceContext,
  sessionId: string,
): Promise<void> {
  authorizePerson(principal)
  const [owned] = await tx
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, principal.id), isNull(sessions.revokedAt)))
  if (!owned) throw notFound('session')
  await revokeSession(tx, sessionId, 'revoked_by_user')
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'auth.session_revoked',
    tenantId: principal.tenantId,
    target: { type: 'session', id: sessionId },
  })
}

/** Changes the caller's password after re-checking the current one; ends their other sessions. */
export async function changePassword(
  { tx, principal, meta, services }: ServiceContext,
  input: { currentPassword: string; newPassword: string },
): Promise<{ endedSessions: number }> {
  authorizePerson(principal)
  const table = principal.kind === 'operator' ? operators : users
  const [row] = await tx
    .select({ passwordHash: table.passwordHash })
    .from(table)
    .where(eq(table.id, principal.id))
  if (!row || !(await verifyPassword(input.currentPassword, row.passwordHash)).ok) {
    throw new ApiError(400, 'WRONG_PASSWORD', 'The current password is incorrect.', {
      fields: [{ path: 'json.current_password', message: 'incorrect' }],
    })
  }
  await tx
    .update(table)
    .set({
      passwordHash: await hashPassword(input.newPassword),
      passwordChangedAt: new Date(),
      ...(principal.kind === 'member' ? { mustChangePassword: false } : {}),
    })
    .where(eq(table.id, principal.id))
  const endedSessions = await revokeUserSessions(tx, principal.id, 'password_changed', {
    except: principal.sessionId,
  })
  // The password is the person's own now: this session may do anything again, unless a second
  // factor is required of the person and missing (the enrolment comes next).
  const person = { kind: principal.kind, id: principal.id, tenantId: principal.tenantId }
  const [factor] = await tx
    .select({ enabledAt: table.totpEnabledAt })
    .from(table)
    .where(eq(table.id, principal.id))
  const mustEnrol = !factor?.enabledAt && (await secondFactorRequired(tx, services.config, person))
  await tx
    .update(sessions)
    .set({ restriction: mustEnrol ? 'totp_enrolment' : null })
    .where(eq(sessions.id, principal.sessionId))
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'auth.password_changed',
    tenantId: principal.tenantId,
    target: { type: principal.kind, id: principal.id },
    data: { ended_sessions: endedSessions },
  })
  return { endedSessions }
}
