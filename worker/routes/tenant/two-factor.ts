import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { getTwoFactorRequirement, setTwoFactorRequirement } from '../../services/auth/two-factor.ts'
import { validate } from '../../validator.ts'

export const requirementBody = z.object({
  required: z.boolean().meta({ description: 'Every member must sign in with a second factor.' }),
})
const requirementResponse = z.object({
  required: z.boolean(),
  members_without: z.int().meta({ description: 'Active members who have not enrolled yet.' }),
})

/** The owner's switch requiring two-factor sign-in of every member of the tenant. */
export function registerTenantTwoFactor(app: App) {
  app.get(
    '/api/v1/tenant/two-factor',
    authenticate,
    permit('tenant.security'),
    describe({
      summary: 'Whether the tenant requires two-factor sign-in',
      tags: ['tenant'],
      responses: { 200: { description: 'The switch.', schema: requirementResponse } },
    }),
    async (c) => c.json(snake(await c.var.caller.run(getTwoFactorRequirement))),
  )

  app.put(
    '/api/v1/tenant/two-factor',
    authenticate,
    permit('tenant.security'),
    describe({
      summary: 'Require (or stop requiring) two-factor sign-in of every member',
      tags: ['tenant'],
      responses: { 200: { description: 'The switch as saved.', schema: requirementResponse } },
    }),
    validate('json', requirementBody),
    async (c) => {
      const body = c.req.valid('json')
      return c.json(snake(await c.var.caller.run((ctx) => setTwoFactorRequirement(ctx, body))))
    },
  )
}
