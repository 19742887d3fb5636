import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { getAlertSettings, saveAlertSettings } from '../../services/calendar/alerts.ts'
import { validate } from '../../validator.ts'

/** BotFather's tokens are `<bot id>:<35 characters>`; chat ids are integers (negative for groups) or `@channel`. */
export const alertsBody = z.object({
  telegram_bot_token: z
    .string()
    .regex(/^\d{5,15}:[A-Za-z0-9_-]{30,60}$/, 'must be a bot token from @BotFather (123456:ABC…)'),
  telegram_chat_id: z
    .string()
    .regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, 'must be a numeric chat id or @channelname'),
})

export function registerCalendarAlerts(app: App) {
  const path = '/api/v1/calendar/alerts'

  /** The chat id and whether a bot token is set; never the token. */
  app.get(path, authenticate, async (c) =>
    c.json(snake(await c.var.caller.run(getAlertSettings, { module: 'calendar' }))),
  )

  /** Sets (or replaces) where conflict alerts go. Owners and admins. */
  app.put(
    path,
    authenticate,
    permit('calendar.manage', { module: 'calendar' }),
    validate('json', alertsBody),
    async (c) => {
      const body = c.req.valid('json')
      const settings = await c.var.caller.run(
        (ctx) => saveAlertSettings(ctx, { botToken: body.telegram_bot_token, chatId: body.telegram_chat_id }),
        { module: 'calendar' },
      )
      return c.json(snake(settings))
    },
  )
}
