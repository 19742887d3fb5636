import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  confirmTotpEnrolment,
  disableTotp,
  regenerateRecoveryCodes,
  startTotpEnrolment,
  twoFactorStatus,
} from '../../services/auth/two-factor.ts'
import { validate } from '../../validator.ts'

const codeField = z
  .string()
  .trim()
  .min(6)
  .max(20)
  .meta({ description: 'The 6 digits the authenticator app shows (or, where accepted, a recovery code).' })

export const enrolmentBody = z.object({ password: z.string().min(1).max(1024) })
export const codeBody = z.object({ code: codeField })
export const disableBody = z.object({ password: z.string().min(1).max(1024), code: codeField })

const statusResponse = z.object({
  enabled: z.boolean(),
  enabled_at: z.iso.datetime().nullable(),
  pending: z.boolean().meta({ description: 'An enrolment was started and not confirmed yet.' }),
  required: z
    .boolean()
    .meta({ description: 'Operators, or members whose owner requires it: cannot be turned off.' }),
  recovery_codes_left: z.int(),
})
const enrolmentResponse = z.object({
  secret: z.string().meta({ description: 'Base32, to type into an authenticator app; shown once.' }),
  otpauth_uri: z.string().meta({ description: 'The same secret as an `otpauth://` URI (Key URI Format).' }),
})
const recoveryCodesResponse = z.object({
  recovery_codes: z
    .array(z.string())
    .meta({ description: 'Ten single-use codes; shown once, stored hashed.' }),
})

/**
 * The signed-in person's own two-factor sign-in. A session that must enrol first
 * (TOTP_ENROLMENT_REQUIRED elsewhere) may use these: they are how it gets out of it.
 */
export function registerTwoFactor(app: App) {
  const restricted = { allowRestricted: true }

  app.get(
    '/api/v1/auth/two-factor',
    authenticate,
    permit('person', restricted),
    describe({
      summary: 'Two-factor sign-in of the signed-in person',
      tags: ['auth'],
      responses: { 200: { description: 'Whether it is on or required.', schema: statusResponse } },
    }),
    async (c) => c.json(snake(await c.var.caller.run(twoFactorStatus, restricted))),
  )

  app.post(
    '/api/v1/auth/two-factor/enrolment',
    authenticate,
    permit('person', restricted),
    describe({
      summary: 'Start enrolling an authenticator app (password typed again)',
      tags: ['auth'],
      responses: {
        200: { description: 'The new secret; in force once confirmed.', schema: enrolmentResponse },
      },
    }),
    validate('json', enrolmentBody),
    async (c) => {
      const body = c.req.valid('json')
      const started = await c.var.caller.run((ctx) => startTotpEnrolment(ctx, body), restricted)
      return c.json(snake(started), 200, { 'Cache-Control': 'no-store' })
    },
  )

  app.post(
    '/api/v1/auth/two-factor/confirm',
    authenticate,
    permit('person', restricted),
    describe({
      summary: 'Confirm the enrolment with a code from the app',
      tags: ['auth'],
      responses: { 200: { description: 'On; the recovery codes, once.', schema: recoveryCodesResponse } },
    }),
    validate('json', codeBody),
    async (c) => {
      const confirmed = await confirmTotpEnrolment(c.var.caller, c.req.valid('json'))
      return c.json(snake(confirmed), 200, { 'Cache-Control': 'no-store' })
    },
  )

  app.post(
    '/api/v1/auth/two-factor/recovery-codes',
    authenticate,
    permit('person'),
    describe({
      summary: 'Replace the recovery codes (a current code proves it)',
      tags: ['auth'],
      responses: { 200: { description: 'Ten new codes, once.', schema: recoveryCodesResponse } },
    }),
    validate('json', codeBody),
    async (c) => {
      const codes = await regenerateRecoveryCodes(c.var.caller, c.req.valid('json'))
      return c.json(snake(codes), 200, { 'Cache-Control': 'no-store' })
    },
  )

  app.post(
    '/api/v1/auth/two-factor/disable',
    authenticate,
    permit('person'),
    describe({
      summary: 'Turn two-factor sign-in off (password and a code)',
      tags: ['auth'],
      responses: { 204: { description: 'Off.' } },
    }),
    validate('json', disableBody),
    async (c) => {
      await disableTotp(c.var.caller, c.req.valid('json'))
      return c.body(null, 204)
    },
  )
}
