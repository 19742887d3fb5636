import { sql } from 'drizzle-orm'
import type { Context } from 'hono'
import type { Tx } from '../../db/client.ts'
import type { LicenseStatus, Module } from '../../db/schema/index.ts'
import type { Credential, Principal, RequestMeta } from '../auth/principal.ts'
import { sha256Hex, timingSafeEqual } from '../auth/tokens.ts'
import type { AppEnv, Services } from '../env.ts'
import { ApiError } from '../errors.ts'
import { isUsable } from './licensing.ts'

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
}

export const SESSION_IDLE_SECONDS = 24 * 60 * 60
export const SESSION_ABSOLUTE_SECONDS = 30 * 24 * 60 * 60

export function requestMeta(c: Context<AppEnv>): RequestMeta {
  return {
    // Cloudflare sets CF-Connecting-IP on every request that reaches a Worker.
    ip: c.req.header('cf-connecting-ip') ?? null,
    userAgent: c.req.header('user-agent') ?? null,
    requestId: c.get('requestId'),
  }
}

/**
 * Runs a service verb for the authenticated caller in one transaction: the tenant from the
 * principal is set for row-level security, the session (or API key) is checked inside that same
 * transaction, and with `module` the tenant's license must include it.
 */
export async function runAs<T>(
  c: Context<AppEnv>,
  work: (ctx: ServiceContext) => Promise<T>,
  options: { module?: Module } = {},
): Promise<T> {
  const credential = c.get('credential')
  if (!credential) throw new ApiError(401, 'UNAUTHENTICATED', 'Authentication is required.')
  const services = c.get('services')
  // The first statement sets the tenant itself, so the transaction opens without a setting.
  return services.db.transaction(async (tx) => {
    const now = new Date()
    const { principal, entitlement } =
      credential.kind === 'token'
        ? await confirmSession(tx, credential.principal, now)
        : await confirmApiKey(tx, credential)
    c.set('tenantId', principal.tenantId ?? undefined)
    if (options.module && principal.tenantId) checkModule(entitlement, options.module, now)
    const modules =
      principal.tenantId && isLicenseUsable(entitlement, now) ? (entitlement?.modules ?? []) : []
    return work({ tx, principal, meta: requestMeta(c), services, now, modules })
  })
}

type ApiKeyCredential = Extract<Credential, { kind: 'api_key' }>

/** The current license as auth_entitlement() returns it (null: no license). */
type EntitlementRow = {
  status: LicenseStatus | null
  valid_from: string | null
  valid_until: string | null
  modules: Module[] | null
}
type Confirmed = { principal: Principal; entitlement: EntitlementRow | null }

const ENTITLEMENT_COLUMNS = sql`e.status, e.valid_from, e.valid_until, e.modules`

/**
 * One statement: the key must exist, match, be unrevoked and belong to an active tenant; the
 * same statement sets the tenant for row-level security for the rest of the transaction and
 * reads the tenant's entitlement for module gating.
 */
async function confirmApiKey(tx: Tx, credential: ApiKeyCredential): Promise<Confirmed> {
  const rows = await tx.execute<
    EntitlementRow & {
      tenant_id: string
      role: 'admin' | 'analyst' | 'viewer'
      secret_hash: string
      stale: boolean
    }
  >(
    sql`select k.tenant_id, k.role, k.secret_hash, set_config('app.tenant_id', k.tenant_id, true),
          (k.last_used_at is null or k.last_used_at < now() - interval '1 minute') as stale, ${ENTITLEMENT_COLUMNS}
        from auth_find_api_key(${credential.keyId}) k join tenants t on t.id = k.tenant_id
          left join lateral auth_entitlement(k.tenant_id) e on true
        where k.revoked_at is null and t.status = 'active'`,
  )
  const key = rows.rows[0]
  if (!key || !timingSafeEqual(key.secret_hash, await sha256Hex(credential.secret))) {
    throw new ApiError(401, 'INVALID_API_KEY', 'The API key is not valid.')
  }
  // last_used_at is kept to the minute: one write a minute at most, not one per request.
  if (key.stale)
    await tx.execute(sql`update api_keys set last_used_at = now() where id = ${credential.keyId}`)
  return {
    principal: { kind: 'api_key', id: credential.keyId, role: key.role, tenantId: key.tenant_id },
    entitlement: key,
  }
}

/**
 * One statement: sets the principal's tenant (or the operator flag) for row-level security,
 * checks that the session is live, slides its idle expiry (writing the row at most once a
 * minute) and reads the tenant's entitlement through auth_entitlement(), which does not depend on
 * the setting made in the same statement.
 */
async function confirmSession(
  tx: Tx,
  principal: Extract<Principal, { kind: 'operator' | 'member' }>,
  now: Date,
): Promise<Confirmed> {
  const tenantId = principal.tenantId ?? ''
  const rows = await tx.execute<EntitlementRow & { session_id: string | null }>(sql`
    with live as (
      select id from sessions
      where id = ${principal.sessionId} and user_id = ${principal.id} and revoked_at is null
        and idle_expires_at > ${now} and absolute_expires_at > ${now}
    ), touched as (
      update sessions set last_seen_at = ${now},
        idle_expires_at = least(absolute_expires_at, ${now}::timestamptz + make_interval(secs => ${SESSION_IDLE_SECONDS}))
      where id = (select id from live) and last_seen_at < ${now}::timestamptz - interval '1 minute'
    )
    select set_config('app.tenant_id', ${tenantId}, true), set_config('app.operator', ${principal.kind === 'operator' ? 'on' : 'off'}, true),
      (select id from live) as session_id, ${ENTITLEMENT_COLUMNS}
    from (select 1) one left join lateral auth_entitlement(${tenantId}) e on ${tenantId} <> ''`)
  const row = rows.rows[0]
  if (!row?.session_id) throw new ApiError(401, 'SESSION_ENDED', 'Your session has ended; sign in again.')
  return { principal, entitlement: row }
}

function isLicenseUsable(row: EntitlementRow | null, now: Date): boolean {
  if (!row?.status || !row.valid_from || !row.valid_until) return false
  return isUsable(
    { status: row.status, validFrom: new Date(row.valid_from), validUntil: new Date(row.valid_until) },
    now,
  )
}

/** 403 LICENSE_INACTIVE or MODULE_DISABLED unless the current license grants the module now. */
export function checkModule(row: EntitlementRow | null, module: Module, now: Date): void {
  if (!isLicenseUsable(row, now)) {
    throw new ApiError(403, 'LICENSE_INACTIVE', 'Your license is not active; contact your account manager.')
  }
  if (!(row?.modules ?? []).includes(module)) {
    throw new ApiError(403, 'MODULE_DISABLED', `Your plan does not include the ${module} module.`)
  }
}
