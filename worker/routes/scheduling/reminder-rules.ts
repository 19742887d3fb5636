import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  listReminderRules,
  setReminderRules,
  setReminderTemplate,
} from '../../services/scheduling/reminders.ts'
import { validate } from '../../validator.ts'
import { idOf, scheduling } from './fields.ts'

export const reminderRulesBody = z.object({
  /** Absent or null: the tenant's default rules, for services without their own. */
  service_id: idOf('svc').nullable().optional(),
  /** Minutes before the start, e.g. [1440, 120] for a day and two hours before; [] for none. */
  minutes_before: z.array(z.number().int().min(5).max(20160)).max(5),
})

export const reminderTemplateBody = z.object({
  /** An approved template of the attendance module's store (`tpl_…`); null: reminders by e-mail. */
  template_id: idOf('tpl').nullable(),
})

export function registerSchedulingReminderRules(app: App) {
  const base = '/api/v1/scheduling/reminder-rules'

  app.get(
    base,
    describe({ summary: 'Reminder rules: the tenant default and per service' }),
    authenticate,
    permit('scheduling.read', scheduling),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => listReminderRules(ctx), scheduling))),
  )

  app.put(
    base,
    describe({ summary: 'Replace the reminder rules of a service, or the tenant default' }),
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('json', reminderRulesBody),
    async (c) => {
      const body = c.req.valid('json')
      const rules = await c.var.caller.run(
        (ctx) =>
          setReminderRules(ctx, { serviceId: body.service_id ?? null, minutesBefore: body.minutes_before }),
        scheduling,
      )
      return c.json(snake(rules))
    },
  )

  app.put(
    '/api/v1/scheduling/reminder-template',
    describe({ summary: 'Choose the approved WhatsApp template reminders go as (null: e-mail)' }),
    authenticate,
    permit('scheduling.manage', scheduling),
    validate('json', reminderTemplateBody),
    async (c) => {
      const { template_id } = c.req.valid('json')
      const rules = await c.var.caller.run(
        (ctx) => setReminderTemplate(ctx, { templateId: template_id }),
        scheduling,
      )
      return c.json(snake(rules))
    },
  )
}
