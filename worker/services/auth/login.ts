import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import {
  loginAttempts,
  loginChallenges,
  operators,
  type SessionRestriction,
  tenants,
  users,
} from '../../../db/schema/index.ts'
import { burnPasswordTime, hashPassword, verifyPassword } from '../../auth/password.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { randomSecret, sha256Hex } from '../../auth/tokens.ts'
import { ApiError } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'
import { accountKeyOf, lockedFor, recordAttempt, tooManyAttempts } from './attempts.ts'
import { openSession, type TokenPair, tokenPair } from './sessions.ts'
import { checkSecondFactor, operatorTotpRequired } from './two-factor.ts'

/** How long the second step of a sign-in may wait for its code, and how many wrong codes it takes. */
export const CHALLENGE_SECONDS = 5 * 60
export const CHALLENGE_MAX_FAILURES = 5
const CHALLENGE_PREFIX = 'lc_'

/** What a right password answers when the account has a second factor: the code is owed next. */
export type LoginChallenge = { challenge_token: string; challenge_type: 'totp'; expires_in: number }
export const isChallenge = (answer: TokenPair | LoginChallenge): answer is LoginChallenge =>
  'challenge_token' in answer

const INVALID = () => new ApiError(401, 'INVALID_CREDENTIALS', 'E-mail or password is incorrect.')

type Account =
  | {
      kind: 'operator'
      id: string
      tenantId: null
      role: 'operator'
      status: string
      passwordHash: string
      totpEnabledAt: Date | null
    }
  | {
      kind: 'member'
      id: string
      tenantId: string
      role: 'owner' | 'admin' | 'analyst' | 'viewer'
      status: string
      passwordHash: string
    }

async function findAccount(tx: Tx, email: string): Promise<Account | null> {
  const [operator] = await tx
    .select({
      id: operators.id,
      status: operators.status,
      passwordHash: operators.passwordHash,
      totpEnabledAt: operators.totpEnabledAt,
    })
    .from(operators)
    .where(sql`lower(${operators.email}) = lower(${email})`)
  if (operator) return { kind: 'operator', tenantId: null, role: 'operator', ...operator }
  // The one path that finds a member before knowing the tenant (a SECURITY DEFINER function).
  const result = await tx.execute<{
    id: string
    tenant_id: string
    role: 'owner' | 'admin' | 'analyst' | 'viewer'
    status: string
    password_hash: string
  }>(sql`select id, tenant_id, role, status, password_hash from auth_find_member(${email})`)
  const member = result.rows[0]
  return member
    ? {
        kind: 'member',
        id: member.id,
        tenantId: member.tenant_id,
        role: member.role,
        status: member.status,
        passwordHash: member.password_hash,
      }
    : null
}

/** The signed-in person a session is opened for, by either step. */
type SignIn = {
  kind: 'operator' | 'member'
  id: string
  tenantId: string | null
  role: 'operator' | 'owner' | 'admin' | 'analyst' | 'viewer'
}

/**
 * Opens the session of a sign-in that is complete (password, and the code when one is owed) and
 * answers its token pair. `restriction`: what the session must do first (a password someone else
 * set, or a second factor it must have and does not).
 */
async function openSignIn(
  tx: Tx,
  services: Services,
  meta: RequestMeta,
  account: SignIn,
  input: { restriction: SessionRestriction | null; secondFactor?: 'totp' | 'recovery_code' },
): Promise<TokenPair> {
  const now = new Date()
  const { sessionId, refreshToken } = await openSession(tx, {
    principal: account.kind,
    userId: account.id,
    tenantId: account.tenantId,
    meta,
    now,
    restriction: input.restriction,
  })
  await writeAudit(tx, { type: account.kind, id: account.id }, meta, {
    action: 'auth.login',
    tenantId: account.tenantId,
    target: { type: 'session', id: sessionId },
    ...(input.secondFactor ? { data: { second_factor: input.secondFactor } } : {}),
  })
  const principal =
    account.kind === 'operator'
      ? { kind: 'operator' as const, id: account.id, sessionId, role: 'operator' as const, tenantId: null }
      : {
          kind: 'member' as const,
          id: account.id,
          sessionId,
          role: account.role as Exclude<SignIn['role'], 'operator'>,
          tenantId: account.tenantId as string,
        }
  const pair = await tokenPair(services.config, principal, refreshToken)
  return {
    ...pair,
    password_change_required: input.restriction === 'password_change',
    totp_enrolment_required: input.restriction === 'totp_enrolment',
  }
}

