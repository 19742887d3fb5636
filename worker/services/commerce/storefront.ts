import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { ApiError, notFound } from '../../errors.ts'
import { describeError, log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import type { ServiceContext } from '../context.ts'
import { tenantHasModuleSql } from '../licensing.ts'

/** Who moved something in commerce: a staff principal, the customer at the storefront, or the system. */
export type CommerceActor = {
  type: 'member' | 'api_key' | 'customer' | 'system' | 'payment_provider'
  id: string | null
}

/**
 * What commerce's own functions work with, whoever is asking: the open transaction of one tenant
 * (row-level security set to it), the runtime handles, the request facts and the actor, and the
 * hook that runs work once the transaction has committed. Staff verbs build it from their
 * ServiceContext (`fromService`), the storefront from the tenant's slug (`runStorefront`), the cron
 * and the payment webhook from the tenant they act for.
 */
export type CommerceScope = {
  tx: Tx
  tenantId: string
  services: Services
  meta: RequestMeta | null
  now: Date
  actor: CommerceActor
  afterCommit(task: () => Promise<void>): void
}

/**
 * Runs `work` in one transaction of the tenant whose slug the storefront names, as the customer.
 * One statement finds the tenant, sets it for row-level security and checks that it is active and
 * its license grants `commerce`; an unknown slug and a tenant without the module both read as 404
 * (a public page says nothing about why). Work queued with `afterCommit` runs after the commit.
 */
export async function runStorefront<T>(
  services: Services,
  meta: RequestMeta | null,
  slug: string,
  work: (scope: CommerceScope) => Promise<T>,
  actor: CommerceActor = { type: 'customer', id: null },
): Promise<T> {
  const committed: (() => Promise<void>)[] = []
  const result = await services.db.transaction(async (tx) => {
    const now = new Date()
    const [tenant] = await tx
      .execute<{ id: string }>(sql`
        select t.id, set_config('app.tenant_id', t.id, true)
        from tenants t
        where t.slug = ${slug} and t.status = 'active' and ${tenantHasModuleSql(sql`t.id`, 'commerce', now)}`)
      .then((r) => r.rows)
    if (!tenant) throw notFound('store')
    return work({
      tx,
      tenantId: tenant.id,
      services,
      meta,
      now,
      actor,
      afterCommit: (task) => void committed.push(task),
    })
  })
  await runCommitted(committed)
  return result
}

/** The tasks of a committed transaction, in order; a failure is logged and the next still runs. */
export async function runCommitted(tasks: (() => Promise<void>)[]): Promise<void> {
  for (const task of tasks) {
    await task().catch((error: unknown) =>
      log('warn', 'commerce after-commit task failed', describeError(error)),
    )
  }
}

/** Slugs as tenants have them (tenants_slug_format): anything else is no tenant, without a query. */
export const TENANT_SLUG = /^[a-z0-9](-?[a-z0-9])*$/

/** The scope of a staff verb (after its `authorize`): its transaction and tenant, the principal as the actor. */
export function fromService(ctx: ServiceContext): CommerceScope {
  const { principal } = ctx
  if (!principal.tenantId) throw new ApiError(403, 'FORBIDDEN', 'Only a tenant has stores.')
  return {
    tx: ctx.tx,
    tenantId: principal.tenantId,
    services: ctx.services,
    meta: ctx.meta,
    now: ctx.now,
    actor: { type: principal.kind === 'api_key' ? 'api_key' : 'member', id: principal.id },
    afterCommit: ctx.afterCommit,
  }
}
