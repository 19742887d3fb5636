import { desc, eq } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { licenses, plans, tenants, webhookDeliveries } from '../../../db/schema/index.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { ApiError } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'
import { type BillingEvent, STATUS_BY_EVENT } from './events.ts'

export const BILLING_PROVIDER = 'billing'

type License = typeof licenses.$inferSelect

export type BillingOutcome =
  | { status: 'duplicate' }
  | {
      status: 'processed'
      license: { id: string; status: string; planCode: string; validFrom: Date; validUntil: Date }
    }

const licenseNotFound = () =>
  new ApiError(404, 'LICENSE_NOT_FOUND', 'The tenant has no license matching this event.')

/**
 * Applies one verified billing delivery. Everything happens in one transaction that starts by
 * claiming the delivery id in `webhook_deliveries`: a redelivery finds it taken and changes
 * nothing, and a concurrent duplicate waits on the primary key until the first commits (then
 * sees the conflict) or rolls back (then applies it itself). Any error rolls the claim back too,
 * so a rejected delivery can be sent again once the cause is fixed.
 */
export async function applyBillingEvent(
  services: Services,
  meta: RequestMeta,
  input: { deliveryId: string; event: BillingEvent },
): Promise<BillingOutcome> {
  const { deliveryId, event } = input
  const { data } = event
  return services.db.transaction(
    async (tx): Promise<BillingOutcome> => {
      const claimed = await tx
        .insert(webhookDeliveries)
        .values({ provider: BILLING_PROVIDER, deliveryId, eventType: event.type })
        .onConflictDoNothing()
        .returning({ deliveryId: webhookDeliveries.deliveryId })
      if (claimed.length === 0) return { status: 'duplicate' }

      const [tenant] = await tx
        .select({ id: tenants.id })
        .from(tenants)
        .where(data.tenant_id ? eq(tenants.id, data.tenant_id) : eq(tenants.slug, data.tenant_slug ?? ''))
      if (!tenant) throw new ApiError(404, 'TENANT_NOT_FOUND', 'No tenant matches this event.')

      const license = await findLicense(tx, tenant.id, data.license_external_ref)
      const [plan] = await tx
        .select({ id: plans.id, code: plans.code })
        .from(plans)
        .where(data.plan_code ? eq(plans.code, data.plan_code) : eq(plans.id, license.planId))
      if (!plan) throw new ApiError(404, 'PLAN_NOT_FOUND', `No plan has the code ${data.plan_code}.`)

      const validFrom = data.valid_from ?? license.validFrom
      const validUntil = data.valid_until ?? license.validUntil
      // The table's check constraint would refuse it too, but as a 500 instead of an answer.
      if (validUntil <= validFrom) {
        throw new ApiError(400, 'INVALID_VALIDITY', 'valid_until must be after valid_from.', {
          fields: [{ path: 'json.data.valid_until', message: 'must be after valid_from' }],
        })
      }
      const [updated] = await tx
        .update(licenses)
        .set({
          status: STATUS_BY_EVENT[event.type],
          planId: plan.id,
          validFrom,
          validUntil,
          externalRef: data.license_external_ref ?? license.externalRef,
          updatedAt: new Date(),
        })
        .where(eq(licenses.id, license.id))
        .returning()
      if (!updated) throw licenseNotFound()

      await writeAudit(tx, { type: 'billing', id: null }, meta, {
        action: event.type,
        tenantId: tenant.id,
        target: { type: 'license', id: license.id },
        data: { delivery_id: deliveryId, before: snapshot(license), after: snapshot(updated) },
      })
      return {
        status: 'processed',
        license: {
          id: updated.id,
          status: updated.status,
          planCode: plan.code,
          validFrom: updated.validFrom,
          validUntil: updated.validUntil,
        },
      }
    },
    // Operator mode: the sender is authenticated by its signature, not as a tenant principal, and
    // the license is found by an external reference before its tenant is trusted (a reference
    // owned by another tenant must be seen to be refused). This is the explicit system path
    // across tenants that row-level security allows; every change it makes writes an audit row.
    { operator: true },
  )
}

/**
 * The license an event is about, locked for the update. With a reference: the license carrying
 * it, which must belong to the event's tenant; a reference seen for the first time links the
 * tenant's current license when that one has none yet (the subscription was created after the
 * license). Without one: the tenant's current license, the one entitlements read.
 */
async function findLicense(tx: Tx, tenantId: string, externalRef: string | undefined): Promise<License> {
  if (externalRef) {
    const [byRef] = await tx
      .select()
      .from(licenses)
      .where(eq(licenses.externalRef, externalRef))
      .for('update')
    if (byRef) {
      // Another tenant's subscription answers exactly like an unknown one.
      if (byRef.tenantId !== tenantId) throw licenseNotFound()
      return byRef
    }
  }
  const [current] = await tx
    .select()
    .from(licenses)
    .where(eq(licenses.tenantId, tenantId))
    .orderBy(desc(licenses.createdAt))
    .limit(1)
    .for('update')
  if (!current || (externalRef && current.externalRef)) throw licenseNotFound()
  return current
}

function snapshot(license: License) {
  return {
    status: license.status,
    plan_id: license.planId,
    valid_from: license.validFrom.toISOString(),
    valid_until: license.validUntil.toISOString(),
    external_ref: license.externalRef,
  }
}
