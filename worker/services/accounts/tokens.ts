import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { type AccountTokenPurpose, accountTokens } from '../../../db/schema/index.ts'
import { randomSecret, sha256Hex } from '../../auth/tokens.ts'
import { ApiError } from '../../errors.ts'

/** How long a link works: a reset is short (it grants an account), an invitation waits a week. */
export const TOKEN_LIFETIME_SECONDS: Record<AccountTokenPurpose, number> = {
  password_reset: 30 * 60,
  invitation: 7 * 24 * 60 * 60,
}

/** Prefixes say what a token is, and let the log redaction recognise them (worker/log.ts). */
const PREFIX: Record<AccountTokenPurpose, string> = { password_reset: 'pwr_', invitation: 'inv_' }

/** The shape of a token of either purpose: its prefix and 256 random bits. */
export const ACCOUNT_TOKEN_PATTERN = /^(pwr|inv)_[A-Za-z0-9_-]{43}$/

export const invalidAccountToken = () =>
  new ApiError(
    400,
    'INVALID_ACCOUNT_TOKEN',
    'This link is not valid: it was used, replaced by a newer one or has expired. Ask for a new one.',
  )

/**
 * Issues a token for `userId` in the tenant set on `tx`, revoking the person's older live tokens of
 * the same purpose (a new link supersedes the old). Null when `requestKey` already issued one: a
 * redelivered job, whose first delivery's link stands.
 */
export async function issueAccountToken(
  tx: Tx,
  input: {
    tenantId: string
    userId: string
    purpose: AccountTokenPurpose
    requestKey: string
    createdBy: string | null
    now: Date
  },
): Promise<{ id: number; token: string; expiresAt: Date } | null> {
  const token = `${PREFIX[input.purpose]}${randomSecret(32)}`
  const expiresAt = new Date(input.now.getTime() + TOKEN_LIFETIME_SECONDS[input.purpose] * 1000)
  const [issued] = await tx
    .insert(accountTokens)
    .values({
      tenantId: input.tenantId,
      userId: input.userId,
      purpose: input.purpose,
      tokenHash: await sha256Hex(token),
      requestKey: input.requestKey,
      createdBy: input.createdBy,
      createdAt: input.now,
      expiresAt,
    })
    .onConflictDoNothing({ target: [accountTokens.tenantId, accountTokens.requestKey] })
    .returning({ id: accountTokens.id })
  if (!issued) return null
  await tx
    .update(accountTokens)
    .set({ revokedAt: input.now })
    .where(
      and(
        eq(accountTokens.tenantId, input.tenantId),
        eq(accountTokens.userId, input.userId),
        eq(accountTokens.purpose, input.purpose),
        isNull(accountTokens.usedAt),
        isNull(accountTokens.revokedAt),
        sql`${accountTokens.id} <> ${issued.id}`,
      ),
    )
  return { id: issued.id, token, expiresAt }
}

/**
 * Uses a token once, before the tenant is known: finds it by its hash (the SECURITY DEFINER
 * lookup), sets its tenant for row-level security, then claims it with a conditional update, so of
 * two concurrent uses one wins and the other finds it used. Unknown, expired, used, revoked or of
 * another purpose: the same 400 INVALID_ACCOUNT_TOKEN.
 */
export async function consumeAccountToken(
  tx: Tx,
  token: string,
  purpose: AccountTokenPurpose,
  now: Date,
): Promise<{ tenantId: string; userId: string }> {
  if (!ACCOUNT_TOKEN_PATTERN.test(token) || !token.startsWith(PREFIX[purpose])) throw invalidAccountToken()
  const found = await tx.execute<{ id: string; tenant_id: string; user_id: string; purpose: string }>(
    sql`select id, tenant_id, user_id, purpose, set_config('app.tenant_id', tenant_id, true)
        from auth_find_account_token(${await sha256Hex(token)})`,
  )
  const row = found.rows[0]
  if (!row || row.purpose !== purpose) throw invalidAccountToken()
  const [claimed] = await tx
    .update(accountTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(accountTokens.id, Number(row.id)),
        eq(accountTokens.tenantId, row.tenant_id),
        isNull(accountTokens.usedAt),
        isNull(accountTokens.revokedAt),
        sql`${accountTokens.expiresAt} > ${now}`,
      ),
    )
    .returning({ userId: accountTokens.userId })
  if (!claimed) throw invalidAccountToken()
  return { tenantId: row.tenant_id, userId: claimed.userId }
}
