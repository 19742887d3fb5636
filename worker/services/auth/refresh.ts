import { eq, sql } from 'drizzle-orm'
import { operators, refreshTokens, sessions, users } from '../../../db/schema/index.ts'
import type { Principal, RequestMeta } from '../../auth/principal.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import { ApiError } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'
import { issueRefreshToken, revokeSession, type TokenPair, tokenPair } from './sessions.ts'

const INVALID = () =>
  new ApiError(401, 'INVALID_REFRESH_TOKEN', 'The refresh token is not valid; sign in again.')

/**
 * Exchanges a refresh token for a new pair. The old token stops working; presenting a token that
 * was already exchanged ends the whole session (its family), as RFC 9700 asks, because either
 * the client or a thief holds a copy.
 */
export async function refresh(
  services: Services,
  meta: RequestMeta,
  refreshToken: string,
): Promise<TokenPair> {
  const tokenHash = await sha256Hex(refreshToken)
  const outcome = await services.db.transaction(async (tx) => {
    const [row] = await tx
      .select({ tokenId: refreshTokens.id, usedAt: refreshTokens.usedAt, session: sessions })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .for('update')
    if (!row) return { kind: 'invalid' as const }
    const { session } = row
    await tx.execute(sql`select set_config('app.tenant_id', ${session.tenantId ?? ''}, true)`)
    const now = new Date()
    const live = !session.revokedAt && session.idleExpiresAt > now && session.absoluteExpiresAt > now
    if (row.usedAt) {
      if (await revokeSession(tx, session.id, 'refresh_token_reuse')) {
        await writeAudit(tx, { type: session.principal, id: session.userId }, meta, {
          action: 'auth.refresh_token_reused',
          tenantId: session.tenantId,
          target: { type: 'session', id: session.id },
        })
      }
      return { kind: 'invalid' as const }
    }
    if (!live) return { kind: 'invalid' as const }

    // The role may have changed since login: read it again, and refuse a deactivated account.
    const [account] =
      session.principal === 'operator'
        ? await tx
            .select({ role: sql<'operator'>`'operator'`, status: operators.status })
            .from(operators)
            .where(eq(operators.id, session.userId))
        : await tx
            .select({ role: users.role, status: users.status })
            .from(users)
            .where(eq(users.id, session.userId))
    if (account?.status !== 'active') {
      await revokeSession(tx, session.id, 'account_inactive')
      return { kind: 'invalid' as const }
    }
    await tx.update(refreshTokens).set({ usedAt: now }).where(eq(refreshTokens.id, row.tokenId))
    const next = await issueRefreshToken(tx, session.id)
    const principal = (
      session.principal === 'operator'
        ? { kind: 'operator', id: session.userId, sessionId: session.id, role: 'operator', tenantId: null }
        : {
            kind: 'member',
            id: session.userId,
            sessionId: session.id,
            role: account.role,
            tenantId: session.tenantId,
          }
    ) as Extract<Principal, { kind: 'operator' | 'member' }>
    return { kind: 'ok' as const, pair: await tokenPair(services.config, principal, next) }
  })
  if (outcome.kind === 'invalid') throw INVALID()
  return outcome.pair
}
