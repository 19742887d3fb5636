import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { PLATFORMS } from './connections.ts'
import { users } from './identity.ts'
import { tenants } from './tenancy.ts'

/**
 * One OAuth authorization in flight: what the signed `state` points at. Kept in Postgres, not KV,
 * because the platform may send the browser back to another location seconds later and KV is
 * only eventually consistent. Single use (`used_at`); the PKCE verifier is kept only until then.
 */
export const oauthStates = pgTable(
  'oauth_states',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    platform: text('platform', { enum: PLATFORMS }).notNull(),
    /** PKCE verifier (X, TikTok); cleared when the state is used. It never travels in the state. */
    codeVerifier: text('code_verifier'),
    /** The redirect URI sent to the authorization page: the code exchange must repeat it exactly. */
    redirectUri: text('redirect_uri').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [index('oauth_states_tenant_id_idx').on(t.tenantId, t.expiresAt)],
)

export type GrantedAccountSummary = { externalAccountId: string; name: string }

/**
 * Accounts one login granted (Facebook pages, WhatsApp business accounts) waiting for the person
 * to pick which to connect. Only ids and names here: the tokens are sealed in the vault under the
 * selection's id, never stored in plaintext.
 */
export const oauthSelections = pgTable(
  'oauth_selections',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    platform: text('platform', { enum: PLATFORMS }).notNull(),
    accounts: jsonb('accounts').$type<GrantedAccountSummary[]>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('oauth_selections_tenant_id_idx').on(t.tenantId, t.expiresAt)],
)
