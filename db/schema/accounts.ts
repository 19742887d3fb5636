import { sql } from 'drizzle-orm'
import { bigserial, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { users } from './identity.ts'
import { tenants } from './tenancy.ts'

export const ACCOUNT_TOKEN_PURPOSES = ['password_reset', 'invitation'] as const
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number]

/**
 * Single-use tokens sent to a member by e-mail: a password reset link or an invitation. Only the
 * SHA-256 of the token is stored; its holder finds the row through `auth_find_account_token`
 * before the tenant is known (migration 0031). Tenant-owned, under row-level security.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ACCOUNT_TOKEN_PURPOSES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    /** The request that issued it, unique per tenant: a redelivered job issues nothing twice. */
    requestKey: text('request_key').notNull(),
    /** Who issued it (the inviter); null for a reset the person asked for. */
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    /** Superseded by a newer token of the same purpose, or revoked (an invitation withdrawn). */
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('account_tokens_token_hash_key').on(t.tokenHash),
    uniqueIndex('account_tokens_request_key').on(t.tenantId, t.requestKey),
    index('account_tokens_tenant_id_idx').on(t.tenantId, t.userId),
  ],
)

/** Reset-link requests for the rate limit, keyed like `login_attempts` (a hash of the e-mail, the IP). */
export const passwordResetRequests = pgTable(
  'password_reset_requests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    accountKey: text('account_key').notNull(),
    ip: text('ip').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    index('password_reset_requests_account_idx').on(t.accountKey, t.createdAt),
    index('password_reset_requests_ip_idx').on(t.ip, t.createdAt),
  ],
)