/**
 * Password login for operators and members. Failures are recorded (and audited) in a committed
 * transaction before the 401 is raised, so the rate limit counts them; unknown accounts cost the
 * same hashing time as known ones so timing does not reveal which e-mails exist. An account with a
 * second factor gets a short-lived challenge instead of a session (`completeLoginChallenge`).
 */
export async function login(
  services: Services,
  meta: RequestMeta,
  input: { email: string; password: string },
): Promise<TokenPair | LoginChallenge> {
  const ip = meta.ip ?? 'unknown'
  const accountKey = await accountKeyOf(input.email)
  const outcome = await services.db.transaction(async (tx) => {
    const retryAfter = await lockedFor(tx, accountKey, ip)
    if (retryAfter > 0) return { kind: 'locked' as const, retryAfter }

    const account = await findAccount(tx, input.email.trim())
    const verdict = account ? await verifyPassword(input.password, account.passwordHash) : null
    if (!account) await burnPasswordTime()
    if (account) {
      // Writes below (audit, session) are tenant rows for members: row-level security needs the tenant.
      await tx.execute(sql`select set_config('app.tenant_id', ${account.tenantId ?? ''}, true)`)
    }
    const ok = account && verdict?.ok && account.status === 'active'
    await tx.insert(loginAttempts).values({ accountKey, ip, success: Boolean(ok) })
    if (!account || !ok) {
      await writeAudit(
        tx,
        account ? { type: account.kind, id: account.id } : { type: 'anonymous', id: null },
        meta,
        {
          action: 'auth.login_failed',
          tenantId: account?.tenantId ?? null,
          target: account ? { type: account.kind, id: account.id } : undefined,
          data: { reason: !account ? 'unknown_account' : verdict?.ok ? 'deactivated' : 'wrong_password' },
        },
      )
      return { kind: 'failed' as const }
    }

    // Whether a second factor is on for the person, and whether one is required of them.
    let factor: { enabled: boolean; required: boolean }
    if (account.kind === 'member') {
      const [tenant] = await tx
        .select({
          status: tenants.status,
          requireTotp: tenants.requireTotp,
          totpEnabledAt: users.totpEnabledAt,
        })
        .from(tenants)
        .innerJoin(users, eq(users.tenantId, tenants.id))
        .where(eq(users.id, account.id))
      if (tenant?.status !== 'active') return { kind: 'suspended' as const }
      factor = { enabled: Boolean(tenant.totpEnabledAt), required: tenant.requireTotp }
    } else {
      factor = { enabled: Boolean(account.totpEnabledAt), required: operatorTotpRequired(services.config) }
    }

    if (factor.enabled) {
      // The password was right; the session waits for the code. Only the token's hash is kept.
      const token = `${CHALLENGE_PREFIX}${randomSecret(32)}`
      const challengeId = newId('lgc')
      await tx.insert(loginChallenges).values({
        id: challengeId,
        tokenHash: await sha256Hex(token),
        principal: account.kind,
        userId: account.id,
        tenantId: account.tenantId,
        accountKey,
        expiresAt: new Date(Date.now() + CHALLENGE_SECONDS * 1000),
      })
      await writeAudit(tx, { type: account.kind, id: account.id }, meta, {
        action: 'auth.login_challenged',
        tenantId: account.tenantId,
        target: { type: 'login_challenge', id: challengeId },
      })
      return {
        kind: 'challenge' as const,
        challenge: { challenge_token: token, challenge_type: 'totp' as const, expires_in: CHALLENGE_SECONDS },
      }
    }

    const table = account.kind === 'operator' ? operators : users
    const [signedIn] = await tx
      .update(table)
      .set({
        lastLoginAt: new Date(),
        // Rehash on login when the stored parameters are older than the current ones.
        ...(verdict?.needsRehash ? { passwordHash: await hashPassword(input.password) } : {}),
      })
      .where(eq(table.id, account.id))
      .returning({
        // Operators set their own passwords (npm run admin:create); members' may have been set by someone else.
        mustChangePassword: account.kind === 'member' ? users.mustChangePassword : sql<boolean>`false`,
      })
    // A password someone else set comes first; the enrolment follows it (changePassword).
    const restriction: SessionRestriction | null =
      signedIn?.mustChangePassword === true ? 'password_change' : factor.required ? 'totp_enrolment' : null
    return { kind: 'ok' as const, pair: await openSignIn(tx, services, meta, account, { restriction }) }
  })

  switch (outcome.kind) {
    case 'ok':
      return outcome.pair
    case 'challenge':
      return outcome.challenge
    case 'locked':
      throw tooManyAttempts(outcome.retryAfter)
    case 'suspended':
      throw new ApiError(403, 'TENANT_SUSPENDED', 'This account is suspended; contact your account manager.')
    case 'failed':
      throw INVALID()
  }
}

