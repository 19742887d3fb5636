import type { Module } from '../../db/schema/index.ts'
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
  'sessions.own': ['owner', 'admin', 'analyst', 'viewer', 'agent'],
  'connections.read': ['owner', 'admin', 'analyst', 'viewer'],
  'connections.manage': ['owner', 'admin'],
  'metrics.read': ['owner', 'admin', 'analyst', 'viewer'],
  /** Properties, sources, bookings, conflicts and statistics of the calendar module. */
  'calendar.read': ['owner', 'admin', 'analyst', 'viewer'],
  /** Properties, feeds, manual bookings, export tokens and alert settings. */
  'calendar.manage': ['owner', 'admin'],
  /** Services, professionals, plans, availability and appointments of the scheduling module. */
  'scheduling.read': ['owner', 'admin', 'analyst', 'viewer'],
  /** Services, professionals, working plans, exceptions and blocked periods. */
  'scheduling.manage': ['owner', 'admin'],
  /**
   * Booking, moving, cancelling and closing appointments (they reach customers through reminders):
   * its own permission so a front-desk role can get it without managing the catalogue.
   */
  'scheduling.book': ['owner', 'admin'],
  /** The messaging outbox: what was sent to whom, its status and errors (customers' contacts). */
  'messages.read': ['owner', 'admin', 'analyst'],
  /** Commerce: stores, catalog, stock, shipping bands and orders (read). */
  'commerce.read': ['owner', 'admin', 'analyst', 'viewer'],
  /** Commerce: stores and their hours, catalog, stock adjustments, shipping bands, settings. */
  'commerce.manage': ['owner', 'admin'],
  /** Commerce: moving orders through the board (accept, prepare, dispatch, deliver, cancel). */
  'commerce.fulfil': ['owner', 'admin', 'analyst'],
  /** Commerce campaigns and coupons: creating, changing and ending them (they give money away). */
  'commerce.campaigns.manage': ['owner', 'admin'],
  /**
   * The WhatsApp attendance inbox: conversations, contacts, templates and reports (customers'
   * messages, so viewers do not read them).
   */
  'attendance.read': ['owner', 'admin', 'analyst', 'agent'],
  /**
   * Answering customers: replies, notes, assignment and status changes, contacts' names. The
   * `agent` role exists for this: a receptionist who answers the inbox and sees nothing else.
   */
  'attendance.reply': ['owner', 'admin', 'agent'],
  /** The tenant's numbers and the template sync. */
  'attendance.manage': ['owner', 'admin'],
  /**
   * Scheduled reports: schedules and run history (the recipients are the tenant's clients'
   * addresses, so viewers do not read them).
   */
  'reports.read': ['owner', 'admin', 'analyst'],
  /** Creating and deleting schedules, releasing or skipping held runs. */
  'reports.manage': ['owner', 'admin'],
  /** "Send me a preview now": to the signed-in person's own address, so people only. */
  'reports.preview': ['owner', 'admin', 'analyst'],
  /** Consents, portability exports, purges and connection erasure (LGPD rights of the tenant). */
  'privacy.manage': ['owner', 'admin'],
  /** Asking for the whole tenant to be erased: the owner only, confirmed by an operator. */
  'privacy.erase_tenant': ['owner'],
  /** The tenant's sign-in rules (requiring two-factor of every member): the owner only. */
  'tenant.security': ['owner'],
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
  'tenant.security',
  // A preview goes to the caller's own address; a key has none.
  'reports.preview',
])

/** Whether a member role holds a permission (the portal's menu shows only what the role may use). */
export const roleCan = (role: TenantRole, permission: Permission): boolean =>
  (PERMISSIONS[permission] as readonly string[]).includes(role)

/**
 * Whether moving a member from one role to another takes any permission away. Ranks cannot say
 * it: a viewer and an agent each hold something the other lacks, so either move ends sessions.
 */
export const roleLosesPermissions = (from: TenantRole, to: TenantRole): boolean =>
  (Object.keys(PERMISSIONS) as Permission[]).some((p) => roleCan(from, p) && !roleCan(to, p))

/** The member roles that hold a permission (who may be assigned a conversation, for instance). */
export const rolesWith = (permission: Permission): readonly TenantRole[] => PERMISSIONS[permission]

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

/**
 * Throws 403 NOT_A_SESSION for an API key: the act belongs to a signed-in person (their own
 * sessions and password, a browser's OAuth consent), whatever the key's role.
 */
export function authorizePerson(
  principal: Principal,
): asserts principal is Extract<Principal, { kind: 'operator' | 'member' }> {
  if (principal.kind === 'api_key') {
    throw new ApiError(403, 'NOT_A_SESSION', 'This action needs a signed-in user, not an API key.')
  }
}

/**
 * What a route declares its caller needs (`permit()`, worker/middleware/permit.ts): a tenant
 * permission, an operator of the central, or a signed-in person rather than an API key.
 */
export type Requirement = Permission | 'operator' | 'person'

/** What a route says its caller needs: every requirement, in order, and the module its license must grant. */
/**
 * `allowRestricted`: a session that must do something first (change its password, enrol a second
 * factor) may use the route (it is how it does so).
 */
export type Permit = { requirements: readonly Requirement[]; module?: Module; allowRestricted?: boolean }

/** Throws what the service verbs throw for the same caller and requirement (403 FORBIDDEN or NOT_A_SESSION). */
export function authorizeRequirement(principal: Principal, requirement: Requirement): void {
  if (requirement === 'operator') authorizeOperator(principal)
  else if (requirement === 'person') authorizePerson(principal)
  else authorize(principal, requirement)
}

/** Throws 403 unless the caller is an operator of the central. */
export function authorizeOperator(
  principal: Principal,
): asserts principal is Extract<Principal, { kind: 'operator' }> {
  if (principal.kind !== 'operator') {
    throw new ApiError(403, 'FORBIDDEN', 'Only operators of the central can do this.')
  }
}
