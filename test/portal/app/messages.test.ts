import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { enqueueMessage } from '../../../worker/services/messaging/outbox.ts'
import { runJobs } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { messagingSetup, newCustomer, whatsappConnection } from '../../helpers/messaging.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
let a: Awaited<ReturnType<typeof messagingSetup>>
let b: Awaited<ReturnType<typeof messagingSetup>>

beforeAll(async () => {
  db = await createTestDatabase()
  a = await messagingSetup(db)
  b = await messagingSetup(db)
  const sender = await whatsappConnection(db, a.tenant.tenantId)
  const send = (tenant: typeof a, to: string) =>
    tenant.caller.run((ctx) =>
      enqueueMessage(ctx, {
        channel: 'whatsapp',
        purpose: 'calendar.conflict_alert',
        idempotencyKey: crypto.randomUUID(),
        to,
        from: { connectionId: sender.connectionId, phoneNumberId: sender.phoneNumberId },
        window: 'open',
        content: { type: 'text', text: 'Conflito no Loft Centro.' },
      }),
    )
  await send(a, '5511900000001')
  await runJobs(a.env, a.capture.messages.splice(0) as JobMessage[])
  await send(a, newCustomer())
  await send(b, '5511900000099')
})
afterAll(async () => {
  await a?.close()
  await b?.close()
})

async function signedIn(
  tenantId: string,
  role: 'owner' | 'admin' | 'analyst' | 'viewer',
  language = 'pt-BR',
) {
  const member = await createMember(db, tenantId, role)
  const browser = portalClient(db, { acceptLanguage: language })
  expect((await browser.login(member.email)).status).toBe(303)
  return browser
}

describe('the messages page of the client portal', () => {
  it('lists the tenant’s messages with their status, and asks to be kept live', async () => {
    const browser = await signedIn(a.tenant.tenantId, 'analyst')
    const page = await browser.request('/app/messages')
    expect(page.status).toBe(200)
    const html = await page.text()
    const text = textOf(html)
    expect(text).toContain('Mensagens')
    expect(text).toContain('5511900000001')
    expect(text).toContain('Alerta de conflito no calendário')
    expect(
      [...html.matchAll(/data-testid="message-status">(.*?)<\/td>/g)].map((m) => textOf(m[1] ?? '').trim()),
    ).toEqual(['Na fila', 'Enviada'])
    // Tenant B's message is not on A's page; no raw id is shown.
    expect(text).not.toContain('5511900000099')
    expect(text).not.toMatch(/msg_[0-9a-z]{20}/)
    // The live list: subscribed to `messages`, refreshed by the channel's events or by polling.
    expect(html).toContain('data-live="messages"')
    expect(html).toContain('hx-trigger="live:messages throttle:300ms from:body, live:poll from:body"')
    expect(html).toContain('<script src="/js/live.js" defer="">')
    expect(html).toContain('href="/app/messages"')
  })

  it('answers the list’s htmx refresh with the page content only, in the viewer’s language', async () => {
    const browser = await signedIn(a.tenant.tenantId, 'owner', 'en')
    const response = await browser.request('/app/messages', { headers: { 'hx-request': 'true' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const html = await response.text()
    expect(html).not.toMatch(/^<!DOCTYPE/)
    expect(html).toContain('id="messages-list"')
    expect(textOf(html)).toContain('Calendar conflict alert')
  })

  it('is not for viewers (the recipients are the tenant’s customers) nor for the signed-out', async () => {
    const viewer = await signedIn(a.tenant.tenantId, 'viewer')
    const refused = await viewer.request('/app/messages')
    expect(refused.status).toBe(403)
    const overview = await (await viewer.request('/app')).text()
    expect(overview).not.toContain('href="/app/messages"')

    const anonymous = await portalClient(db).request('/app/messages')
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe('/app/login?next=%2Fapp%2Fmessages')
  })
})
