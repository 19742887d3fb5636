import { and, eq, gt, inArray, isNull, ne } from 'drizzle-orm'
import { connections, oauthSelections, type Platform } from '../../../../db/schema/index.ts'
import { authorize } from '../../../auth/permissions.ts'
import type { GrantedAccount } from '../../../connectors/oauth.ts'
import { ApiError, invalidField } from '../../../errors.ts'
import { StaleSecretError, Vault } from '../../../vault/vault.ts'
import type { ServiceContext } from '../../context.ts'
import { requireMember, selectionRef } from './shared.ts'

/** How long a person has to pick accounts after a Facebook Login. */
export const SELECTION_TTL_SECONDS = 15 * 60

type StoredTokens = { a: string; r?: string; e?: string }

/**
 * Keeps what a Facebook Login granted until the person picks: ids and names in Postgres, every
 * token sealed in the vault under the selection's id (one KV value for the whole login).
 */
export async function createSelection(ctx: ServiceContext, platform: Platform, accounts: GrantedAccount[]) {
  authorize(ctx.principal, 'connections.manage')
  requireMember(ctx.principal)
  const tenantId = ctx.principal.tenantId
  if (accounts.length === 0) {
    throw new ApiError(
      422,
      'OAUTH_NO_ACCOUNTS',
      `The ${platform} login granted no account to connect; grant access to at least one and try again.`,
    )
  }
  const id = crypto.randomUUID()
  const expiresAt = new Date(ctx.now.getTime() + SELECTION_TTL_SECONDS * 1000)
  const summaries = accounts.map(({ externalAccountId, name }) => ({ externalAccountId, name }))
  await ctx.tx.insert(oauthSelections).values({
    id,
    tenantId,
    userId: ctx.principal.id,
    platform,
    accounts: summaries,
    expiresAt,
  })
  const sealed: Record<string, StoredTokens> = {}
  for (const { externalAccountId, tokens } of accounts) {
    sealed[externalAccountId] = {
      a: tokens.accessToken,
      ...(tokens.refreshToken ? { r: tokens.refreshToken } : {}),
      ...(tokens.expiresAt ? { e: tokens.expiresAt.toISOString() } : {}),
    }
  }
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  await vault.put(selectionRef(tenantId, id), JSON.stringify(sealed), 1)
  const connected = await ctx.tx
    .select({ externalAccountId: connections.externalAccountId })
    .from(connections)
    .where(
      and(
        eq(connections.tenantId, tenantId),
        eq(connections.platform, platform),
        inArray(
          connections.externalAccountId,
          summaries.map((account) => account.externalAccountId),
        ),
        ne(connections.status, 'disconnected'),
      ),
    )
  const already = new Set(connected.map((row) => row.externalAccountId))
  return {
    selectionId: id,
    platform,
    accounts: summaries.map((account) => ({
      ...account,
      alreadyConnected: already.has(account.externalAccountId),
    })),
    expiresAt,
  }
}

/** The chosen accounts of a live selection of this person, with their tokens out of the vault. */
export async function openSelection(ctx: ServiceContext, id: string, externalAccountIds: string[]) {
  authorize(ctx.principal, 'connections.manage')
  requireMember(ctx.principal)
  const tenantId = ctx.principal.tenantId
  const [row] = await ctx.tx
    .select({ platform: oauthSelections.platform, accounts: oauthSelections.accounts })
    .from(oauthSelections)
    .where(
      and(
        eq(oauthSelections.id, id),
        eq(oauthSelections.tenantId, tenantId),
        eq(oauthSelections.userId, ctx.principal.id),
        isNull(oauthSelections.completedAt),
        gt(oauthSelections.expiresAt, ctx.now),
      ),
    )
  if (!row)
    throw new ApiError(404, 'NOT_FOUND', 'No such selection: it may have expired or been used already.')
  const offered = new Map(row.accounts.map((account) => [account.externalAccountId, account]))
  const unknown = externalAccountIds.filter((accountId) => !offered.has(accountId))
  if (unknown.length > 0) {
    throw invalidField(
      'json.external_account_ids',
      `not among the accounts this login granted: ${unknown.join(', ')}`,
    )
  }
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  let sealed: Record<string, StoredTokens>
  try {
    sealed = JSON.parse(await vault.get(selectionRef(tenantId, id), 1)) as Record<string, StoredTokens>
  } catch (error) {
    // KV has not caught up with the callback's write yet (another location): moments away.
    if (!(error instanceof StaleSecretError)) throw error
    throw new ApiError(
      503,
      'SELECTION_NOT_READY',
      'The authorization is still being stored; retry in a few seconds.',
      {
        headers: { 'Retry-After': '5' },
      },
    )
  }
  const accounts: GrantedAccount[] = externalAccountIds.map((accountId) => {
    const stored = sealed[accountId]
    if (!stored) throw new Error('selection tokens missing an offered account')
    return {
      externalAccountId: accountId,
      name: offered.get(accountId)?.name ?? accountId,
      tokens: {
        accessToken: stored.a,
        refreshToken: stored.r ?? null,
        expiresAt: stored.e ? new Date(stored.e) : null,
      },
    }
  })
  return { platform: row.platform, accounts }
}
