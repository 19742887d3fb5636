import { z } from 'zod'
import { MEMBER_ROLES, USER_STATUSES } from '../../../db/schema/index.ts'
import type { App } from '../../env.ts'
import {
  emailField,
  idParam,
  newPasswordField,
  type Page,
  pageQuery,
  portalOrigin,
  type Snake,
  snake,
} from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { USER_LOCALES } from '../../services/auth/preferences.ts'
import {
  createUser,
  deactivateUser,
  inviteUser,
  listUsers,
  reactivateUser,
  resendInvitation,
  revokeInvitation,
  updateUser,
} from '../../services/tenant/users.ts'
import { validate } from '../../validator.ts'

const nameField = z.string().trim().min(1).max(100)

export const listUsersQuery = pageQuery.extend({ status: z.enum(USER_STATUSES).optional() })

export const createUserBody = z.object({
  email: emailField,
  name: nameField,
  role: z.enum(MEMBER_ROLES),
  password: newPasswordField.optional().meta({
    deprecated: true,
    description:
      'Deprecated: without it the person is invited by e-mail (the default). With it the member is created active with this password, which they must change at their first sign-in.',
  }),
  locale: z
    .enum(USER_LOCALES)
    .optional()
    .meta({ description: "The invitation e-mail's language (pt-BR by default)." }),
})

export const updateUserBody = z
  .object({ role: z.enum(MEMBER_ROLES).optional(), name: nameField.optional() })
  .refine((body) => body.role !== undefined || body.name !== undefined, {
    message: 'send role, name or both',
  })

const userParam = idParam('usr')
const resendInvitationBody = z.object({ locale: z.enum(USER_LOCALES).optional() })

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
      const { password, locale, ...person } = c.req.valid('json')
      const origin = portalOrigin(c.var.caller.services.config, c.req.url)
      const user = await c.var.caller.run((ctx) =>
        password === undefined
          ? inviteUser(ctx, { ...person, origin, locale })
          : createUser(ctx, { ...person, password }),
      )
      return c.json(snake(user), 201)
    },
  )

  /** A new invitation link by e-mail (the older one stops working). */
  app.post(
    '/api/v1/users/:id/invitation',
    authenticate,
    permit('users.manage'),
    validate('param', userParam),
    validate('json', resendInvitationBody),
    async (c) => {
      const origin = portalOrigin(c.var.caller.services.config, c.req.url)
      const user = await c.var.caller.run((ctx) =>
        resendInvitation(ctx, c.req.valid('param').id, { origin, locale: c.req.valid('json').locale }),
      )
      return c.json(snake(user))
    },
  )

  /** Withdraws a pending invitation: the invited member and the link are gone. */
  app.delete(
    '/api/v1/users/:id/invitation',
    authenticate,
    permit('users.manage'),
    validate('param', userParam),
    async (c) => {
      await c.var.caller.run((ctx) => revokeInvitation(ctx, c.req.valid('param').id))
      return c.body(null, 204)
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
