import { eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { loginAttempts, type MemberRole, operators, tenants, users } from '../../../db/schema/index.ts'
import { burnPasswordTime, hashPassword, verifyPassword } from '../../auth/password.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import { ApiError } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'
import { openSession, type TokenPair, tokenPair } from './sessions.ts'

/** At most this many failed logins per account and per client IP within the window. */
export const LOGIN_MAX_FAILURES = 10
export const LOGIN_WINDOW_SECONDS = 15 * 60

const INVALID = () => new ApiError(401, 'INVALID_CREDENTIALS', 'E-mail or password is incorrect.')

type Account =
  | { kind: 'operator'; id: string; tenantId: null; role: 'operator'; status: string; passwordHash: string }
  | {
      kind: 'member'
      id: string
      tenantId: string
      role: MemberRole
      status: string
      passwordHash: string
    }

async function findAccount(tx: Tx, email: string): Promise<Account | null> {
  const [operator] = await tx
    .select({ id: operators.id, status: operators.status, passwordHash: operators.passwordHash })
    .from(operators)
    .where(sql`lower(${operators.email}) = lower(${email})`)
  if (operator) return { kind: 'operator', tenantId: null, role: 'operator', ...operator }
  // The one path that finds a member before knowing the tenant (a SECURITY DEFINER function).
  const result = await tx.execute<{
    id: string
    tenant_id: string
    role: MemberRole
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

/** Seconds until the oldest counted failure leaves the window, or 0 when under the limit. */
async function lockedFor(tx: Tx, accountKey: string, ip: string): Promise<number> {
  const result = await tx.execute<{ seconds: number | null }>(sql`
    select ceil(extract(epoch from (min(created_at) + make_interval(secs => ${LOGIN_WINDOW_SECONDS}) - now())))::int as seconds
    from (
      select created_at from login_attempts
      where account_key = ${accountKey} and not success and created_at > now() - make_interval(secs => ${LOGIN_WINDOW_SECONDS})
      order by created_at desc limit ${LOGIN_MAX_FAILURES}
    ) recent
    having count(*) >= ${LOGIN_MAX_FAILURES}
    union all
    select ceil(extract(epoch from (min(created_at) + make_interval(secs => ${LOGIN_WINDOW_SECONDS}) - now())))::int
    from (
      select created_at from login_attempts
      where ip = ${ip} and not success and created_at > now() - make_interval(secs => ${LOGIN_WINDOW_SECONDS})
      order by created_at desc limit ${LOGIN_MAX_FAILURES}
    ) recent
    having count(*) >= ${LOGIN_MAX_FAILURES}`)
  return Math.max(0, ...result.rows.map((row) => Number(row.seconds ?? 0)))
}

/**
 * Password login for operators and members. Failures are recorded (and audited) in a committed
 * transaction before the 401 is raised, so the rate limit counts them; unknown accounts cost the
 * same hashing time as known ones so timing does not reveal which e-mails exist.
 */
export async function login(
  services: Services,
  meta: RequestMeta,
  input: { email: string; password: string },
): Promise<TokenPair> {
  const ip = meta.ip ?? 'unknown'
  const accountKey = await sha256Hex(input.email.trim().toLowerCase())
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

    if (account.kind === 'member') {
      const [tenant] = await tx
        .select({ status: tenants.status })
        .from(tenants)
        .where(eq(tenants.id, account.tenantId))
      if (tenant?.status !== 'active') return { kind: 'suspended' as const }
    }
    const now = new Date()
    const table = account.kind === 'operator' ? operators : users
    const [signedIn] = await tx
      .update(table)
      .set({
        lastLoginAt: now,
        // Rehash on login when the stored parameters are older than the current ones.
        ...(verdict?.needsRehash ? { passwordHash: await hashPassword(input.password) } : {}),
      })
      .where(eq(table.id, account.id))
      .returning({
        // Operators set their own passwords (npm run admin:create); members' may have been set by someone else.
        mustChangePassword: account.kind === 'member' ? users.mustChangePassword : sql<boolean>`false`,
      })
    const mustChangePassword = signedIn?.mustChangePassword === true
    const { sessionId, refreshToken } = await openSession(tx, {
      principal: account.kind,
      userId: account.id,
      tenantId: account.tenantId,
      meta,
      now,
      restriction: mustChangePassword ? 'password_change' : null,
    })
    await writeAudit(tx, { type: account.kind, id: account.id }, meta, {
      action: 'auth.login',
      tenantId: account.tenantId,
      target: { type: 'session', id: sessionId },
    })
    const principal =
      account.kind === 'operator'
        ? { kind: 'operator' as const, id: account.id, sessionId, role: 'operator' as const, tenantId: null }
        : {
            kind: 'member' as const,
            id: account.id,
            sessionId,
            role: account.role,
            tenantId: account.tenantId,
          }
    const pair = await tokenPair(services.config, principal, refreshToken)
    return { kind: 'ok' as const, pair: { ...pair, password_change_required: mustChangePassword } }
  })

  switch (outcome.kind) {
    case 'ok':
      return outcome.pair
    case 'locked':
      throw new ApiError(429, 'TOO_MANY_ATTEMPTS', 'Too many failed sign-in attempts; try again later.', {
        headers: { 'Retry-After': String(outcome.retryAfter) },
      })
    case 'suspended':
      throw new ApiError(403, 'TENANT_SUSPENDED', 'This account is suspended; contact your account manager.')
    case 'failed':
      throw INVALID()
  }
}
