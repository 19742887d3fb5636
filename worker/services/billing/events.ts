import { z } from 'zod'
import type { LicenseStatus } from '../../../db/schema/index.ts'
import { dateTimeField } from '../../dates.ts'

/**
 * The events the billing provider sends to `POST /webhooks/billing` (documented in the README,
 * "Billing webhook"). Unknown top-level and `data` fields are ignored so the provider can add
 * fields without breaking deliveries; anything that is there must be well-formed.
 */
export const BILLING_EVENT_TYPES = [
  'license.activated',
  'license.past_due',
  'license.canceled',
  'license.renewed',
] as const

export type BillingEventType = (typeof BILLING_EVENT_TYPES)[number]

/** The license status each event sets; validity and plan come from the event's data. */
export const STATUS_BY_EVENT: Record<BillingEventType, LicenseStatus> = {
  'license.activated': 'active',
  'license.past_due': 'past_due',
  'license.canceled': 'canceled',
  'license.renewed': 'active',
}

const instant = dateTimeField.transform((value) => new Date(value))

export const billingEvent = z
  .object({
    type: z.enum(BILLING_EVENT_TYPES),
    data: z.object({
      tenant_id: z
        .string()
        .regex(/^ten_[0-9a-z]{20}$/, 'must be a ten_… id')
        .optional(),
      tenant_slug: z
        .string()
        .max(48)
        .regex(/^[a-z0-9](-?[a-z0-9])*$/, 'must be a tenant slug')
        .optional(),
      /** The provider's subscription id; links the license on first sight (see applyBillingEvent). */
      license_external_ref: z.string().trim().min(1).max(200).optional(),
      plan_code: z.string().trim().min(1).max(64).optional(),
      valid_from: instant.optional(),
      valid_until: instant.optional(),
    }),
  })
  .superRefine((event, ctx) => {
    const { data } = event
    if (Boolean(data.tenant_id) === Boolean(data.tenant_slug)) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'tenant_id'],
        message: 'exactly one of tenant_id and tenant_slug is required',
      })
    }
    if (event.type === 'license.renewed' && !data.valid_until) {
      ctx.addIssue({ code: 'custom', path: ['data', 'valid_until'], message: 'required for license.renewed' })
    }
    if (data.valid_from && data.valid_until && data.valid_until <= data.valid_from) {
      ctx.addIssue({ code: 'custom', path: ['data', 'valid_until'], message: 'must be after valid_from' })
    }
  })

export type BillingEvent = z.infer<typeof billingEvent>
