import { z } from 'zod'
import { LICENSE_STATUSES } from '../../../db/schema/index.ts'
import { dateTimeField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { createLicense, listLicenses, transitionLicense } from '../../services/admin/licenses.ts'
import { validate } from '../../validator.ts'

const daysField = z.int().min(1).max(3660)
const oneValidityEnd = (body: { valid_until?: string; days?: number }) =>
  (body.valid_until === undefined) !== (body.days === undefined)
const ONE_VALIDITY_END = { message: 'send either valid_until or days', path: ['valid_until'] }

export const licenseParam = idParam('lic')
export const createLicenseBody = z
  .object({
    tenant_id: idParam('ten').shape.id,
    plan_id: idParam('pln').shape.id,
    status: z.enum(['trialing', 'active']).default('active'),
    valid_from: dateTimeField.optional(),
    valid_until: dateTimeField.optional(),
    days: daysField.optional(),
    external_ref: z.string().trim().min(1).max(200).optional(),
  })
  .refine(oneValidityEnd, ONE_VALIDITY_END)
export const renewLicenseBody = z
  .object({ valid_until: dateTimeField.optional(), days: daysField.optional() })
  .refine(oneValidityEnd, ONE_VALIDITY_END)
export const listLicensesQuery = pageQuery.extend({
  status: z.enum(LICENSE_STATUSES).optional(),
  tenant_id: idParam('ten').shape.id.optional(),
  expiring_within_days: z.coerce.number().int().min(1).max(3660).optional(),
})

const optionalDate = (value: string | undefined) => (value === undefined ? undefined : new Date(value))

/** Operators sell plans to tenants: licenses, their validity and their status. */
export function registerAdminLicenses(app: App) {
  app.post(
    '/api/v1/admin/licenses',
    authenticate,
    permit('operator'),
    validate('json', createLicenseBody),
    async (c) => {
      const body = c.req.valid('json')
      const license = await c.var.caller.run((ctx) =>
        createLicense(ctx, {
          tenantId: body.tenant_id,
          planId: body.plan_id,
          status: body.status,
          validFrom: optionalDate(body.valid_from),
          validUntil: optionalDate(body.valid_until),
          days: body.days,
          externalRef: body.external_ref,
        }),
      )
      return c.json(snake(license), 201)
    },
  )

  /** `status` matches the status as of now; `expiring_within_days` keeps usable licenses ending soon. */
  app.get(
    '/api/v1/admin/licenses',
    authenticate,
    permit('operator'),
    validate('query', listLicensesQuery),
    async (c) => {
      const query = c.req.valid('query')
      const page = await c.var.caller.run((ctx) =>
        listLicenses(ctx, {
          status: query.status,
          tenantId: query.tenant_id,
          expiringWithinDays: query.expiring_within_days,
          limit: query.limit,
          cursor: query.cursor,
        }),
      )
      return c.json(snake(page))
    },
  )

  /** Status changes without a body; an impossible one (e.g. a canceled license) is 409 INVALID_TRANSITION. */
  for (const transition of ['activate', 'suspend', 'expire'] as const) {
    app.post(
      `/api/v1/admin/licenses/:id/${transition}`,
      authenticate,
      permit('operator'),
      validate('param', licenseParam),
      async (c) =>
        c.json(
          snake(await c.var.caller.run((ctx) => transitionLicense(ctx, c.req.valid('param').id, transition))),
        ),
    )
  }

  /** Extends validity (by `days` from the later of now and the current end, or to `valid_until`) and activates. */
  app.post(
    '/api/v1/admin/licenses/:id/renew',
    authenticate,
    permit('operator'),
    validate('param', licenseParam),
    validate('json', renewLicenseBody),
    async (c) => {
      const body = c.req.valid('json')
      const license = await c.var.caller.run((ctx) =>
        transitionLicense(ctx, c.req.valid('param').id, 'renew', {
          days: body.days,
          validUntil: optionalDate(body.valid_until),
        }),
      )
      return c.json(snake(license))
    },
  )
}
