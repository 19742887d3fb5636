import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signedMetaRequest, whatsappStatusBody } from '../../db/local/fakes/meta-webhook.ts'
import { launchBrowser } from './browser.ts'
import { type LocalStack, startLocalStack } from './stack.ts'

const ACME_OWNER = { email: 'owner@acme.example', password: 'integra-owner-demo' }

let stack: LocalStack
let starting: Promise<LocalStack> | undefined
let browser: Browser
let appSecret: string

beforeAll(async () => {
  browser = await launchBrowser()
  starting = startLocalStack()
  stack = await starting
  // acme's owner saves Meta webhook settings, as in the portal, through the API.
  const login = await fetch(`${stack.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ACME_OWNER),
  })
  const { access_token: token } = (await login.json()) as { access_token: string }
  appSecret = randomBytes(24).toString('hex')
  const settings = await fetch(`${stack.baseUrl}/api/v1/webhooks/meta/settings`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app_secret: appSecret, verify_token: 'e2e-verify-token' }),
  })
  expect(settings.status).toBe(200)
})

afterAll(async () => {
  await browser?.close()
  await (await starting?.catch(() => undefined))?.stop()
})

/** A WhatsApp message acme sent (Meta gave it `wamid`), as the outbox records one after the send. */
async function sentMessage(recipient: string, wamid: string) {
  const client = new pg.Client({ connectionString: stack.ownerUrl })
  await client.connect()
  try {
    await client.query(
      `insert into outbound_messages (id, tenant_id, channel, purpose, recipient, payload, idempotency_key, status, provider_message_id, sent_at)
       select 'msg_' || substr(md5($1), 1, 20), id, 'whatsapp', 'e2e.realtime', $2, '{}'::jsonb, $1, 'sent', $1, now()
       from tenants where slug = 'acme'`,
      [wamid, recipient],
    )
  } finally {
    await client.end()
  }
}

/** Meta's status webhook for `wamid`, signed with acme's app secret, posted to the local Worker. */
async function statusWebhook(wamid: string, status: 'delivered' | 'read') {
  const body = whatsappStatusBody('106540352242922', [{ wamid, status }])
  const response = await fetch(
    `${stack.baseUrl}/webhooks/meta/acme`,
    await signedMetaRequest(appSecret, body),
  )
  expect(response.status).toBe(200)
}

async function messagesPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ locale: 'pt-BR', viewport: { width: 390, height: 844 } })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  return { page, errors }
}

async function signIn(page: Page) {
  await page.goto(`${stack.baseUrl}/app/login`)
  await page.fill('input[name=email]', ACME_OWNER.email)
  await page.fill('input[name=password]', ACME_OWNER.password)
  await Promise.all([page.waitForURL(/\/app(\?.*)?$/), page.click('main button[type=submit]')])
}

const statusOf = (page: Page, recipient: string) =>
  page.locator('#messages-list tr', { hasText: recipient }).locator('[data-testid=message-status]')

describe('a portal page updates without a reload', () => {
  it('shows a WhatsApp status webhook on the open messages page, live over the WebSocket', async () => {
    const recipient = '5511988880001'
    const wamid = `wamid.e2e-${randomBytes(6).toString('hex')}`
    await sentMessage(recipient, wamid)
    const { page, errors } = await messagesPage()
    await signIn(page)
    await page.goto(`${stack.baseUrl}/app/messages`)
    await page.locator('html[data-live-state=live]').waitFor({ timeout: 15_000 })
    await expect(
      page.getByText('Ao vivo: as mudanças aparecem assim que acontecem.').isVisible(),
    ).resolves.toBe(true)
    await expect(statusOf(page, recipient).textContent()).resolves.toBe('Enviada')
    // A mark on this very document: a reload would lose it.
    await page.evaluate("document.body.dataset.e2eMark = 'still here'")

    await statusWebhook(wamid, 'delivered')
    // Polling does not run while the socket is up (and the state is still `live` after): the event did it.
    await expect.poll(() => statusOf(page, recipient).textContent(), { timeout: 12_000 }).toBe('Entregue')
    await expect(page.getAttribute('html', 'data-live-state')).resolves.toBe('live')
    await expect(page.evaluate('document.body.dataset.e2eMark')).resolves.toBe('still here')
    // The CSP allowed the script and the socket: nothing was refused.
    expect(errors).toEqual([])
  })

  it('falls back to polling every 10 s while the socket cannot connect', async () => {
    const recipient = '5511988880002'
    const wamid = `wamid.e2e-${randomBytes(6).toString('hex')}`
    await sentMessage(recipient, wamid)
    const { page } = await messagesPage()
    // Every WebSocket to /app/events is refused, as when the channel is down.
    await page.context().routeWebSocket(/\/app\/events/, (socket) => socket.close({ code: 1011 }))
    await signIn(page)
    await page.goto(`${stack.baseUrl}/app/messages`)
    await page.locator('html[data-live-state=polling]').waitFor({ timeout: 15_000 })
    await expect(
      page.getByText('Atualização ao vivo pausada: atualizando a cada 10 segundos.').isVisible(),
    ).resolves.toBe(true)

    await statusWebhook(wamid, 'read')
    await expect.poll(() => statusOf(page, recipient).textContent(), { timeout: 25_000 }).toBe('Lida')
  })
})
