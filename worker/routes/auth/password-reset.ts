import { z } from 'zod'
import type { App } from '../../env.ts'
import { newPasswordField, portalOrigin, snake } from '../../http.ts'
import { describe } from '../../openapi/registry.ts'
import { confirmPasswordReset, requestPasswordReset } from '../../services/accounts/recovery.ts'
import { ACCOUNT_TOKEN_PATTERN } from '../../services/accounts/tokens.ts'
import { validate } from '../../validator.ts'

export const passwordResetBody = z.object({ email: z.string().trim().min(3).max(254) })
export const passwordResetConfirmBody = z.object({
  token: z.string().regex(ACCOUNT_TOKEN_PATTERN, 'the token from the e-mail link'),
  password: newPasswordField,
})

/** Whatever the address, the same answer: it never says whether an account exists. */
const ACCEPTED = {
  status: 'accepted',
  message: 'If an account uses this e-mail, a link to choose a new password is on its way.',
} as const
const acceptedResponse = z.object({ status: z.literal('accepted'), message: z.string() })
const confirmedResponse = z.object({ ended_sessions: z.int() })

/** Forgotten password: a link by e-mail, then a new password with the link's token. */
export function registerPasswordReset(app: App) {
  app.post(
    '/api/v1/auth/password-reset',
    describe({
      summary: 'Ask for a password reset link by e-mail',
      tags: ['auth'],
      responses: {
        202: {
          description:
            'Always the same answer: members with this e-mail get a link (30 minutes, single use).',
          schema: acceptedResponse,
        },
      },
    }),
    validate('json', passwordResetBody),
    async (c) => {
      await requestPasswordReset(c.var.caller.services, c.var.caller.meta, {
        email: c.req.valid('json').email,
        origin: portalOrigin(c.var.caller.services.config, c.req.url),
      })
      return c.json(ACCEPTED satisfies z.output<typeof acceptedResponse>, 202, {
        'Cache-Control': 'no-store',
      })
    },
  )

  app.post(
    '/api/v1/auth/password-reset/confirm',
    describe({
      summary: 'Set a new password with the token of a reset link',
      tags: ['auth'],
      responses: {
        200: {
          description: 'The password is set; every session of the member has ended. Sign in again.',
          schema: confirmedResponse,
        },
      },
    }),
    validate('json', passwordResetConfirmBody),
    async (c) => {
      const { endedSessions } = await confirmPasswordReset(
        c.var.caller.services,
        c.var.caller.meta,
        c.req.valid('json'),
      )
      return c.json(snake({ endedSessions }) satisfies z.output<typeof confirmedResponse>, 200, {
        'Cache-Control': 'no-store',
      })
    },
  )
}
