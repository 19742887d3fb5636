import { and, desc, eq, lte, type SQL, sql } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import { type LicenseStatus, licenses, plans, tenants } from '../../../db/schema/index.ts'
import { authorizeOperator } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import { effectiveStatus, licenseUsableSql } from '../licensing.ts'
import { planRetired } from './plans.ts'
import { tenantDeleted } from './tenants.ts'

const DAY_MS = 86_400_000

type LicenseRow = typeof licenses.$inferSelect

/** A license as the API shows it; `effectiveStatus` is the status as of now (expiry needs no cron). */
function licenseView(row: LicenseRow, now: Date) {
  return {
    id: row.id,
    tenantId: row.tenantId,
    planId: row.planId,
    status: row.status,
    effectiveStatus: effectiveStatus(row, now),
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    externalRef: row.externalRef,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

const EXTERNAL_REF_CONFLICTS = {
  licenses_external_ref_key: () =>
    new ApiError(409, 'EXTERNAL_REF_TAKEN', 'Another license already has this external reference.'),
}

/** Licenses usable now (`license_usable`, the rule every module gate reads) whose validity ends within `days`. */
export function expiringWithin(days: number, now: Date): SQL | undefined {
  return and(
    licenseUsableSql(licenses, now),
    lte(licenses.validUntil, new Date(now.getTime() + days * DAY_MS)),
  )
}

/** The status as of `now`, in SQL: what `effectiveStatus` computes, so filters match what rows show. */
const effectiveStatusSql = (now: Date) =>
  sql<LicenseStatus>`case when ${licenses.status} in ('trialing', 'active') and ${licenses.validUntil} <= ${now} then 'expired' else ${licenses.status} end`

export type NewLicense = {
  tenantId: string
  planId: string
  status: 'trialing' | 'active'
  validFrom?: Date
  validUntil?: Date
  days?: number
  externalRef?: string
}

/** Creates a license; it becomes the tenant's current one (the latest created wins). */
export async function createLicense(ctx: ServiceContext, input: NewLicense) {
  authorizeOperator(ctx.principal)
  const [tenant] = await ctx.tx
    .select({ status: tenants.status })
    .from(tenants)
    .where(eq(tenants.id, input.tenantId))
  if (!tenant) throw notFound('tenant')
  if (tenant.status === 'deleted') throw tenantDeleted()
  const [plan] = await ctx.tx
    .select({ code: plans.code, retiredAt: plans.retiredAt })
    .from(plans)
    .where(eq(plans.id, input.planId))
  if (!plan) throw notFound('plan')
  if (plan.retiredAt) throw planRetired()

  const validFrom = input.validFrom ?? ctx.now
  const validUntil = input.validUntil ?? new Date(validFrom.getTime() + (input.days ?? 0) * DAY_MS)
  if (validUntil <= validFrom) throw invalidField('json.valid_until', 'must be after valid_from')
  if (validUntil <= ctx.now) throw invalidField('json.valid_until', 'must be in the future')

  const [row] = await ctx.tx
    .insert(licenses)
    .values({
      id: newId('lic'),
      tenantId: input.tenantId,
      planId: input.planId,
      status: input.status,
      validFrom,
      validUntil,
      externalRef: input.externalRef ?? null,
    })
    .returning()
    .catch(onUniqueViolation(EXTERNAL_REF_CONFLICTS))
  if (!row) throw new Error('insert returned no row')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'license.created',
    tenantId: row.tenantId,
    target: { type: 'license', id: row.id },
    data: {
      plan_id: row.planId,
      plan_code: plan.code,
      to: row.status,
      valid_from: row.validFrom.toISOString(),
      valid_until: row.validUntil.toISOString(),
    },
  })
  return licenseView(row, ctx.now)
}

