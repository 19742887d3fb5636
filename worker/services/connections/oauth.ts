import { and, eq, gt, inArray, isNull, lt, ne } from 'drizzle-orm'
import type { Context } from 'hono'
import { connections, oauthSelections, oauthStates, type Platform } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { Principal } from '../../auth/principal.ts'
import type { Config } from '../../config.ts'
import { ConnectorError, type Profile } from '../../connectors/types.ts'
import type { AppEnv } from '../../env.ts'
import { ApiError, invalidField } from '../../errors.ts'
import { kvKeyOf, type SecretRef, StaleSecretError, Vault } from '../../vault/vault.ts'
import { runAs, type ServiceContext } from '../context.ts'
import { checkCanRegister, registerConnection, validateWithPlatform } from './connections.ts'
import { type GrantedAccount, type OAuthApp, oauthPlatforms } from './oauth-platforms.ts'
import {
  codeChallengeOf,
  newCodeVerifier,
  type OAuthStateClaims,
  STATE_TTL_SECONDS,
  signOAuthState,
} from './oauth-state.ts'
import { reconnectConnection } from './reconnect.ts'

/**
 * OAuth connect: start (a signed state bound to tenant, person and session, a server-side row,
 * PKCE where the platform has it), callback (state used once, code exchanged), a short-lived
 * selection where one login grants several accounts, and the connections themselves, made by the
 * same verbs as the register-token flow (registerConnection, reconnectConnection).
 */

/** How long a person has to pick accounts after a Facebook Login. */
export const SELECTION_TTL_SECONDS = 15 * 60

type Member = Extract<Principal, { kind: 'member' }>

/** OAuth happens in a person's browser: an API key has no one to send to the consent page. */
function requireMember(principal: Principal): asserts principal is Member {
  if (principal.kind !== 'member') {
    throw new ApiError(
      403,
      'NOT_A_SESSION',
      'Connecting through OAuth needs a signed-in user, not an API key.',
    )
  }
}

/** The platform app's credentials (`<PLATFORM>_CLIENT_ID` / `_CLIENT_SECRET` secrets). */
export function oauthAppFor(config: Config, platform: Platform): OAuthApp {
  const app = config.PLATFORM_APPS[platform]
  if (!app) {
    throw new ApiError(
      503,
      'OAUTH_NOT_CONFIGURED',
      `Connecting ${platform} through OAuth is not configured here.`,
    )
  }
  return app
}

/** One answer for a state that is forged, expired, used, or someone else's: nothing to tell apart. */
export const oauthStateRefused = () =>
  new ApiError(
    400,
    'OAUTH_STATE_INVALID',
    'This authorization link is invalid, expired or already used; start the connection again.',
  )

const selectionRef = (tenantId: string, selectionId: string): SecretRef => ({
  tenantId,
  ownerId: selectionId,
  purpose: 'access_token',
})

/** Expired states and selections of the tenant go, with any tokens a selection still holds. */
async function sweepExpired(ctx: ServiceContext<Member>) {
  const tenantId = ctx.principal.tenantId
  await ctx.tx
    .delete(oauthStates)
    .where(and(eq(oauthStates.tenantId, tenantId), lt(oauthStates.expiresAt, ctx.now)))
  const gone = await ctx.tx
    .delete(oauthSelections)
    .where(and(eq(oauthSelections.tenantId, tenantId), lt(oauthSelections.expiresAt, ctx.now)))
    .returning({ id: oauthSelections.id })
  for (const { id } of gone) await ctx.services.tokens.delete(kvKeyOf(selectionRef(tenantId, id)))
}

/**
 * Records an authorization in flight and returns the platform's authorization page with a signed
 * state; the PKCE verifier stays in the row and only its S256 challenge leaves.
 */
