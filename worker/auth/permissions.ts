import { ApiError } from '../errors.ts'
import type { Principal, TenantPrincipal } from './principal.ts'

type TenantRole = TenantPrincipal['role'] | 'owner'

/**
 * What each tenant role may do. Services call `authorize` first, before reading or writing
 * anything; routes never decide permissions themselves.
 */
const PERMISSIONS = {
  'tenant.read': ['owner', 'admin', 'analyst', 'viewer'],
  'users.read': ['owner', 'admin'],
  'users.manage': ['owner', 'admin'],
  'api_keys.manage': ['owner', 'admin'],
  'audit.read': ['owner', 'admin'],
  'sessions.own': ['owner', 'admin', 'analyst', 'viewer'],
  'connections.read': ['owner', 'admin', 'analyst', 'viewer'],
  'connections.manage': ['owner', 'admin'],
  'metrics.read': ['owner', 'admin', 'analyst', 'viewer'],
  /** Properties, sources, bookings, conflicts and statistics of the calendar module. */
  'calendar.read': ['owner', 'admin', 'analyst', 'viewer'],
  /** Properties, feeds, manual bookings, export tokens and alert settings. */
  'calendar.manage': ['owner', 'admin'],
  /** Consents, portability exports, purges and connection erasure (LGPD rights of the tenant). */
  'privacy.manage': ['owner', 'admin'],
  /** Asking for the whole tenant to be erased: the owner only, confirmed by an operator. */
  'privacy.erase_tenant': ['owner'],
} as const satisfies Record<string, readonly TenantRole[]>

export type Permission = keyof typeof PERMISSIONS

/**
 * Identity management needs a signed-in person. API keys are for machine reads and writes of
 * data: a leaked key, whatever its role, must not be able to add people, change roles or mint
 * more keys. The audit trail stays readable to admin keys (export to a SIEM is a machine job).
 */
const PEOPLE_ONLY: ReadonlySet<Permission> = new Set([
  'users.read',
  'users.manage',
  'api_keys.manage',
  // Consent is a person's act, and a key must not be able to take or erase all of the tenant's data.
  'privacy.manage',
  'privacy.erase_tenant',
])

export function can(principal: Principal, permission: Permission): boolean {
  if (principal.kind === 'operator') return false
  if (principal.kind === 'api_key' && PEOPLE_ONLY.has(permission)) return false
  return (PERMISSIONS[permission] as readonly string[]).includes(principal.role)
}

/** Throws 403 unless a tenant principal holds the permission. Narrows to a tenant principal. */
export function authorize(
  principal: Principal,
  permission: Permission,
): asserts principal is TenantPrincipal {
  if (!can(principal, permission)) {
    throw new ApiError(403, 'FORBIDDEN', 'Your role does not allow this action.')
  }
}

/** Throws 403 unless the caller is an operator of the central. */
export function authorizeOperator(
  principal: Principal,
): asserts principal is Extract<Principal, { kind: 'operator' }> {
  if (principal.kind !== 'operator') {
    throw new ApiError(403, 'FORBIDDEN', 'Only operators of the central can do this.')
  }
}