/** Licenses newest first; `status` filters on the status as of now. */
export async function listLicenses(
  ctx: ServiceContext,
  input: {
    status?: LicenseStatus
    tenantId?: string
    expiringWithinDays?: number
    limit: number
    cursor?: string
  },
) {
  authorizeOperator(ctx.principal)
  const rows = await ctx.tx
    .select({
      license: licenses,
      id: licenses.id,
      sortKey: sortKey(licenses.createdAt),
      planCode: plans.code,
      tenantSlug: tenants.slug,
    })
    .from(licenses)
    .innerJoin(plans, eq(plans.id, licenses.planId))
    .innerJoin(tenants, eq(tenants.id, licenses.tenantId))
    .where(
      and(
        input.status ? eq(effectiveStatusSql(ctx.now), input.status) : undefined,
        input.tenantId ? eq(licenses.tenantId, input.tenantId) : undefined,
        input.expiringWithinDays === undefined
          ? undefined
          : expiringWithin(input.expiringWithinDays, ctx.now),
        afterCursor(byCreatedAt(licenses, 'lic'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(licenses.createdAt), desc(licenses.id))
    .limit(input.limit + 1)
  const page = cutPage(rows, input.limit)
  return {
    data: page.data.map((row) => ({
      ...licenseView(row.license, ctx.now),
      planCode: row.planCode,
      tenantSlug: row.tenantSlug,
    })),
    nextCursor: page.nextCursor,
  }
}

/**
 * The operator's status changes. Canceled is final (sell a new license instead); an expired
 * license comes back only through renew, which gives it a new validity.
 */
const TRANSITIONS = {
  activate: { from: ['trialing', 'past_due', 'suspended'], to: 'active', action: 'license.activated' },
  suspend: { from: ['trialing', 'active', 'past_due'], to: 'suspended', action: 'license.suspended' },
  expire: {
    from: ['trialing', 'active', 'past_due', 'suspended'],
    to: 'expired',
    action: 'license.expired',
  },
  renew: {
    from: ['trialing', 'active', 'past_due', 'suspended', 'expired'],
    to: 'active',
    action: 'license.renewed',
  },
} as const satisfies Record<string, { from: LicenseStatus[]; to: LicenseStatus; action: string }>

export type LicenseTransition = keyof typeof TRANSITIONS

const invalidTransition = (message: string) => new ApiError(409, 'INVALID_TRANSITION', message)

/**
 * Moves a license to another status and writes the change (from/to status, validity) to the
 * audit log. `renew` also extends validity: by `days` from the later of now and the current end,
 * or to an explicit `validUntil` that must extend it.
 */
export async function transitionLicense(
  ctx: ServiceContext,
  licenseId: string,
  transition: LicenseTransition,
  renewal: { days?: number; validUntil?: Date } = {},
) {
  authorizeOperator(ctx.principal)
  const step = TRANSITIONS[transition]
  const [found] = await ctx.tx
    .select({ license: licenses, tenantStatus: tenants.status })
    .from(licenses)
    .innerJoin(tenants, eq(tenants.id, licenses.tenantId))
    .where(eq(licenses.id, licenseId))
    .for('update', { of: licenses })
  if (!found) throw notFound('license')
  const { license: before, tenantStatus } = found
  if (!(step.from as readonly LicenseStatus[]).includes(before.status)) {
    throw invalidTransition(`A ${before.status} license cannot be ${step.action.slice('license.'.length)}.`)
  }
  if (step.to === 'active' && tenantStatus === 'deleted') throw tenantDeleted()

  let validUntil = before.validUntil
  if (transition === 'renew') {
    const base = new Date(Math.max(before.validUntil.getTime(), ctx.now.getTime()))
    validUntil = renewal.validUntil ?? new Date(base.getTime() + (renewal.days ?? 0) * DAY_MS)
    if (validUntil <= base) {
      throw invalidField('json.valid_until', `must be later than ${base.toISOString()} to extend the license`)
    }
  } else if (transition === 'activate' && before.validUntil <= ctx.now) {
    throw invalidTransition('This license’s validity has ended; renew it instead.')
  }

  const [row] = await ctx.tx
    .update(licenses)
    .set({ status: step.to, validUntil, updatedAt: ctx.now })
    .where(eq(licenses.id, licenseId))
    .returning()
  if (!row) throw notFound('license')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: step.action,
    tenantId: row.tenantId,
    target: { type: 'license', id: row.id },
    data: {
      from: before.status,
      to: row.status,
      valid_from: row.validFrom.toISOString(),
      valid_until: row.validUntil.toISOString(),
      ...(transition === 'renew' ? { previous_valid_until: before.validUntil.toISOString() } : {}),
    },
  })
  return licenseView(row, ctx.now)
}
