import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import { ApiError } from '../../errors.ts'

/**
 * The sign-in rate limit, shared by the password step and every place a second-factor code is
 * typed: failures per account (a hash of the e-mail, so no address is kept for unknown ones) and
 * per client IP, in `login_attempts`.
 */

/** At most this many failed logins per account and per client IP within the window. */
export const LOGIN_MAX_FAILURES = 10
export const LOGIN_WINDOW_SECONDS = 15 * 60

/** The rate limit's key of an account: the SHA-256 of its e-mail as typed, lower-cased. */
export const accountKeyOf = (email: string) => sha256Hex(email.trim().toLowerCase())

/** Seconds until the oldest counted failure leaves the window, or 0 when under the limit. */
export async function lockedFor(tx: Tx, accountKey: string, ip: string): Promise<number> {
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

/** Records one attempt (a password or a code) for the limit above. */
export async function recordAttempt(tx: Tx, accountKey: string, meta: RequestMeta, success: boolean) {
  await tx.execute(
    sql`insert into login_attempts (account_key, ip, success) values (${accountKey}, ${meta.ip ?? 'unknown'}, ${success})`,
  )
}

/** Refuses with 429 while the account's (or the IP's) failures are over the limit. */
export async function refuseWhenLocked(tx: Tx, accountKey: string, meta: RequestMeta): Promise<void> {
  const retryAfter = await lockedFor(tx, accountKey, meta.ip ?? 'unknown')
  if (retryAfter > 0) throw tooManyAttempts(retryAfter)
}

export const tooManyAttempts = (retryAfter: number) =>
  new ApiError(429, 'TOO_MANY_ATTEMPTS', 'Too many failed sign-in attempts; try again later.', {
    headers: { 'Retry-After': String(retryAfter) },
  })
