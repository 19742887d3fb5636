import { z } from 'zod'
import type { App } from '../../env.ts'
import { describe } from '../../openapi/registry.ts'
import { login } from '../../services/auth/login.ts'
import { validate } from '../../validator.ts'

export const loginBody = z.object({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(1024),
})

/** What login and refresh answer (TokenPair in services/auth/sessions.ts). */
export const tokenPairResponse = z.object({
  access_token: z
    .string()
    .meta({ description: 'Send as `Authorization: Bearer …`; valid for `expires_in` seconds.' }),
  refresh_token: z
    .string()
    .meta({ description: 'Single use: `POST /api/v1/auth/refresh` answers a new pair.' }),
  token_type: z.literal('Bearer'),
  expires_in: z.int(),
  password_change_required: z.boolean().optional().meta({
    description:
      'Login only: true when someone else set the password (an operator reset it); until it is changed with `POST /api/v1/auth/password`, other routes answer 403 PASSWORD_CHANGE_REQUIRED.',
  }),
})

export function registerLogin(app: App) {
  /** Password login for operators and tenant members; answers an access/refresh token pair. */
  app.post(
    '/api/v1/auth/login',
    describe({
      summary: 'Sign in with e-mail and password',
      tags: ['auth'],
      responses: { 200: { description: 'An access/refresh token pair.', schema: tokenPairResponse } },
    }),
    validate('json', loginBody),
    async (c) => {
      const pair = await login(c.var.caller.services, c.var.caller.meta, c.req.valid('json'))
      return c.json(pair satisfies z.output<typeof tokenPairResponse>, 200, { 'Cache-Control': 'no-store' })
    },
  )
}
