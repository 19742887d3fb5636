import { and, eq, gt, inArray, isNull } from 'drizzle-orm'
import { connections, oauthSelections, type Platform } from '../../../../db/schema/index.ts'
import { authorize } from '../../../auth/permissions.ts'
import { oauthPlatforms } from '../../../connectors/index.ts'
import type { GrantedAccount } from '../../../connectors/oauth.ts'
import type { Profile } from '../../../connectors/types.ts'
import { ApiError } from '../../../errors.ts'
import { kvKeyOf } from '../../../vault/vault.ts'
import type { Caller } from '../../caller.ts'
import type { ServiceContext } from '../../context.ts'
import { checkCanRegister, registerConnection, validateWithPlatform } from '../connections.ts'
import { reconnectConnection } from '../reconnect.ts'
import { createSelection, openSelection } from './selections.ts'
import { type Member, oauthStateRefused, requireMember, selectionRef } from './shared.ts'
import { consumeOAuthState, exchangeAuthorization } from './start.ts'
import { verifyOAuthState } from './state.ts'

/** Existing connections of these accounts (any status) by external id. */
async function existingConnections(
  ctx: ServiceContext & { principal: Member },
  platform: Platform,
  ids: string[],
) {
  const rows = await ctx.tx
    .select({
      id: connections.id,
      externalAccountId: connections.externalAccountId,
      status: connections.status,
    })
    .from(connections)
    .where(
      and(
        eq(connections.tenantId, ctx.principal.tenantId),
        eq(connections.platform, platform),
        inArray(connections.externalAccountId, ids),
      ),
    )
  return new Map(rows.map((row) => [row.externalAccountId, row]))
}

/** Permission, limits and duplicates before any platform call, as the register-token flow does. */
export async function checkCanConnect(ctx: ServiceContext, platform: Platform, accounts: GrantedAccount[]) {
  authorize(ctx.principal, 'connections.manage')
  requireMember(ctx.principal)
  const existing = await existingConnections(
    { ...ctx, principal: ctx.principal },
    platform,
    accounts.map((account) => account.externalAccountId),
  )
  for (const { externalAccountId, tokens } of accounts) {
    const current = existing.get(externalAccountId)
    // A live connection is reconnected; anything else goes through the register checks.
    if (current && current.status !== 'disconnected') continue
    await checkCanRegister(ctx, { platform, externalAccountId, accessToken: tokens.accessToken })
  }
}

const registerInput = (platform: Platform, account: GrantedAccount) => ({
  platform,
  externalAccountId: account.externalAccountId,
  accessToken: account.tokens.accessToken,
  refreshToken: account.tokens.refreshToken ?? undefined,
  expiresAt: account.tokens.expiresAt ?? undefined,
})

/**
 * Creates or reconnects each account in one transaction: new accounts through registerConnection
 * (limits, duplicates, consent, backfill), live ones through reconnectConnection (new tokens,
 * keeping a refresh token the platform did not send again). A selection is closed in the same
 * transaction, so two concurrent submissions cannot both connect.
 */
export async function applyConnections(
  ctx: ServiceContext,
  platform: Platform,
  accounts: (GrantedAccount & { profile: Profile })[],
  options: { selectionId?: string } = {},
) {
  authorize(ctx.principal, 'connections.manage')
  requireMember(ctx.principal)
  const principal = ctx.principal
  if (options.selectionId) {
    const closed = await ctx.tx
      .update(oauthSelections)
      .set({ completedAt: ctx.now })
      .where(
        and(
          eq(oauthSelections.id, options.selectionId),
          eq(oauthSelections.tenantId, principal.tenantId),
          eq(oauthSelections.userId, principal.id),
          isNull(oauthSelections.completedAt),
          gt(oauthSelections.expiresAt, ctx.now),
        ),
      )
      .returning({ id: oauthSelections.id })
    if (closed.length === 0)
      throw new ApiError(409, 'SELECTION_USED', 'This selection was already used or expired.')
  }
  const existing = await existingConnections(
    { ...ctx, principal },
    platform,
    accounts.map((account) => account.externalAccountId),
  )
  const created = []
  const reconnected = []
  for (const account of accounts) {
    const input = registerInput(platform, account)
    const current = existing.get(account.externalAccountId)
    if (current && current.status !== 'disconnected') {
      reconnected.push(await reconnectConnection(ctx, current.id, input))
    } else {
      created.push(await registerConnection(ctx, input, account.profile))
    }
  }
  return { created, reconnected }
}

