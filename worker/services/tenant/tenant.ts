import { and, count, eq, sql } from 'drizzle-orm'
import { connections, tenants } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import type { ServiceContext } from '../context.ts'
import { loadEntitlement } from '../licensing.ts'
import { countSeats } from './team.ts'

/**
 * `GET /tenant`: the caller's own tenant, its current license and plan, the modules it may use
 * right now (evaluated at request time), the plan's limits and what is used of them.
 */
export async function describeTenant({ tx, principal, now }: ServiceContext) {
  authorize(principal, 'tenant.read')
  const [tenant] = await tx
    .select({ id: tenants.id, slug: tenants.slug, name: tenants.name, status: tenants.status })
    .from(tenants)
    .where(eq(tenants.id, principal.tenantId))
  if (!tenant) throw notFound('tenant')
  const { license, plan, modules } = await loadEntitlement(tx, principal.tenantId, now)
  // What counts against connections_limit, as the connections service counts it: every connection
  // but the disconnected ones, whose metrics are kept after the tenant removed them. Raw SQL
  // because `disconnected` joins the status enum with the connections routes, not before.
  const [connected] = await tx
    .select({ n: count() })
    .from(connections)
    .where(and(eq(connections.tenantId, principal.tenantId), sql`${connections.status} <> 'disconnected'`))
  return {
    tenant,
    license: license && {
      status: license.status,
      effectiveStatus: license.effectiveStatus,
      validFrom: license.validFrom,
      validUntil: license.validUntil,
    },
    plan: plan && { code: plan.code, name: plan.name },
    modules,
    limits: plan?.limits ?? null,
    usage: { users: await countSeats(tx, principal.tenantId), connections: connected?.n ?? 0 },
  }
}
