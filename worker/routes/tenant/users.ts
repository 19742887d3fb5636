import { z } from 'zod'
import { MEMBER_ROLES, USER_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import { emailField, idParam, newPasswordField, type Page, pageQuery, type Snake, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  createUser,
  deactivateUser,
  listUsers,
  reactivateUser,
  updateUser,
} from '../../services/tenant/users.ts'
import { validate } from '../../validator.ts'

const nameField = z.string().trim().min(1).max(100)

export const listUsersQuery = pageQuery.extend({ status: z.enum(USER_STATUSES).optional() })

export const createUserBody = z.object({
  email: emailField,
  name: nameField,
  role: z.enum(MEMBER_ROLES),
  password: newPasswordField,
})

export const updateUserBody = z
  .object({ role: z.enum(MEMBER_ROLES).optional(), name: nameField.optional() })
  .refine((body) => body.role !== undefined || body.name !== undefined, {
    message: 'send role, name or both',
  })

const userParam = idParam('usr')

export type UserResponse = Snake<Awaited<ReturnType<typeof createUser>>>

/** The tenant's team, managed by owners and admins within the plan's users limit. */
export function registerUsers(app: App) {
  app.get(
    '/api/v1/users',
    authenticate,
    permit('users.read'),
    validate('query', listUsersQuery),
    async (c) => {
      const page = await c.var.caller.run((ctx) => listUsers(ctx, c.req.valid('query')))
      return c.json({ data: snake(page.data), next_cursor: page.nextCursor } satisfies Page<UserResponse>)
    },
  )

  app.post(
    '/api/v1/users',
    authenticate,
    permit('users.manage'),
    validate('json', createUserBody),
    async (c) => {
      const user = await c.var.caller.run((ctx) => createUser(ctx, c.req.valid('json')))
      return c.json(snake(user), 201)
    },
  )

  app.patch(
    '/api/v1/users/:id',
    authenticate,
    permit('users.manage'),
    validate('param', userParam),
    validate('json', updateUserBody),
    async (c) => {
      const user = await c.var.caller.run((ctx) =>
        updateUser(ctx, c.req.valid('param').id, c.req.valid('json')),
      )
      return c.json(snake(user))
    },
  )

  /** Deactivating ends every session of the member at once. */
  app.post(
    '/api/v1/users/:id/deactivate',
    authenticate,
    permit('users.manage'),
    validate('param', userParam),
    async (c) => {
      const user = await c.var.caller.run((ctx) => deactivateUser(ctx, c.req.valid('param').id))
      return c.json(snake(user))
    },
  )

  app.post(
    '/api/v1/users/:id/reactivate',
    authenticate,
    permit('users.manage'),
    validate('param', userParam),
    async (c) => {
      const user = await c.var.caller.run((ctx) => reactivateUser(ctx, c.req.valid('param').id))
      return c.json(snake(user))
    },
  )
}
