import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createTenant, login } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'

async function signedIn(role: 'owner' | 'admin' | 'viewer', modules = ['metrics', 'calendar'], lang = 'en') {
  const tenant = await createTenant(db, { modules })
  const member = await createMember(db, tenant.tenantId, role)
  const client = portalClient(db, { acceptLanguage: lang })
  await client.login(member.email)
  return { tenant, member, client }
}

describe('client portal settings page', () => {
  it('shows each setting in both languages, with a section per module of the plan', async () => {
    const { client, tenant } = await signedIn('owner')
    const page = await client.request('/app/settings')
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    const text = textOf(html)
    expect(text).toContain('X accounts are collected.')
    expect(text).toContain('Meta webhooks')
    expect(text).toContain('Not set up yet')
    expect(html).toContain(`/webhooks/meta/${tenant.slug}`)
    expect(text).toContain('Calendar alerts on Telegram')

    const pt = await signedIn('admin', ['metrics'], 'pt-BR')
    const ptText = textOf(await (await pt.client.request('/app/settings')).text())
    expect(ptText).toContain('Coleta do X')
    expect(ptText).toContain('Webhooks da Meta')
    // No calendar in this plan: no section for its alerts.
    expect(ptText).not.toContain('Telegram')
  })

  it('saves the Meta webhook secrets as the API does, and never shows them back', async () => {
    const { client, member } = await signedIn('admin')
    const saved = await client.request('/app/settings/meta', {
      form: { app_secret: APP_SECRET, verify_token: 'verify-token-1' },
    })
    expect(saved.status).toBe(303)
    expect(saved.headers.get('location')).toBe('/app/settings?done=meta')
    const html = await (await client.request('/app/settings?done=meta')).text()
    expect(textOf(html)).toContain('Meta webhook settings saved.')
    expect(textOf(html)).toContain('App secret and verify token are set')
    expect(html).not.toContain(APP_SECRET)
    const api = as(db, (await login(db, member.email)).access_token)
    const settings = (await (await api('/api/v1/webhooks/meta/settings')).json()) as {
      app_secret_set: boolean
    }
    expect(settings.app_secret_set).toBe(true)
  })

  it('refuses bad values beside the field, without echoing the secret typed', async () => {
    const { client } = await signedIn('owner')
    const refused = await client.request('/app/settings/meta', {
      form: { app_secret: `short ${APP_SECRET}`, verify_token: 'ok-token-1' },
    })
    expect(refused.status).toBe(400)
    const html = await refused.text()
    expect(html).toContain('aria-invalid="true"')
    expect(html).not.toContain(APP_SECRET)
    const alerts = await client.request('/app/settings/alerts', {
      form: { telegram_bot_token: BOT_TOKEN, telegram_chat_id: 'not a chat' },
    })
    expect(alerts.status).toBe(400)
    const alertsHtml = await alerts.text()
    expect(alertsHtml).toContain('id="f-telegram_chat_id"')
    expect(alertsHtml).not.toContain(BOT_TOKEN)
  })

  it('switches X collection and sets Telegram alerts, audited', async () => {
    const { client, tenant } = await signedIn('owner')
    expect((await client.request('/app/settings/x', { form: { enabled: 'false' } })).status).toBe(303)
    expect(textOf(await (await client.request('/app/settings')).text())).toContain('X collection is off')
    const set = await client.request('/app/settings/alerts', {
      form: { telegram_bot_token: BOT_TOKEN, telegram_chat_id: '-1001234567' },
    })
    expect(set.status).toBe(303)
    const text = textOf(await (await client.request('/app/settings')).text())
    expect(text).toContain('Alerts go to chat -1001234567')
    const audit = await db.owner<{ action: string }>(
      'select action from audit_log where tenant_id = $1 order by created_at',
      [tenant.tenantId],
    )
    expect(audit.map((row) => row.action)).toEqual(expect.arrayContaining(['tenant.settings_changed']))
    expect(JSON.stringify(audit)).not.toContain(BOT_TOKEN)
  })

  it('shows a viewer the state without forms, and refuses their posts', async () => {
    const { client } = await signedIn('viewer')
    const html = await (await client.request('/app/settings')).text()
    expect(html).not.toContain('action="/app/settings/meta"')
    expect(html).not.toContain('action="/app/settings/x"')
    for (const [path, form] of [
      ['/app/settings/x', { enabled: 'false' }],
      ['/app/settings/meta', { app_secret: APP_SECRET, verify_token: 'verify-token-1' }],
      ['/app/settings/alerts', { telegram_bot_token: BOT_TOKEN, telegram_chat_id: '42' }],
    ] as const) {
      expect((await client.request(path, { form })).status, path).toBe(403)
    }
  })

  it('refuses a module the plan lacks, a missing CSRF token and nobody signed in', async () => {
    const { client } = await signedIn('owner', ['metrics'])
    const alerts = await client.request('/app/settings/alerts', {
      form: { telegram_bot_token: BOT_TOKEN, telegram_chat_id: '42' },
    })
    expect(alerts.status).toBe(403)
    const forged = await client.request('/app/settings/x', { form: { enabled: 'false' }, withoutToken: true })
    expect(forged.status).toBe(403)
    const nobody = portalClient(db)
    const page = await nobody.request('/app/settings')
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toMatch(/^\/app\/login/)
  })
})
