import { type AnyColumn, eq, type SQL, sql } from 'drizzle-orm'
import type { Tx } from '../../db/client.ts'
import { type LicenseStatus, licenses, type Module, plans } from '../../db/schema/index.ts'
import { ApiError } from '../errors.ts'

export type Entitlement = {
  license: {
    id: string
    status: LicenseStatus
    /** The status as of now: an active license past valid_until reads as expired before the sweep runs. */
    effectiveStatus: LicenseStatus
    validFrom: Date
    validUntil: Date
    externalRef: string | null
  } | null
  plan: {
    id: string
    code: string
    name: string
    modules: Module[]
    limits: { users: number; connections: number; retentionDays: number; collectionIntervalMinutes: number }
  } | null
  /** The plan's modules while the license is trialing or active and inside its validity; else none. */
  modules: Module[]
}

const USABLE: LicenseStatus[] = ['trialing', 'active']

/**
 * The license status at `now`, evaluated at request time so expiry is right without any cron.
 * Whether a license grants its modules is not decided here but in SQL (`license_usable`,
 * `tenant_modules`, `tenant_has_module`, migration 0019), the one spelling every gate reads.
 */
export function effectiveStatus(
  license: { status: LicenseStatus; validFrom: Date; validUntil: Date },
  now: Date,
): LicenseStatus {
  if (USABLE.includes(license.status) && license.validUntil <= now) return 'expired'
  return license.status
}

/**
 * The tenant's modules at `now` as SQL: its current license's plan modules while that license is
 * usable, NULL without a usable license. Runs in the statement that sets the tenant (it does not
 * depend on row-level security having seen the setting).
 */
export const tenantModulesSql = (tenantId: SQL | string, now: Date) =>
  sql<Module[] | null>`tenant_modules(${tenantId}, ${now})`

/** SQL predicate: the tenant's current license is usable at `now` and includes `module`. */
export const tenantHasModuleSql = (tenantId: SQL | string, module: Module, now: Date) =>
  sql<boolean>`tenant_has_module(${tenantId}, ${module}, ${now})`

/** SQL predicate over license columns: usable at `now` (trialing or active, inside its validity). */
export const licenseUsableSql = (
  license: { status: SQL | AnyColumn; validFrom: SQL | AnyColumn; validUntil: SQL | AnyColumn },
  now: Date,
) => sql<boolean>`license_usable(${license.status}, ${license.validFrom}, ${license.validUntil}, ${now})`

/**
 * 403 LICENSE_INACTIVE or MODULE_DISABLED unless `modules` (what `tenantModulesSql` read: null
 * without a usable license) includes `module`.
 */
export function checkModule(modules: readonly Module[] | null, module: Module): void {
  if (!modules) {
    throw new ApiError(403, 'LICENSE_INACTIVE', 'Your license is not active; contact your account manager.')
  }
  if (!modules.includes(module)) {
    throw new ApiError(403, 'MODULE_DISABLED', `Your plan does not include the ${module} module.`, {
      details: { module },
    })
  }
}

/**
 * The tenant's current license (as auth_entitlement() reads it: the latest) with its plan and the
 * modules tenant_modules() grants now; one statement.
 */
export async function loadEntitlement(tx: Tx, tenantId: string, now = new Date()): Promise<Entitlement> {
  const [row] = await tx
    .select({ license: licenses, plan: plans, modules: tenantModulesSql(tenantId, now) })
    .from(licenses)
    .innerJoin(plans, eq(plans.id, licenses.planId))
    .where(eq(licenses.id, sql`(select license_id from auth_entitlement(${tenantId}))`))
  if (!row) return { license: null, plan: null, modules: [] }
  const { license, plan, modules } = row
  return {
    license: {
      id: license.id,
      status: license.status,
      effectiveStatus: effectiveStatus(license, now),
      validFrom: license.validFrom,
      validUntil: license.validUntil,
      externalRef: license.externalRef,
    },
    plan: {
      id: plan.id,
      code: plan.code,
      name: plan.name,
      modules: plan.modules as Module[],
      limits: {
        users: plan.usersLimit,
        connections: plan.connectionsLimit,
        retentionDays: plan.retentionDays,
        collectionIntervalMinutes: plan.collectionIntervalMinutes,
      },
    },
    modules: modules ?? [],
  }
}
