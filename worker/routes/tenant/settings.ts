import { z } from 'zod'
import { timeZoneField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { getSettings, updateSettings } from '../../services/tenant/settings.ts'
import { validate } from '../../validator.ts'

export const settingsBody = z.object({
  x_collection_enabled: z.boolean().optional(),
  /** Where the business is: times on screen for members without a zone of their own. */
  time_zone: timeZoneField.optional(),
})

export function registerTenantSettings(app: App) {
  app.get('/api/v1/tenant/settings', authenticate, async (c) =>
    c.json(snake(await c.var.caller.run(getSettings))),
  )

  /** Owners and admins switch X collection (pay-per-use) and set the business's time zone. */
  app.patch(
    '/api/v1/tenant/settings',
    authenticate,
    permit('connections.manage'),
    validate('json', settingsBody),
    async (c) => {
      const body = c.req.valid('json')
      return c.json(
        snake(
          await c.var.caller.run((ctx) =>
            updateSettings(ctx, { xCollectionEnabled: body.x_collection_enabled, timeZone: body.time_zone }),
          ),
        ),
      )
    },
  )
}
