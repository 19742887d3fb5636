import { z } from 'zod'
import { TENANT_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  changeTenantStatus,
  createTenant,
  getTenant,
  listTenants,
  updateTenant,
} from '../../services/admin/tenants.ts'
import { validate } from '../../validator.ts'

/** The same rule as the database's check: lowercase letters and digits, single inner hyphens. */
export const tenantSlugField = z
  .string()
  .max(48)
  .regex(/^[a-z0-9](-?[a-z0-9])*$/, 'lowercase letters, digits and single hyphens, at most 48')
export const tenantNameField = z.string().trim().min(1).max(200)

export const tenantParam = idParam('ten')
export const createTenantBody = z.object({ slug: tenantSlugField, name: tenantNameField })
export const updateTenantBody = z
  .object({ slug: tenantSlugField.optional(), name: tenantNameField.optional() })
  .refine((body) => body.slug !== undefined || body.name !== undefined, 'send name, slug or both')
export const listTenantsQuery = pageQuery.extend({
  q: z.string().trim().min(1).max(100).optional(),
  status: z.enum(TENANT_STATUSES).optional(),
})

/** Operators manage tenants: create, list, read with entitlement, rename, and the lifecycle. */
export function registerAdminTenants(app: App) {
  app.post(
    '/api/v1/admin/tenants',
    authenticate,
    permit('operator'),
    validate('json', createTenantBody),
    async (c) => {
      const tenant = await c.var.caller.run((ctx) => createTenant(ctx, c.req.valid('json')))
      return c.json(snake(tenant), 201)
    },
  )

  app.get(
    '/api/v1/admin/tenants',
    authenticate,
    permit('operator'),
    validate('query', listTenantsQuery),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => listTenants(ctx, c.req.valid('query'))))),
  )

  app.get(
    '/api/v1/admin/tenants/:id',
    authenticate,
    permit('operator'),
    validate('param', tenantParam),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => getTenant(ctx, c.req.valid('param').id)))),
  )

  app.patch(
    '/api/v1/admin/tenants/:id',
    authenticate,
    permit('operator'),
    validate('param', tenantParam),
    validate('json', updateTenantBody),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run((ctx) => updateTenant(ctx, c.req.valid('param').id, c.req.valid('json'))),
        ),
      ),
  )

  /** Suspension ends every session of the tenant's members; reactivation lets them sign in again. */
  app.post(
    '/api/v1/admin/tenants/:id/suspend',
    authenticate,
    permit('operator'),
    validate('param', tenantParam),
    async (c) =>
      c.json(
        snake(await c.var.caller.run((ctx) => changeTenantStatus(ctx, c.req.valid('param').id, 'suspend'))),
      ),
  )

  app.post(
    '/api/v1/admin/tenants/:id/reactivate',
    authenticate,
    permit('operator'),
    validate('param', tenantParam),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run((ctx) => changeTenantStatus(ctx, c.req.valid('param').id, 'reactivate')),
        ),
      ),
  )

  /** Soft delete: status `deleted` and `deleted_at`, sessions ended; erasure is its own process. */
  app.delete(
    '/api/v1/admin/tenants/:id',
    authenticate,
    permit('operator'),
    validate('param', tenantParam),
    async (c) =>
      c.json(
        snake(await c.var.caller.run((ctx) => changeTenantStatus(ctx, c.req.valid('param').id, 'delete'))),
      ),
  )
}
