import { z } from 'zod'
import type { App } from '../../env.ts'
import { newPasswordField, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import {
  changePassword,
  describeMe,
  listMySessions,
  logout,
  revokeMySession,
} from '../../services/auth/account.ts'
import { validate } from '../../validator.ts'

export const passwordBody = z.object({
  current_password: z.string().min(1).max(1024),
  new_password: newPasswordField,
})

const sessionParam = z.object({ id: z.string().regex(/^ses_[0-9a-z]{20}$/, 'must be a ses_… id') })

/** The signed-in caller's own account: who am I, sign out, my sessions, my password. */
export function registerSession(app: App) {
  // Who am I, sign out and the password change stay open to a session that must change its
  // password first (PASSWORD_CHANGE_REQUIRED everywhere else): they are how it gets out of it.
  const restricted = { allowRestricted: true }
  app.get('/api/v1/auth/me', authenticate, async (c) =>
    c.json(snake(await c.var.caller.run(describeMe, restricted))),
  )

  app.post('/api/v1/auth/logout', authenticate, async (c) => {
    await c.var.caller.run(logout, restricted)
    return c.body(null, 204)
  })

  app.get('/api/v1/auth/sessions', authenticate, async (c) =>
    c.json({ data: snake(await c.var.caller.run(listMySessions)) }),
  )

  app.delete(
    '/api/v1/auth/sessions/:id',
    authenticate,
    permit('person'),
    validate('param', sessionParam),
    async (c) => {
      await c.var.caller.run((ctx) => revokeMySession(ctx, c.req.valid('param').id))
      return c.body(null, 204)
    },
  )

  app.post(
    '/api/v1/auth/password',
    authenticate,
    permit('person', restricted),
    validate('json', passwordBody),
    async (c) => {
      const body = c.req.valid('json')
      const result = await c.var.caller.run(
        (ctx) =>
          changePassword(ctx, { currentPassword: body.current_password, newPassword: body.new_password }),
        restricted,
      )
      return c.json(snake(result))
    },
  )
}
