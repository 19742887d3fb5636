import { z } from 'zod'
import type { App } from '../../env.ts'
import { newPasswordField } from '../../http.ts'
import { describe } from '../../openapi/registry.ts'
import { acceptInvitation } from '../../services/accounts/invitations.ts'
import { ACCOUNT_TOKEN_PATTERN } from '../../services/accounts/tokens.ts'
import { isChallenge, login } from '../../services/auth/login.ts'
import { validate } from '../../validator.ts'
import { tokenPairResponse } from './login.ts'

export const acceptInvitationBody = z.object({
  token: z.string().regex(ACCOUNT_TOKEN_PATTERN, 'the token from the invitation link'),
  password: newPasswordField,
})

export function registerInvitationAccept(app: App) {
  /** The invitation's link (single use) sets the password; the new member is signed in. */
  app.post(
    '/api/v1/auth/invitations/accept',
    describe({
      summary: 'Accept an invitation: choose a password and sign in',
      tags: ['auth'],
      responses: {
        200: { description: 'The member is active and signed in.', schema: tokenPairResponse },
      },
    }),
    validate('json', acceptInvitationBody),
    async (c) => {
      const { services, meta } = c.var.caller
      const body = c.req.valid('json')
      const { email } = await acceptInvitation(services, meta, body)
      const pair = await login(services, meta, { email, password: body.password })
      // A member who has just set their first password has no second factor to ask for.
      if (isChallenge(pair)) throw new Error('a new member was asked for a second factor')
      return c.json(pair satisfies z.output<typeof tokenPairResponse>, 200, { 'Cache-Control': 'no-store' })
    },
  )
}
