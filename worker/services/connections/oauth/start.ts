import { and, eq, gt, isNull, lt } from 'drizzle-orm'
import { oauthSelections, oauthStates, type Platform } from '../../../../db/schema/index.ts'
import { authorize } from '../../../auth/permissions.ts'
import type { Config } from '../../../config.ts'
import { oauthPlatforms } from '../../../connectors/index.ts'
import type { GrantedAccount } from '../../../connectors/oauth.ts'
import { ConnectorError } from '../../../connectors/types.ts'
import { ApiError } from '../../../errors.ts'
import { kvKeyOf } from '../../../vault/vault.ts'
import type { ServiceContext } from '../../context.ts'
import { type Member, oauthAppFor, oauthStateRefused, requireMember, selectionRef } from './shared.ts'
import {
  codeChallengeOf,
  newCodeVerifier,
  type OAuthStateClaims,
  STATE_TTL_SECONDS,
  signOAuthState,
} from './state.ts'

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
