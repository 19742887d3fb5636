import { and, eq } from 'drizzle-orm'
import { connections } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import { Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { Caller } from '../caller.ts'
import type { ServiceContext } from '../context.ts'
import { getConnection, validateWithPlatform } from './connections.ts'

/** Permission first, then the connection (404 for another tenant's) whose platform checks the token. */
export async function getForReconnect(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'connections.manage')
  const connection = await getConnection(ctx, id)
  if (connection.status === 'disconnected') throw notFound('connection')
  return connection
}

export type ReconnectInput = { accessToken: string; refreshToken?: string; expiresAt?: Date }

/**
 * Stores new tokens for an existing connection (after `needs_reconnect`, or to replace a token)
 * as the next version, and makes it active again. A refresh token the platform did not send
 * again is carried over to the new version: a reconnect never loses it.
 */
export async function reconnectConnection(ctx: ServiceContext, id: string, input: ReconnectInput) {
  authorize(ctx.principal, 'connections.manage')
  const tenantId = ctx.principal.tenantId
  const before = await getConnection(ctx, id)
  const [row] = await ctx.tx
    .select({ version: connections.tokenVersion, hasRefreshToken: connections.hasRefreshToken })
    .from(connections)
    .where(and(eq(connections.id, id), eq(connections.tenantId, tenantId)))
    .for('update')
  if (!row) throw new Error('connection vanished under lock')
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  const ref = { tenantId, ownerId: id }
  const version = row.version + 1
  const refreshToken =
    input.refreshToken ??
    (row.hasRefreshToken ? await vault.find({ ...ref, purpose: 'refresh_token' }, row.version) : null)
  await vault.put({ ...ref, purpose: 'access_token' }, input.accessToken, version)
  if (refreshToken) await vault.put({ ...ref, purpose: 'refresh_token' }, refreshToken, version)
  await ctx.tx
    .update(connections)
    .set({
      tokenVersion: version,
      tokenExpiresAt: input.expiresAt ?? null,
      hasRefreshToken: Boolean(refreshToken),
      status: 'active',
      lastError: null,
      lastErrorAt: null,
      nextCollectAt: ctx.now,
      updatedAt: ctx.now,
    })
    .where(and(eq(connections.id, id), eq(connections.tenantId, tenantId)))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'connection.reconnected',
    tenantId,
    target: { type: 'connection', id },
    data: { from: before.status, kept_refresh_token: Boolean(refreshToken && !input.refreshToken) },
  })
  return getConnection(ctx, id)
}

/**
 * The reconnect flow of the API and the portal: the connection (permission first), the new token
 * checked with its platform with no transaction open, then stored as the next vault version.
 */
export async function reconnectWithToken(caller: Caller, id: string, input: ReconnectInput) {
  const current = await caller.run((ctx) => getForReconnect(ctx, id), { module: 'metrics' })
  await validateWithPlatform(caller.services.config, {
    platform: current.platform,
    externalAccountId: current.externalAccountId,
    accessToken: input.accessToken,
  })
  return caller.run((ctx) => reconnectConnection(ctx, id, input), { module: 'metrics' })
}