const invalidChallenge = () =>
  new ApiError(401, 'INVALID_CHALLENGE', 'The sign-in has expired or was already completed; sign in again.')

/**
 * The second step of a sign-in: the challenge token login answered and a code from the app (or a
 * recovery code). The challenge row is locked for the check, so two racing answers complete it
 * once; a wrong code is committed as a failed sign-in (the account's rate limit) and as a failure
 * of the challenge, which dies after CHALLENGE_MAX_FAILURES.
 */
export async function completeLoginChallenge(
  services: Services,
  meta: RequestMeta,
  input: { challengeToken: string; code: string },
): Promise<TokenPair> {
  const tokenHash = await sha256Hex(input.challengeToken)
  const outcome = await services.db.transaction(async (tx) => {
    const [challenge] = await tx
      .select()
      .from(loginChallenges)
      .where(
        and(
          eq(loginChallenges.tokenHash, tokenHash),
          isNull(loginChallenges.usedAt),
          gt(loginChallenges.expiresAt, sql`now()`),
          lt(loginChallenges.failedAttempts, CHALLENGE_MAX_FAILURES),
        ),
      )
      .for('update')
    if (!challenge) return { kind: 'invalid' as const }
    const retryAfter = await lockedFor(tx, challenge.accountKey, meta.ip ?? 'unknown')
    if (retryAfter > 0) return { kind: 'locked' as const, retryAfter }
    // The person's row and recovery codes are tenant rows (operators': the operator flag).
    await tx.execute(
      sql`select set_config('app.tenant_id', ${challenge.tenantId ?? ''}, true), set_config('app.operator', ${challenge.principal === 'operator' ? 'on' : 'off'}, true)`,
    )
    const person = { kind: challenge.principal, id: challenge.userId, tenantId: challenge.tenantId }
    const table = challenge.principal === 'operator' ? operators : users
    const [row] = await tx
      .select({
        status: table.status,
        totpSecret: table.totpSecret,
        totpEnabledAt: table.totpEnabledAt,
        role: challenge.principal === 'operator' ? sql<string>`'operator'` : users.role,
        mustChangePassword:
          challenge.principal === 'operator' ? sql<boolean>`false` : users.mustChangePassword,
      })
      .from(table)
      .where(eq(table.id, challenge.userId))
    // Deactivated or turned off since the password step: that sign-in is over.
    if (row?.status !== 'active' || !row.totpEnabledAt || !row.totpSecret) return { kind: 'invalid' as const }

    const used = await checkSecondFactor(tx, services, person, row.totpSecret, input.code, new Date())
    await recordAttempt(tx, challenge.accountKey, meta, used !== null)
    if (!used) {
      await tx
        .update(loginChallenges)
        .set({ failedAttempts: sql`${loginChallenges.failedAttempts} + 1` })
        .where(eq(loginChallenges.id, challenge.id))
      await writeAudit(tx, { type: person.kind, id: person.id }, meta, {
        action: 'auth.login_failed',
        tenantId: person.tenantId,
        target: { type: person.kind, id: person.id },
        data: { reason: 'wrong_code' },
      })
      return { kind: 'wrong_code' as const }
    }
    await tx.update(loginChallenges).set({ usedAt: sql`now()` }).where(eq(loginChallenges.id, challenge.id))
    await tx.update(table).set({ lastLoginAt: new Date() }).where(eq(table.id, person.id))
    const pair = await openSignIn(
      tx,
      services,
      meta,
      { ...person, role: row.role as SignIn['role'] },
      { restriction: row.mustChangePassword ? 'password_change' : null, secondFactor: used },
    )
    return { kind: 'ok' as const, pair }
  })
  switch (outcome.kind) {
    case 'ok':
      return outcome.pair
    case 'locked':
      throw tooManyAttempts(outcome.retryAfter)
    case 'wrong_code':
      throw new ApiError(401, 'INVALID_CODE', 'The code is not valid (or was already used).')
    case 'invalid':
      throw invalidChallenge()
  }
}
