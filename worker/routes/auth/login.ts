import { z } from 'zod'
import type { App } from '../../env.ts'
import { describe } from '../../openapi/registry.ts'
import { completeLoginChallenge, login } from '../../services/auth/login.ts'
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
  totp_enrolment_required: z.boolean().optional().meta({
    description:
      'Login only: true when a second factor is required of this account (operators, or the tenant owner requires it) and it has none; until it is enrolled (`POST /api/v1/auth/two-factor/enrolment`, then `/confirm`), other routes answer 403 TOTP_ENROLMENT_REQUIRED.',
  }),
})

/** What login answers instead of tokens when the account has two-factor sign-in on. */
export const loginChallengeResponse = z.object({
  challenge_token: z.string().meta({
    description: 'Send with a code to `POST /api/v1/auth/login/two-factor` within `expires_in` seconds.',
  }),
  challenge_type: z.literal('totp'),
  expires_in: z.int(),
})

export const loginChallengeBody = z.object({
  challenge_token: z.string().min(10).max(100),
  code: z
    .string()
    .trim()
    .min(6)
    .max(20)
    .meta({ description: 'The 6 digits the authenticator app shows, or one of the recovery codes.' }),
})

export function registerLogin(app: App) {
  /** Password login for operators and tenant members; answers an access/refresh token pair. */
  app.post(
    '/api/v1/auth/login',
    describe({
      summary: 'Sign in with e-mail and password',
      tags: ['auth'],
      responses: {
        200: {
          description:
            'An access/refresh token pair; or, when the account has two-factor sign-in on, a challenge to answer with a code.',
          schema: z.union([tokenPairResponse, loginChallengeResponse]),
        },
      },
    }),
    validate('json', loginBody),
    async (c) => {
      const answer = await login(c.var.caller.services, c.var.caller.meta, c.req.valid('json'))
      return c.json(
        answer satisfies z.output<typeof tokenPairResponse> | z.output<typeof loginChallengeResponse>,
        200,
        { 'Cache-Control': 'no-store' },
      )
    },
  )

  /** The second step of a sign-in with two-factor: the challenge and a code answer the token pair. */
  app.post(
    '/api/v1/auth/login/two-factor',
    describe({
      summary: 'Complete a sign-in with a two-factor code',
      tags: ['auth'],
      responses: { 200: { description: 'An access/refresh token pair.', schema: tokenPairResponse } },
    }),
    validate('json', loginChallengeBody),
    async (c) => {
      const body = c.req.valid('json')
      const pair = await completeLoginChallenge(c.var.caller.services, c.var.caller.meta, {
        challengeToken: body.challenge_token,
        code: body.code,
      })
      return c.json(pair satisfies z.output<typeof tokenPairResponse>, 200, { 'Cache-Control': 'no-store' })
    },
  )
}
