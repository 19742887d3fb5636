import { sql } from 'drizzle-orm'
import type { Tx } from '../../db/client.ts'
import type { Module, SessionRestriction } from '../../db/schema/index.ts'
import type { Credential, Principal, RequestMeta } from '../auth/principal.ts'
import { sha256Hex, timingSafeEqual } from '../auth/tokens.ts'
import { ApiError } from '../errors.ts'
import type { Services } from '../runtime/ports.ts'
import { checkModule, tenantModulesSql } from './licensing.ts'

/** What every service verb receives: the open transaction, the caller and the request facts. */
export type ServiceContext<P extends Principal = Principal> = {
  tx: Tx
  principal: P
  meta: RequestMeta
  services: Services
  now: Date
  /**
   * The tenant's effective modules now (none for operators or without a usable license), read by
   * the same statement that checked the session, so verbs that show them need no query of their own.
   */
  modules: readonly Module[]
  /**
   * Runs `task` once this transaction has committed (never if it rolls back): what must not happen
   * for work that may still be undone, such as queueing the job that sends an outbox message. A
   * failing task is logged and does not fail the request; whatever it did is recovered by a sweep.
   */
  afterCommit(task: () => Promise<void>): void
}

export const SESSION_IDLE_SECONDS = 24 * 60 * 60
export const SESSION_ABSOLUTE_SECONDS = 30 * 24 * 60 * 60

/**
 * Confirms what the request proved, inside the request's transaction: the session or API key is
 * live (one statement that also sets the tenant for row-level security and reads the tenant's
 * entitlement); with `module` the license must grant it now.
 */
export async function confirmCredential(
  tx: Tx,
  credential: Credential,
  now: Date,
  module?: Module,
  options: { allowRestricted?: boolean } = {},
): Promise<{ principal: Principal; modules: readonly Module[] }> {
  const { principal, modules, touchKey, restriction } =
    credential.kind === 'token'
      ? await confirmSession(tx, credential.principal, now)
      : await confirmApiKey(tx, credential, now)
  // A session that must do something first reaches only the routes that let it do so.
  if (restriction && !options.allowRestricted) {
    throw restriction === 'totp_enrolment' ? totpEnrolmentRequired() : passwordChangeRequired()
  }
  if (module && principal.tenantId) checkModule(modules, module)
  // Only once the request may go on: a refused one runs no statement after the check.
  if (touchKey) await tx.execute(sql`update api_keys set last_used_at = now() where id = ${principal.id}`)
  return { principal, modules: principal.tenantId ? (modules ?? []) : [] }
}

type ApiKeyCredential = Extract<Credential, { kind: 'api_key' }>

/** The tenant's modules as tenant_modules() reads them (null: no usable license). */
type EntitlementRow = { modules: Module[] | null }
type Confirmed = {
  principal: Principal
  modules: Module[] | null
  /** The key's last_used_at is older than a minute: written once the request is let through. */
  touchKey?: boolean
  /** A session that must do something first (change its password) before anything else. */
  restriction?: SessionRestriction | null
}

export const passwordChangeRequired = () =>
  new ApiError(
    403,
    'PASSWORD_CHANGE_REQUIRED',
    'Your password was set by someone else: change it (POST /api/v1/auth/password) before anything else.',
  )

export const totpEnrolmentRequired = () =>
  new ApiError(
    403,
    'TOTP_ENROLMENT_REQUIRED',
    'This account must sign in with a second factor: turn on two-factor sign-in (POST /api/v1/auth/two-factor/enrolment) before anything else.',
  )

/**
 * One statement: the key must exist, match, be unrevoked and belong to an active tenant; the
 * same statement sets the tenant for row-level security for the rest of the transaction and
 * reads the tenant's modules for module gating.
 */
async function confirmApiKey(tx: Tx, credential: ApiKeyCredential, now: Date): Promise<Confirmed> {
  const rows = await tx.execute<
    EntitlementRow & {
      tenant_id: string
      role: 'admin' | 'analyst' | 'viewer'
      secret_hash: string
      stale: boolean
    }
  >(
    sql`select k.tenant_id, k.role, k.secret_hash, set_config('app.tenant_id', k.tenant_id, true),
          (k.last_used_at is null or k.last_used_at < now() - interval '1 minute') as stale,
          ${tenantModulesSql(sql`k.tenant_id`, now)} as modules
        from auth_find_api_key(${credential.keyId}) k join tenants t on t.id = k.tenant_id
        where k.revoked_at is null and t.status = 'active'`,
  )
  const key = rows.rows[0]
  if (!key || !timingSafeEqual(key.secret_hash, await sha256Hex(credential.secret))) {
    throw new ApiError(401, 'INVALID_API_KEY', 'The API key is not valid.')
  }
  return {
    principal: { kind: 'api_key', id: credential.keyId, role: key.role, tenantId: key.tenant_id },
    modules: key.modules,
    // last_used_at is kept to the minute: one write a minute at most, not one per request.
    touchKey: key.stale,
  }
}

/**
 * One statement: sets the principal's tenant (or the operator flag) for row-level security,
 * checks that the session is live, slides its idle expiry (writing the row at most once a
 * minute) and reads the tenant's modules through tenant_modules(), which does not depend on the
 * setting made in the same statement.
 */
async function confirmSession(
  tx: Tx,
  principal: Extract<Principal, { kind: 'operator' | 'member' }>,
  now: Date,
): Promise<Confirmed> {
  const tenantId = principal.tenantId ?? ''
  const rows = await tx.execute<
    EntitlementRow & { session_id: string | null; restriction: SessionRestriction | null }
  >(sql`
    with live as (
      select id, restriction from sessions
      where id = ${principal.sessionId} and user_id = ${principal.id} and revoked_at is null
        and idle_expires_at > ${now} and absolute_expires_at > ${now}
    ), touched as (
      update sessions set last_seen_at = ${now},
        idle_expires_at = least(absolute_expires_at, ${now}::timestamptz + make_interval(secs => ${SESSION_IDLE_SECONDS}))
      where id = (select id from live) and last_seen_at < ${now}::timestamptz - interval '1 minute'
    )
    select set_config('app.tenant_id', ${tenantId}, true), set_config('app.operator', ${principal.kind === 'operator' ? 'on' : 'off'}, true),
      (select id from live) as session_id, (select restriction from live) as restriction,
      ${tenantModulesSql(tenantId, now)} as modules`)
  const row = rows.rows[0]
  if (!row?.session_id) throw new ApiError(401, 'SESSION_ENDED', 'Your session has ended; sign in again.')
  return { principal, modules: row.modules, restriction: row.restriction }
}