const METRICS = { module: 'metrics' } as const

/**
 * The connect path shared by the callback (one-account platforms) and the selection: the checks,
 * each token validated with the platform with no transaction open, then one transaction that
 * creates or reconnects. A selection's sealed tokens are deleted once it is used.
 */
async function connectGrantedAccounts(
  caller: Caller,
  platform: Platform,
  accounts: GrantedAccount[],
  options: { selectionId?: string } = {},
) {
  await caller.run((ctx) => checkCanConnect(ctx, platform, accounts), METRICS)
  const { config, tokens } = caller.services
  const validated: (GrantedAccount & { profile: Profile })[] = []
  for (const account of accounts) {
    const profile = await validateWithPlatform(config, registerInput(platform, account))
    validated.push({ ...account, profile })
  }
  const { result, tenantId } = await caller.run(
    async (ctx) => ({
      result: await applyConnections(ctx, platform, validated, options),
      tenantId: ctx.principal.tenantId,
    }),
    METRICS,
  )
  if (options.selectionId && tenantId)
    await tokens.delete(kvKeyOf(selectionRef(tenantId, options.selectionId)))
  return result
}

export type OAuthReturn = { state?: string; code?: string; error?: string }

/**
 * Where the platform sends the browser back, for the API's /oauth/callback and the portal's: the
 * signed state stands in for the bearer token (it names the tenant, the person and their session,
 * confirmed live as for any request) and its server-side row is used once; the code is exchanged
 * with no transaction open. One-account platforms are connected at once; a Facebook Login answers
 * the accounts it granted as a selection to pick from. A browser that is signed in must be the
 * session the state names: a callback URL opened in someone else's browser connects nothing.
 */
export async function completeOAuth(caller: Caller, platform: Platform, input: OAuthReturn) {
  if (input.error) {
    // The state is left alone: pressing back and accepting within its 10 minutes still works.
    // The platform's free text (error_description) is not echoed.
    throw input.error === 'access_denied'
      ? new ApiError(400, 'OAUTH_DENIED', `Access was not granted on ${platform}; nothing was connected.`)
      : new ApiError(
          400,
          'OAUTH_FAILED',
          `${platform} did not complete the authorization; nothing was connected.`,
        )
  }
  const { config } = caller.services
  const claims = input.state ? await verifyOAuthState(input.state, platform, config.JWT_SIGNING_KEYS) : null
  const signedIn = caller.credential
  const sameSession =
    !signedIn ||
    (signedIn.kind === 'token' &&
      signedIn.principal.id === claims?.userId &&
      signedIn.principal.sessionId === claims.sessionId)
  if (!claims || !input.code || !sameSession) throw oauthStateRefused()
  const member = caller.as({
    kind: 'token',
    principal: {
      kind: 'member',
      id: claims.userId,
      sessionId: claims.sessionId,
      role: claims.role,
      tenantId: claims.tenantId,
    },
  })
  const { codeVerifier, redirectUri } = await member.run((ctx) => consumeOAuthState(ctx, claims), METRICS)
  const granted = await exchangeAuthorization(config, platform, {
    code: input.code,
    redirectUri,
    codeVerifier,
  })
  if (oauthPlatforms[platform].grants === 'many') {
    const selection = await member.run((ctx) => createSelection(ctx, platform, granted), METRICS)
    return { kind: 'selection' as const, selection }
  }
  return { kind: 'connected' as const, ...(await connectGrantedAccounts(member, platform, granted)) }
}

/** The accounts a person picked from a selection: opened, checked, validated and connected. */
export async function connectSelection(caller: Caller, selectionId: string, externalAccountIds: string[]) {
  const selection = await caller.run((ctx) => openSelection(ctx, selectionId, externalAccountIds), METRICS)
  return connectGrantedAccounts(caller, selection.platform, selection.accounts, { selectionId })
}
