import { desc, eq } from 'drizzle-orm'
import type { Tx } from '../../db/client.ts'
import { type LicenseStatus, licenses, type Module, plans } from '../../db/schema/index.ts'

export type Entitlement = {
  license: {
    id: string
    status: LicenseStatus
    /** The status as of now: an active license past valid_until reads as expired before the sweep runs. */
    effectiveStatus: LicenseStatus
    validFrom: Date
    validUntil: Date
    externalRef: string | null
  } | null
  plan: {
    id: string
    code: string
    name: string
    modules: Module[]
    limits: { users: number; connections: number; retentionDays: number; collectionIntervalMinutes: number }
  } | null
  /** The plan's modules while the license is trialing or active and inside its validity; else none. */
  modules: Module[]
}

const USABLE: LicenseStatus[] = ['trialing', 'active']

/** The license status at `now`, evaluated at request time so expiry is right without any cron. */
export function effectiveStatus(
  license: { status: LicenseStatus; validFrom: Date; validUntil: Date },
  now: Date,
): LicenseStatus {
  if (USABLE.includes(license.status) && license.validUntil <= now) return 'expired'
  return license.status
}

export function isUsable(
  license: { status: LicenseStatus; validFrom: Date; validUntil: Date },
  now: Date,
): boolean {
  return USABLE.includes(effectiveStatus(license, now)) && license.validFrom <= now
}

/** The tenant's current license (the latest one) with its plan and effective modules; one statement. */
export async function loadEntitlement(tx: Tx, tenantId: string, now = new Date()): Promise<Entitlement> {
  const [row] = await tx
    .select({ license: licenses, plan: plans })
    .from(licenses)
    .innerJoin(plans, eq(plans.id, licenses.planId))
    .where(eq(licenses.tenantId, tenantId))
    .orderBy(desc(licenses.createdAt))
    .limit(1)
  if (!row) return { license: null, plan: null, modules: [] }
  const { license, plan } = row
  return {
    license: {
      id: license.id,
      status: license.status,
      effectiveStatus: effectiveStatus(license, now),
      validFrom: license.validFrom,
      validUntil: license.validUntil,
      externalRef: license.externalRef,
    },
    plan: {
      id: plan.id,
      code: plan.code,
      name: plan.name,
      modules: plan.modules as Module[],
      limits: {
        users: plan.usersLimit,
        connections: plan.connectionsLimit,
        retentionDays: plan.retentionDays,
        collectionIntervalMinutes: plan.collectionIntervalMinutes,
      },
    },
    modules: isUsable(license, now) ? (plan.modules as Module[]) : [],
  }
}
