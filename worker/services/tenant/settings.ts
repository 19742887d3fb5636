import { eq } from 'drizzle-orm'
import { tenants } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'

/**
 * The tenant's settings: whether X (billed per read) is collected at all, and the business's time
 * zone (times on screen for members without a zone of their own).
 */
export async function getSettings(ctx: ServiceContext) {
  authorize(ctx.principal, 'tenant.read')
  const [row] = await ctx.tx
    .select({ xCollectionEnabled: tenants.xCollectionEnabled, timeZone: tenants.timeZone })
    .from(tenants)
    .where(eq(tenants.id, ctx.principal.tenantId))
  if (!row) throw notFound('tenant')
  return row
}

export type SettingsChange = { xCollectionEnabled?: boolean; timeZone?: string }

/** Changes what is given and differs; one audit row lists each change from → to. */
export async function updateSettings(ctx: ServiceContext, input: SettingsChange) {
  authorize(ctx.principal, 'connections.manage')
  const before = await getSettings(ctx)
  const changed = (Object.keys(input) as (keyof SettingsChange)[]).filter(
    (key) => input[key] !== undefined && input[key] !== before[key],
  )
  if (changed.length > 0) {
    await ctx.tx
      .update(tenants)
      .set({ ...Object.fromEntries(changed.map((key) => [key, input[key]])), updatedAt: ctx.now })
      .where(eq(tenants.id, ctx.principal.tenantId))
    await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
      action: 'tenant.settings_changed',
      tenantId: ctx.principal.tenantId,
      target: { type: 'tenant', id: ctx.principal.tenantId },
      data: Object.fromEntries(changed.map((key) => [SNAKE[key], { from: before[key], to: input[key] }])),
    })
  }
  return getSettings(ctx)
}

const SNAKE: Record<keyof SettingsChange, string> = {
  xCollectionEnabled: 'x_collection_enabled',
  timeZone: 'time_zone',
}
