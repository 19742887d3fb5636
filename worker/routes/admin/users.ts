import { z } from 'zod'
import { MEMBER_ROLES, USER_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { emailField, idParam, newPasswordField, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  createTenantUser,
  deactivateUser,
  listTenantUsers,
  resetUserPassword,
} from '../../services/admin/users.ts'
import { validate } from '../../validator.ts'
import { tenantParam } from './tenants.ts'

export const userParam = idParam('usr')
export const createTenantUserBody = z.object({
  email: emailField,
  name: z.string().trim().min(1).max(200),
  role: z.enum(MEMBER_ROLES),
  password: newPasswordField,
})
export const listTenantUsersQuery = pageQuery.extend({ status: z.enum(USER_STATUSES).optional() })

/** Operators manage the members of any tenant: add within the plan's limit, deactivate, reset passwords. */
export function registerAdminUsers(app: App) {
  app.post(
    '/api/v1/admin/tenants/:id/users',
    authenticate,
    permit('operator'),
    validate('param', tenantParam),
    validate('json', createTenantUserBody),
    async (c) => {
      const user = await c.var.caller.run((ctx) =>
        createTenantUser(ctx, c.req.valid('param').id, c.req.valid('json')),
      )
      return c.json(snake(user), 201)
    },
  )

  app.get(
    '/api/v1/admin/tenants/:id/users',
    authenticate,
    permit('operator'),
    validate('param', tenantParam),
    validate('query', listTenantUsersQuery),
    async (c) =>
      c.json(
        snake(
          await c.var.caller.run((ctx) =>
            listTenantUsers(ctx, c.req.valid('param').id, c.req.valid('query')),
          ),
        ),
      ),
  )

  /** Deactivation ends every session of the user at once. */
  app.post(
    '/api/v1/admin/users/:id/deactivate',
    authenticate,
    permit('operator'),
    validate('param', userParam),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => deactivateUser(ctx, c.req.valid('param').id)))),
  )

  /** The generated password is in this response and nowhere else; the user's sessions end. */
  app.post(
    '/api/v1/admin/users/:id/password-reset',
    authenticate,
    permit('operator'),
    validate('param', userParam),
    async (c) => {
      const reset = await c.var.caller.run((ctx) => resetUserPassword(ctx, c.req.valid('param').id))
      return c.json(snake(reset), 200, { 'Cache-Control': 'no-store' })
    },
  )
}
