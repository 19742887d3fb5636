import { eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { metaWebhookSettings, tenants } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { type SecretRef, Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import {
  forgetMetaEndpoint,
  META_WEBHOOK_OWNER,
  type MetaWebhookSecrets,
  metaEdgeKvKey,
} from './meta-endpoint.ts'

const ref = (tenantId: string, purpose: 'app_secret' | 'verify_token'): SecretRef => ({
  tenantId,
  ownerId: META_WEBHOOK_OWNER,
  purpose,
})

async function slugOf(tx: Tx, tenantId: string): Promise<string> {
  const [tenant] = await tx.select({ slug: tenants.slug }).from(tenants).where(eq(tenants.id, tenantId))
  if (!tenant) throw notFound('tenant')
  return tenant.slug
}

/**
 * Whether the tenant's Meta webhook is configured and the callback URL to give Meta. The secrets
 * themselves are never returned, not even masked.
 */
export async function getMetaWebhookSettings(ctx: ServiceContext, input: { origin: string }) {
  authorize(ctx.principal, 'connections.read')
  const tenantId = ctx.principal.tenantId
  const slug = await slugOf(ctx.tx, tenantId)
  const [row] = await ctx.tx
    .select({ updatedAt: metaWebhookSettings.updatedAt })
    .from(metaWebhookSettings)
    .where(eq(metaWebhookSettings.tenantId, tenantId))
  return {
    appSecretSet: Boolean(row),
    verifyTokenSet: Boolean(row),
    callbackUrl: `${input.origin}/webhooks/meta/${slug}`,
    updatedAt: row?.updatedAt ?? null,
  }
}

/**
 * Stores the app secret and verify token: in the vault under the tenant's data key (the record
 * of truth, versioned in `meta_webhook_settings`) and as the edge copy the webhook path reads
 * without Postgres. Owners and admins (`connections.manage`); audited without the values.
 */
export async function saveMetaWebhookSettings(
  ctx: ServiceContext,
  input: { appSecret: string; verifyToken: string; origin: string },
) {
  authorize(ctx.principal, 'connections.manage')
  const tenantId = ctx.principal.tenantId
  const [saved] = await ctx.tx
    .insert(metaWebhookSettings)
    .values({ tenantId, updatedBy: ctx.principal.id })
    .onConflictDoUpdate({
      target: metaWebhookSettings.tenantId,
      set: {
        version: sql`${metaWebhookSettings.version} + 1`,
        updatedBy: ctx.principal.id,
        updatedAt: ctx.now,
      },
    })
    .returning({ version: metaWebhookSettings.version })
  const version = saved?.version ?? 1
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  await vault.put(ref(tenantId, 'app_secret'), input.appSecret, version)
  await vault.put(ref(tenantId, 'verify_token'), input.verifyToken, version)
  const slug = await writeEdgeCopy(ctx.tx, vault, tenantId, {
    app_secret: input.appSecret,
    verify_token: input.verifyToken,
  })
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: version === 1 ? 'webhooks.meta_settings_created' : 'webhooks.meta_settings_changed',
    tenantId,
    target: { type: 'tenant', id: tenantId },
    data: { version, slug },
  })
  return getMetaWebhookSettings(ctx, input)
}

async function writeEdgeCopy(tx: Tx, vault: Vault, tenantId: string, secrets: MetaWebhookSecrets) {
  const slug = await slugOf(tx, tenantId)
  await vault.putEdgeCopy(tenantId, META_WEBHOOK_OWNER, metaEdgeKvKey(slug), JSON.stringify(secrets))
  forgetMetaEndpoint(slug)
  return slug
}

/**
 * Rewrites the edge copy from the vault under the tenant's current slug (the previous one is
 * deleted): for a renamed tenant, whose webhook URL changes with its slug. A no-op without settings.
 */
export async function refreshMetaEdgeCopy(tx: Tx, services: Services, tenantId: string): Promise<boolean> {
  const [row] = await tx
    .select({ version: metaWebhookSettings.version })
    .from(metaWebhookSettings)
    .where(eq(metaWebhookSettings.tenantId, tenantId))
  if (!row) return false
  const vault = new Vault(tx, services.tokens, services.config.VAULT_MASTER_KEYS)
  await writeEdgeCopy(tx, vault, tenantId, {
    app_secret: await vault.get(ref(tenantId, 'app_secret'), row.version),
    verify_token: await vault.get(ref(tenantId, 'verify_token'), row.version),
  })
  return true
}
