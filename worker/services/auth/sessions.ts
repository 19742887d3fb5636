import { and, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import { refreshTokens, type SessionRestriction, sessions } from '../../../db/schema/index.ts'
import { signAccessToken } from '../../auth/jwt.ts'
import type { Principal, RequestMeta } from '../../auth/principal.ts'
import { randomSecret, sha256Hex } from '../../auth/tokens.ts'
import type { Config } from '../../config.ts'
import { SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS } from '../context.ts'

/** Active sessions one user may hold; signing in once more ends the oldest. */
export const MAX_SESSIONS_PER_USER = 10

export type TokenPair = {
  access_token: string
  refresh_token: string
  token_type: 'Bearer'
  expires_in: number
  /** Login only: the session may do nothing but change the password (PASSWORD_CHANGE_REQUIRED). */
  password_change_required?: boolean
  /** Login only: the session may do nothing but enrol a second factor (TOTP_ENROLMENT_REQUIRED). */
  totp_enrolment_required?: boolean
}

type SessionPrincipal = Extract<Principal, { kind: 'operator' | 'member' }>

export const REFRESH_PREFIX = 'rt_'

export async function issueRefreshToken(tx: Tx, sessionId: string): Promise<string> {
  const token = `${REFRESH_PREFIX}${randomSecret(32)}`
  await tx.insert(refreshTokens).values({ sessionId, tokenHash: await sha256Hex(token) })
  return token
}

export async function tokenPair(
  config: Config,
  principal: SessionPrincipal,
  refreshToken: string,
): Promise<TokenPair> {
  const { token, expiresIn } = await signAccessToken(
    { sub: principal.id, tenant_id: principal.tenantId, role: principal.role, sid: principal.sessionId },
    config.JWT_SIGNING_KEYS,
  )
  return { access_token: token, refresh_token: refreshToken, token_type: 'Bearer', expires_in: expiresIn }
}

/** Opens a server-side session and its first refresh token; ends sessions beyond the limit. */
export async function openSession(
  tx: Tx,
  input: {
    principal: 'operator' | 'member'
    userId: string
    tenantId: string | null
    meta: RequestMeta
    now: Date
    restriction?: SessionRestriction | null
  },
): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = newId('ses')
  await tx.insert(sessions).values({
    id: sessionId,
    principal: input.principal,
    userId: input.userId,
    tenantId: input.tenantId,
    ip: input.meta.ip,
    userAgent: input.meta.userAgent?.slice(0, 400) ?? null,
    createdAt: input.now,
    lastSeenAt: input.now,
    idleExpiresAt: new Date(input.now.getTime() + SESSION_IDLE_SECONDS * 1000),
    absoluteExpiresAt: new Date(input.now.getTime() + SESSION_ABSOLUTE_SECONDS * 1000),
    restriction: input.restriction ?? null,
  })
  const surplus = tx
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, input.userId),
        isNull(sessions.revokedAt),
        gt(sessions.absoluteExpiresAt, input.now),
      ),
    )
    .orderBy(desc(sessions.createdAt))
    .offset(MAX_SESSIONS_PER_USER)
  await tx
    .update(sessions)
    .set({ revokedAt: input.now, revokedReason: 'session_limit' })
    .where(inArray(sessions.id, surplus))
  return { sessionId, refreshToken: await issueRefreshToken(tx, sessionId) }
}

/** Ends sessions of a user (all, or all but one); returns how many were live. */
export async function revokeUserSessions(
  tx: Tx,
  userId: string,
  reason: string,
  options: { except?: string } = {},
): Promise<number> {
  const ended = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        options.except ? sql`${sessions.id} <> ${options.except}` : undefined,
      ),
    )
    .returning({ id: sessions.id })
  return ended.length
}

export async function revokeSession(tx: Tx, sessionId: string, reason: string): Promise<boolean> {
  const ended = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id })
  return ended.length > 0
}
