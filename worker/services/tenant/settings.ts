import { eq } from 'drizzle-orm'
import { tenants } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'

/** The tenant's collection settings (today: whether X, billed per read, is collected at all). */
export async function getSettings(ctx: ServiceContext) {
  authorize(ctx.principal, 'tenant.read')
  const [row] = await ctx.tx
    .select({ xCollectionEnabled: tenants.xCollectionEnabled })
    .from(tenants)
    .where(eq(tenants.id, ctx.principal.tenantId))
  return row ?? { xCollectionEnabled: true }
}

export async function updateSettings(ctx: ServiceContext, input: { xCollectionEnabled?: boolean }) {
  authorize(ctx.principal, 'connections.manage')
  const before = await getSettings(ctx)
  if (input.xCollectionEnabled !== undefined && input.xCollectionEnabled !== before.xCollectionEnabled) {
    await ctx.tx
      .update(tenants)
      .set({ xCollectionEnabled: input.xCollectionEnabled, updatedAt: ctx.now })
      .where(eq(tenants.id, ctx.principal.tenantId))
    await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
      action: 'tenant.settings_changed',
      tenantId: ctx.principal.tenantId,
      target: { type: 'tenant', id: ctx.principal.tenantId },
      data: { x_collection_enabled: { from: before.xCollectionEnabled, to: input.xCollectionEnabled } },
    })
  }
  return getSettings(ctx)
}