export async function startOAuth(ctx: ServiceContext, input: { platform: Platform; redirectUri: string }) {
  authorize(ctx.principal, 'connections.manage')
  requireMember(ctx.principal)
  const principal = ctx.principal
  const { config } = ctx.services
  const app = oauthAppFor(config, input.platform)
  const platform = oauthPlatforms[input.platform]
  await sweepExpired({ ...ctx, principal })

  const stateId = crypto.randomUUID()
  const codeVerifier = platform.pkce ? newCodeVerifier() : null
  const expiresAt = new Date(ctx.now.getTime() + STATE_TTL_SECONDS * 1000)
  await ctx.tx.insert(oauthStates).values({
    id: stateId,
    tenantId: principal.tenantId,
    userId: principal.id,
    platform: input.platform,
    codeVerifier,
    redirectUri: input.redirectUri,
    expiresAt,
  })
  const state = await signOAuthState(
    {
      stateId,
      userId: principal.id,
      tenantId: principal.tenantId,
      sessionId: principal.sessionId,
      role: principal.role,
      platform: input.platform,
    },
    config.JWT_SIGNING_KEYS,
    { now: ctx.now },
  )
  const url = new URL(platform.authUrl(config))
  const params = platform.authorizeParams({
    app,
    redirectUri: input.redirectUri,
    state,
    codeChallenge: codeVerifier ? await codeChallengeOf(codeVerifier) : null,
  })
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  return { authorizationUrl: url.href, expiresAt }
}

/**
 * Uses the state's row once: it must belong to this tenant, person and platform, be unused and
 * unexpired. The verifier is cleared in the same transaction: it exists only while needed.
 */
export async function consumeOAuthState(ctx: ServiceContext, claims: OAuthStateClaims) {
  authorize(ctx.principal, 'connections.manage')
  requireMember(ctx.principal)
  const [row] = await ctx.tx
    .select({ codeVerifier: oauthStates.codeVerifier, redirectUri: oauthStates.redirectUri })
    .from(oauthStates)
    .where(
      and(
        eq(oauthStates.id, claims.stateId),
        eq(oauthStates.tenantId, ctx.principal.tenantId),
        eq(oauthStates.userId, ctx.principal.id),
        eq(oauthStates.platform, claims.platform),
        isNull(oauthStates.usedAt),
        gt(oauthStates.expiresAt, ctx.now),
      ),
    )
    .for('update')
  if (!row) throw oauthStateRefused()
  await ctx.tx
    .update(oauthStates)
    .set({ usedAt: ctx.now, codeVerifier: null })
    .where(and(eq(oauthStates.id, claims.stateId), eq(oauthStates.tenantId, ctx.principal.tenantId)))
  return row
}

/** Exchanges the code at the platform (no transaction open) and lists the accounts it grants. */
export async function exchangeAuthorization(
  config: Config,
  platform: Platform,
  input: { code: string; redirectUri: string; codeVerifier: string | null },
): Promise<GrantedAccount[]> {
  const app = oauthAppFor(config, platform)
  try {
    return await oauthPlatforms[platform].exchange(config, app, input)
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error
    if (error.kind === 'throttled' || error.kind === 'transient') {
      throw new ApiError(503, 'PLATFORM_UNAVAILABLE', 'The platform is not answering; try again shortly.', {
        headers: { 'Retry-After': String(error.retryAfterSeconds ?? 30) },
      })
    }
    throw new ApiError(400, 'OAUTH_EXCHANGE_FAILED', `${error.message}; start the connection again.`)
  }
}

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

/**
 * The connect path shared by the callback (one-account platforms) and the selection: the checks,
 * each token validated with the platform with no transaction open, then one transaction that
 * creates or reconnects. A selection's sealed tokens are deleted once it is used.
 */
export async function connectGrantedAccounts(
  c: Context<AppEnv>,
  platform: Platform,
  accounts: GrantedAccount[],
  options: { selectionId?: string } = {},
) {
  await runAs(c, (ctx) => checkCanConnect(ctx, platform, accounts), { module: 'metrics' })
  const { config, tokens } = c.get('services')
  const validated: (GrantedAccount & { profile: Profile })[] = []
  for (const account of accounts) {
    const profile = await validateWithPlatform(config, registerInput(platform, account))
    validated.push({ ...account, profile })
  }
  const result = await runAs(c, (ctx) => applyConnections(ctx, platform, validated, options), {
    module: 'metrics',
  })
  const tenantId = c.get('tenantId')
  if (options.selectionId && tenantId)
    await tokens.delete(kvKeyOf(selectionRef(tenantId, options.selectionId)))
  return result
}
