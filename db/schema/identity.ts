import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { tenants } from './tenancy.ts'

/**
 * `agent`: works the WhatsApp inbox (reads and answers conversations, notes, assignment, status)
 * and nothing else: no connections, team, keys, settings, metrics or other modules' data.
 */
export const MEMBER_ROLES = ['owner', 'admin', 'analyst', 'viewer', 'agent'] as const
/** `invited`: the member was invited by e-mail and has not accepted yet (no usable password). */
export const USER_STATUSES = ['active', 'deactivated', 'invited'] as const
export type MemberRole = (typeof MEMBER_ROLES)[number]
export type UserStatus = (typeof USER_STATUSES)[number]
export type Role = MemberRole | 'operator'

const lifecycle = {
  status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
  passwordHash: text('password_hash').notNull(),
  passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }).notNull().defaultNow(),
  lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
  /**
   * Two-factor sign-in (migration 0040): the TOTP secret as vault ciphertext (`Vault.sealRow`),
   * never plain; without `totpEnabledAt` it is an enrolment not yet confirmed with a code.
   */
  totpSecret: text('totp_secret'),
  totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true }),
  /** The step of the last code accepted: it and earlier ones are refused (no replay in the window). */
  totpLastStep: bigint('totp_last_step', { mode: 'number' }),
  /** The person's own IANA zone for times on screen (migration 0047); null follows the tenant's. */
  timeZone: text('time_zone'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}

/** Staff of the admin central. Not tenant data: they manage tenants. */
export const operators = pgTable(
  'operators',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    ...lifecycle,
  },
  (t) => [uniqueIndex('operators_email_key').on(sql`lower(${t.email})`)],
)

/**
 * Members of a tenant. Tenant-owned (row-level security); login finds them by e-mail before the
 * tenant is known through the `auth_find_member` function, the one explicit cross-tenant path.
 * E-mails are unique across tenants so that login is unambiguous.
 */
export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role', { enum: MEMBER_ROLES }).notNull(),
    locale: text('locale'),
    /** Someone else set the password (an operator's reset): the next sign-in must change it. */
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    ...lifecycle,
  },
  (t) => [
    uniqueIndex('users_email_key').on(sql`lower(${t.email})`),
    index('users_tenant_id_idx').on(t.tenantId),
  ],
)

/**
 * `password_change`: someone else set the password. `totp_enrolment`: a second factor is required
 * (operators, or the tenant's owner asks it of every member) and the person has none yet.
 */
export const SESSION_RESTRICTIONS = ['password_change', 'totp_enrolment'] as const
export type SessionRestriction = (typeof SESSION_RESTRICTIONS)[number]

/**
 * Server-side sessions for operators and members. Authentication state, looked up by id before
 * any tenant is known, so not under row-level security; every query filters by its id/user.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    principal: text('principal', { enum: ['operator', 'member'] }).notNull(),
    userId: text('user_id').notNull(),
    tenantId: text('tenant_id').references(() => tenants.id),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    idleExpiresAt: timestamp('idle_expires_at', { withTimezone: true }).notNull(),
    absoluteExpiresAt: timestamp('absolute_expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
    /** What the person must do before anything else (`password_change`); null: nothing. */
    restriction: text('restriction', { enum: SESSION_RESTRICTIONS }),
  },
  (t) => [
    index('sessions_user_id_idx').on(t.userId, t.createdAt),
    index('sessions_tenant_id_idx').on(t.tenantId),
  ],
)

/**
 * Opaque rotating refresh tokens, stored as SHA-256 hashes. The session is the family: presenting
 * a token that was already rotated revokes the session (RFC 9700 reuse detection).
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('refresh_tokens_token_hash_key').on(t.tokenHash),
    index('refresh_tokens_session_id_idx').on(t.sessionId),
  ],
)

/** Machine credentials of a tenant: `ik_<id>_<secret>`, only the secret's SHA-256 is stored. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    role: text('role', { enum: ['admin', 'analyst', 'viewer'] }).notNull(),
    secretHash: text('secret_hash').notNull(),
    lastFour: text('last_four').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_tenant_id_idx').on(t.tenantId)],
)

/**
 * Login attempts for rate limiting, keyed by a hash of the e-mail (no address is kept for
 * accounts that do not exist) and by client IP.
 */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    accountKey: text('account_key').notNull(),
    ip: text('ip').notNull(),
    success: boolean('success').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('login_attempts_account_idx').on(t.accountKey, t.createdAt),
    index('login_attempts_ip_idx').on(t.ip, t.createdAt),
  ],
)

/**
 * Single-use recovery codes of two-factor sign-in, ten per person, stored as SHA-256. Operators'
 * rows have no tenant (readable only with the operator flag, like untenanted audit rows).
 */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id').references(() => tenants.id),
    userId: text('user_id').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('recovery_codes_user_code_key').on(t.userId, t.codeHash),
    index('recovery_codes_tenant_id_idx').on(t.tenantId),
  ],
)

/**
 * The second step of a sign-in whose password was right: the token answered by login, owed a
 * code. Looked up by its hash before any tenant is known (like sessions, not under RLS).
 */
export const loginChallenges = pgTable(
  'login_challenges',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    principal: text('principal', { enum: ['operator', 'member'] }).notNull(),
    userId: text('user_id').notNull(),
    tenantId: text('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    accountKey: text('account_key').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('login_challenges_token_hash_key').on(t.tokenHash),
    index('login_challenges_user_id_idx').on(t.userId),
    check('login_challenges_principal', sql`${t.principal} in ('operator', 'member')`),
  ],
)
