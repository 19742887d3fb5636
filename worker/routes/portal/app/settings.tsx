import { z } from 'zod'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { type SettingsForms, SettingsPage } from '../../../../portal/pages/app/settings.tsx'
import { can } from '../../../auth/permissions.ts'
import { timeZoneField } from '../../../dates.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { getAlertSettings, saveAlertSettings } from '../../../services/calendar/alerts.ts'
import {
  getMetaWebhookSettings,
  saveMetaWebhookSettings,
} from '../../../services/meta-webhooks/meta-settings.ts'
import { getSettings, updateSettings } from '../../../services/tenant/settings.ts'
import { alertsBody } from '../../calendar/alerts.ts'
import { metaWebhookSettingsBody } from '../../webhooks/meta-settings.ts'
import { readForm } from '../forms.ts'
import { attempt, type PortalContext, portalRun, seeOther, signedIn } from '../run.ts'

const NOTICES: Record<string, MessageKey> = {
  x: 'settings.x.saved',
  meta: 'settings.meta.saved',
  alerts: 'settings.alerts.saved',
  zone: 'settings.zone.saved',
}

async function render(c: PortalContext, extra: { forms?: SettingsForms; notice?: MessageKey } = {}) {
  const origin = new URL(c.req.url).origin
  const view = await portalRun(c, async (ctx) => {
    const { xCollectionEnabled, timeZone } = await getSettings(ctx)
    const meta = ctx.modules.includes('metrics') ? await getMetaWebhookSettings(ctx, { origin }) : null
    const alerts = ctx.modules.includes('calendar') ? await getAlertSettings(ctx) : null
    return {
      manage: {
        connections: can(ctx.principal, 'connections.manage'),
        calendar: can(ctx.principal, 'calendar.manage'),
      },
      xCollectionEnabled,
      timeZone,
      metaWebhook: meta && {
        configured: meta.appSecretSet,
        callbackUrl: meta.callbackUrl,
        updatedAt: meta.updatedAt,
      },
      alerts: alerts && {
        chatId: alerts.telegramChatId,
        botTokenSet: alerts.telegramBotTokenSet,
        updatedAt: alerts.updatedAt,
      },
    }
  })
  // Forms with secrets: never cached.
  c.header('Cache-Control', 'no-store')
  return c.render(<SettingsPage {...view} {...extra} />, { title: c.var.i18n.t('settings.title') })
}

/**
 * The tenant's settings that only the API could change before: the same service verbs, rules and
 * modules as PATCH /api/v1/tenant/settings, PUT /api/v1/webhooks/meta/settings and
 * PUT /api/v1/calendar/alerts. Secrets typed here go to the vault and are never shown again.
 */
export function registerPortalSettings(portal: PortalApp) {
  portal.use('/app/settings', signedIn('member'))
  portal.use('/app/settings/*', signedIn('member'))

  portal.get('/app/settings', (c) => render(c, { notice: NOTICES[c.req.query('done') ?? ''] }))

  portal.post('/app/settings/x', async (c) => {
    const form = await readForm(c, z.object({ enabled: z.enum(['true', 'false']) }))
    if (!form.ok) return seeOther(c, '/app/settings')
    await portalRun(c, (ctx) => updateSettings(ctx, { xCollectionEnabled: form.data.enabled === 'true' }))
    return seeOther(c, '/app/settings?done=x')
  })

  portal.post('/app/settings/time-zone', async (c) => {
    const form = await readForm(c, z.object({ time_zone: timeZoneField }))
    if (!form.ok) return seeOther(c, '/app/settings')
    await portalRun(c, (ctx) => updateSettings(ctx, { timeZone: form.data.time_zone }))
    return seeOther(c, '/app/settings?done=zone')
  })

  portal.post('/app/settings/meta', async (c) => {
    const form = await readForm(c, metaWebhookSettingsBody)
    // Secrets are never sent back into the form, even when it has to be shown again.
    const values = {}
    if (!form.ok) {
      c.status(400)
      return render(c, { forms: { meta: { values, errors: form.errors, message: 'form.fix' } } })
    }
    const origin = new URL(c.req.url).origin
    const outcome = await attempt(() =>
      portalRun(
        c,
        (ctx) =>
          saveMetaWebhookSettings(ctx, {
            appSecret: form.data.app_secret,
            verifyToken: form.data.verify_token,
            origin,
          }),
        { module: 'metrics' },
      ),
    )
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return render(c, { forms: { meta: { values, errors: outcome.fields, message: outcome.message } } })
    }
    return seeOther(c, '/app/settings?done=meta')
  })

  portal.post('/app/settings/alerts', async (c) => {
    const form = await readForm(c, alertsBody)
    const values = { telegram_chat_id: form.values.telegram_chat_id ?? '' }
    if (!form.ok) {
      c.status(400)
      return render(c, { forms: { alerts: { values, errors: form.errors, message: 'form.fix' } } })
    }
    const outcome = await attempt(() =>
      portalRun(
        c,
        (ctx) =>
          saveAlertSettings(ctx, {
            botToken: form.data.telegram_bot_token,
            chatId: form.data.telegram_chat_id,
          }),
        { module: 'calendar' },
      ),
    )
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return render(c, { forms: { alerts: { values, errors: outcome.fields, message: outcome.message } } })
    }
    return seeOther(c, '/app/settings?done=alerts')
  })
}
