import { and, eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { passwordResetRequests, tenants, users } from '../../../db/schema/index.ts'
import { hashPassword } from '../../auth/password.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import { ApiError } from '../../errors.ts'
import type { JobOf } from '../../jobs/messages.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'
import { revokeUserSessions } from '../auth/sessions.ts'
import { insertOutboundMessage, queueSends } from '../messaging/outbox.ts'
import { mailLocale, passwordResetMail } from './mail.ts'
import {
  consumeAccountToken,
  invalidAccountToken,
  issueAccountToken,
  TOKEN_LIFETIME_SECONDS,
} from './tokens.ts'

/** At most this many reset requests per e-mail, and per client IP, within the window. */
export const RESET_MAX_PER_ACCOUNT = 5
export const RESET_MAX_PER_IP = 20
export const RESET_WINDOW_SECONDS = 60 * 60

/** Where a reset link points: the members' portal page that takes the token. */
export const resetLink = (origin: string, token: string) =>
  `${origin}/app/password-reset?token=${encodeURIComponent(token)}`

/** Seconds until the oldest counted request leaves the window, or 0 when under both limits. */
async function throttledFor(tx: Tx, accountKey: string, ip: string): Promise<number> {
  const window = sql`make_interval(secs => ${RESET_WINDOW_SECONDS})`
  const result = await tx.execute<{ seconds: number | null }>(sql`
    select ceil(extract(epoch from (min(created_at) + ${window} - now())))::int as seconds
    from (select created_at from password_reset_requests
          where account_key = ${accountKey} and created_at > now() - ${window}
          order by created_at desc limit ${RESET_MAX_PER_ACCOUNT}) recent
    having count(*) >= ${RESET_MAX_PER_ACCOUNT}
    union all
    select ceil(extract(epoch from (min(created_at) + ${window} - now())))::int
    from (select created_at from password_reset_requests
          where ip = ${ip} and created_at > now() - ${window}
          order by created_at desc limit ${RESET_MAX_PER_IP}) recent
    having count(*) >= ${RESET_MAX_PER_IP}`)
  return Math.max(0, ...result.rows.map((row) => Number(row.seconds ?? 0)))
}

/**
 * `POST /auth/password-reset`: records the request (for the rate limit) and queues the job that
 * looks the e-mail up and sends the link. Nothing here depends on whether the e-mail belongs to
 * anyone, so the answer, its statements and its time are the same either way (no account
 * enumeration); the lookup happens in the job, where nobody waits for it.
 */
export async function requestPasswordReset(
  services: Services,
  meta: RequestMeta,
  input: { email: string; origin: string },
): Promise<void> {
  const ip = meta.ip ?? 'unknown'
  const email = input.email.trim().toLowerCase()
  const accountKey = await sha256Hex(email)
  const retryAfter = await services.db.transaction(async (tx) => {
    const wait = await throttledFor(tx, accountKey, ip)
    if (wait > 0) return wait
    await tx.insert(passwordResetRequests).values({ accountKey, ip })
    return 0
  })
  if (retryAfter > 0) {
    throw new ApiError(429, 'TOO_MANY_ATTEMPTS', 'Too many reset requests; try again later.', {
      headers: { 'Retry-After': String(retryAfter) },
    })
  }
  await services.jobs.send({
    type: 'auth.password_reset',
    v: 1,
    email,
    origin: input.origin,
    requestId: meta.requestId,
    ip: meta.ip,
  })
}

/**
 * The `auth.password_reset` job: for an active member of an active tenant, a new single-use link
 * (older ones stop working) and an e-mail through the outbox in the member's language; for any
 * other address, nothing. Operators are left out: the outbox sends for a tenant, and they have none
 * (they recover through another operator, `npm run admin:create`).
 */
export async function sendPasswordReset(
  job: JobOf<'auth.password_reset'>,
  services: Services,
): Promise<void> {
  const meta: RequestMeta = { ip: job.ip ?? null, userAgent: null, requestId: job.requestId }
  const sent = await services.db.transaction(async (tx) => {
    const found = await tx.execute<{ id: string; tenant_id: string; status: string }>(
      sql`select id, tenant_id, status, set_config('app.tenant_id', tenant_id, true)
          from auth_find_member(${job.email})`,
    )
    const member = found.rows[0]
    if (member?.status !== 'active') return null
    const [row] = await tx
      .select({ name: users.name, email: users.email, locale: users.locale, tenantStatus: tenants.status })
      .from(users)
      .innerJoin(tenants, eq(tenants.id, users.tenantId))
      .where(and(eq(users.id, member.id), eq(users.tenantId, member.tenant_id)))
    if (row?.tenantStatus !== 'active') return null
    const now = new Date()
    const issued = await issueAccountToken(tx, {
      tenantId: member.tenant_id,
      userId: member.id,
      purpose: 'password_reset',
      requestKey: `password_reset:${job.requestId}`,
      createdBy: null,
      now,
    })
    // Already done by an earlier delivery of this job: its e-mail stands.
    if (!issued) return null
    const message = await insertOutboundMessage(tx, member.tenant_id, {
      channel: 'email',
      purpose: 'auth.password_reset',
      idempotencyKey: `password_reset:${issued.id}`,
      to: row.email,
      content: passwordResetMail(mailLocale(row.locale), {
        name: row.name,
        link: resetLink(job.origin, issued.token),
        minutes: TOKEN_LIFETIME_SECONDS.password_reset / 60,
      }),
    })
    await writeAudit(tx, { type: 'anonymous', id: null }, meta, {
      action: 'auth.password_reset_requested',
      tenantId: member.tenant_id,
      target: { type: 'member', id: member.id },
      data: { expires_at: issued.expiresAt.toISOString() },
    })
    return { tenantId: member.tenant_id, messageId: message.id }
  })
  if (sent) await queueSends(services.jobs, sent.tenantId, [sent.messageId])
}

/**
 * `POST /auth/password-reset/confirm`: the link's token (single use) sets a new password; every
 * session of the member ends (whoever asked for the link may not be the only one who had the old
 * password), and they sign in again with the new one.
 */
export async function confirmPasswordReset(
  services: Services,
  meta: RequestMeta,
  input: { token: string; password: string },
): Promise<{ endedSessions: number; email: string }> {
  // Hash before the transaction: the slow part should hold no row lock.
  const passwordHash = await hashPassword(input.password)
  return services.db.transaction(async (tx) => {
    const now = new Date()
    const { tenantId, userId } = await consumeAccountToken(tx, input.token, 'password_reset', now)
    const [user] = await tx
      .update(users)
      .set({ passwordHash, passwordChangedAt: now, mustChangePassword: false, updatedAt: now })
      .where(and(eq(users.id, userId), eq(users.tenantId, tenantId), eq(users.status, 'active')))
      .returning({ email: users.email })
    // Deactivated since the link was sent: the link dies with the account.
    if (!user) throw invalidAccountToken()
    const endedSessions = await revokeUserSessions(tx, userId, 'password_reset')
    await writeAudit(tx, { type: 'member', id: userId }, meta, {
      action: 'auth.password_reset',
      tenantId,
      target: { type: 'member', id: userId },
      data: { ended_sessions: endedSessions },
    })
    return { endedSessions, email: user.email }
  })
}
