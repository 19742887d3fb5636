import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { signedMetaRequest, whatsappStatusBody } from '../../../db/local/fakes/meta-webhook.ts'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { enqueueMessage } from '../../../worker/services/messaging/outbox.ts'
import { runJobs } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, login } from '../../helpers/fixtures.ts'
import { messageRow, messagingSetup, newCustomer, whatsappConnection } from '../../helpers/messaging.ts'
import { portalClient } from '../../helpers/portal.ts'
import { type LivePage, livePage, openEvents } from '../../helpers/realtime.ts'
import { callWorker, captureLogs } from '../../helpers/worker.ts'

let db: TestDatabase
let a: Awaited<ReturnType<typeof messagingSetup>>
let b: Awaited<ReturnType<typeof messagingSetup>>
let sender: Awaited<ReturnType<typeof whatsappConnection>>
const pages: LivePage[] = []

beforeAll(async () => {
  db = await createTestDatabase()
  a = await messagingSetup(db)
  b = await messagingSetup(db)
  sender = await whatsappConnection(db, a.tenant.tenantId)
})
afterAll(async () => {
  await a?.close()
  await b?.close()
})
afterEach(() => {
  for (const page of pages.splice(0)) page.close()
})

/** A member of `tenantId` with `role`, signed in to the portal in a browser of their own. */
async function signedIn(tenantId: string, role: 'owner' | 'admin' | 'analyst' | 'viewer' = 'analyst') {
  const member = await createMember(db, tenantId, role)
  const browser = portalClient(db)
  expect((await browser.login(member.email)).status).toBe(303)
  return { member, browser }
}

/** Opens a page's live channel for `topics` and keeps it for closing after the test. */
async function listen(browser: ReturnType<typeof portalClient>, topics: string) {
  const page = livePage(await openEvents(browser, topics))
  pages.push(page)
  return page
}

/** Tenant A asks for a WhatsApp text (as a module's verb would); the send job is left queued. */
async function enqueue(tenant = a) {
  return tenant.caller.run((ctx) =>
    enqueueMessage(ctx, {
      channel: 'whatsapp',
      purpose: 'test.realtime',
      idempotencyKey: crypto.randomUUID(),
      to: newCustomer(),
      from: { connectionId: sender.connectionId, phoneNumberId: sender.phoneNumberId },
      window: 'open',
      content: { type: 'text', text: 'Seu pedido saiu para entrega.' },
    }),
  )
}

describe('a signed-in page hears its tenant’s events, after they commit', () => {
  it('hears a message stored, then sent, and reads the committed row when it hears it', async () => {
    const { browser } = await signedIn(a.tenant.tenantId)
    const page = await listen(browser, 'messages')
    const message = await enqueue()
    const queued = await page.next()
    expect(queued).toMatchObject({
      type: 'message.status',
      messageId: message.id,
      status: 'queued',
      topics: ['messages'],
    })
    expect(typeof queued.at).toBe('number')
    // Published after the commit: the row the page would now read is there.
    expect((await messageRow(db, message.id))?.status).toBe('queued')

    await runJobs(a.env, a.capture.messages.splice(0) as JobMessage[])
    expect(await page.next()).toMatchObject({ messageId: message.id, status: 'sent' })
    expect((await messageRow(db, message.id))?.status).toBe('sent')
  })

  it('publishes nothing for a change that rolled back', async () => {
    const { browser } = await signedIn(a.tenant.tenantId)
    const page = await listen(browser, 'messages')
    await expect(
      a.caller.run(async (ctx) => {
        await enqueueMessage(ctx, {
          channel: 'email',
          purpose: 'test.realtime',
          idempotencyKey: crypto.randomUUID(),
          to: 'cliente@example.test',
          content: { subject: 'Oi', text: 'Olá' },
        })
        throw new Error('the verb failed after enqueueing')
      }),
    ).rejects.toThrow('the verb failed')
    await page.silentFor(400)
  })

  it('delivers each event only to the topics a page subscribed to, naming only those', async () => {
    const { browser } = await signedIn(a.tenant.tenantId, 'admin')
    const first = await enqueue()
    const second = await enqueue()
    const onlyFirst = await listen(browser, `message:${first.id}`)
    const both = await listen(browser, `messages,message:${first.id}`)

    await a.env.TENANT_EVENTS.get(a.env.TENANT_EVENTS.idFromName(a.tenant.tenantId)).publish(
      a.tenant.tenantId,
      [
        { type: 'message.status', messageId: second.id, status: 'delivered' },
        { type: 'message.status', messageId: first.id, status: 'read' },
      ],
    )
    expect(await onlyFirst.next()).toMatchObject({
      messageId: first.id,
      status: 'read',
      topics: [`message:${first.id}`],
    })
    // One send per event, however many of its topics the page holds.
    expect(await both.next()).toMatchObject({ messageId: second.id, topics: ['messages'] })
    expect(await both.next()).toMatchObject({
      messageId: first.id,
      topics: ['messages', `message:${first.id}`],
    })
    await onlyFirst.silentFor(200)
    await both.silentFor(0)
  })
})

describe('no tenant hears another’s events', () => {
  it('keeps each tenant’s events on its own pages', async () => {
    const pageA = await listen((await signedIn(a.tenant.tenantId)).browser, 'messages')
    const pageB = await listen((await signedIn(b.tenant.tenantId)).browser, 'messages')
    const message = await enqueue()
    expect(await pageA.next()).toMatchObject({ messageId: message.id })
    await pageB.silentFor(400)
    // Publishing to B's object under A's tenant id reaches none of B's pages either.
    const reached = await b.env.TENANT_EVENTS.get(b.env.TENANT_EVENTS.idFromName(b.tenant.tenantId)).publish(
      a.tenant.tenantId,
      [{ type: 'message.status', messageId: message.id, status: 'read' }],
    )
    expect(reached).toBe(0)
    await pageB.silentFor(200)
  })

  it('refuses a topic naming another tenant’s message exactly like an unknown one', async () => {
    const { browser } = await signedIn(a.tenant.tenantId)
    const theirs = await b.caller.run((ctx) =>
      enqueueMessage(ctx, {
        channel: 'email',
        purpose: 'test.realtime',
        idempotencyKey: crypto.randomUUID(),
        to: 'cliente@example.test',
        content: { subject: 'Oi', text: 'Olá' },
      }),
    )
    const other = await openEvents(browser, `message:${theirs.id}`)
    const unknown = await openEvents(browser, `message:${newId('msg')}`)
    expect(other.status).toBe(404)
    expect(unknown.status).toBe(404)
    expect(other.webSocket).toBeNull()
  })
})

describe('who may open the channel', () => {
  it('sends a page without a session, or whose session ended, to sign in', async () => {
    const anonymous = await openEvents(portalClient(db), 'messages')
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe('/app/login?next=%2Fapp%2Fevents')

    const { browser } = await signedIn(a.tenant.tenantId)
    const cookie = browser.jar.get('__Host-session') as string
    const logout = await browser.request('/app/logout', { form: {} })
    expect(logout.status).toBe(303)
    browser.jar.set('__Host-session', cookie)
    const ended = await openEvents(browser, 'messages')
    expect(ended.status).toBe(303)
    expect(ended.webSocket).toBeNull()
  })

  it('refuses a role that may not read what the topic is about (403), and operators', async () => {
    const { browser } = await signedIn(a.tenant.tenantId, 'viewer')
    const refused = await openEvents(browser, 'messages')
    expect(refused.status).toBe(403)
    expect(refused.webSocket).toBeNull()

    const operator = await createOperator(db)
    const admin = portalClient(db)
    expect((await admin.login(operator.email, 'admin')).status).toBe(303)
    const asOperator = await openEvents(admin, 'messages')
    expect(asOperator.status).not.toBe(101)
    expect(asOperator.webSocket).toBeNull()
  })

  it('refuses another site’s page (Origin), plain requests and unknown or too many topics', async () => {
    const { browser } = await signedIn(a.tenant.tenantId)
    expect((await openEvents(browser, 'messages', { origin: 'https://evil.example' })).status).toBe(403)
    const noOrigin = await browser.request('/app/events?topics=messages', {
      headers: { upgrade: 'websocket' },
    })
    expect(noOrigin.status).toBe(403)
    const plain = await browser.request('/app/events?topics=messages')
    expect(plain.status).toBe(426)
    for (const topics of [
      '',
      'inbox',
      'messages:msg_x',
      'message',
      'message:ten_abc',
      'MESSAGES',
      'a,b,c,d,e,f,g,h,i',
    ]) {
      const response = await openEvents(browser, topics)
      expect(response.status, topics).toBe(400)
      expect(response.webSocket).toBeNull()
    }
  })
})

describe('a WhatsApp status webhook reaches the open page', () => {
  it('acknowledges the signed delivery, then the job publishes the status it committed', async () => {
    const owner = await createMember(db, a.tenant.tenantId, 'owner')
    const call = as({ ...db, env: a.env }, (await login(db, owner.email)).access_token)
    const appSecret = crypto.randomUUID()
    expect(
      (
        await call('/api/v1/webhooks/meta/settings', {
          method: 'PUT',
          json: { app_secret: appSecret, verify_token: `verify-${crypto.randomUUID()}` },
        })
      ).status,
    ).toBe(200)
    const message = await enqueue()
    a.capture.messages.splice(0)
    await runJobs(a.env, [
      { type: 'messaging.send', v: 1, tenantId: a.tenant.tenantId, messageId: message.id },
    ])
    const row = await messageRow(db, message.id)
    expect(row?.provider_message_id).toBeTruthy()
    const page = await listen((await signedIn(a.tenant.tenantId)).browser, `message:${message.id}`)

    const body = whatsappStatusBody(sender.phoneNumberId, [
      { wamid: row?.provider_message_id as string, status: 'delivered' },
    ])
    const ack = await callWorker(
      a.env,
      `/webhooks/meta/${a.tenant.slug}`,
      await signedMetaRequest(appSecret, body),
    )
    expect(ack.status).toBe(200)
    await page.silentFor(100)
    const result = await runJobs(a.env, a.capture.messages.splice(0) as JobMessage[])
    expect(result.retryMessages).toEqual([])
    expect(await page.next()).toMatchObject({
      messageId: message.id,
      status: 'delivered',
      topics: [`message:${message.id}`],
    })
    expect((await messageRow(db, message.id))?.status).toBe('delivered')

    // Meta redelivers: the status moves nothing, so the page hears nothing.
    const again = await callWorker(
      a.env,
      `/webhooks/meta/${a.tenant.slug}`,
      await signedMetaRequest(appSecret, body),
    )
    expect(again.status).toBe(200)
    expect((await runJobs(a.env, a.capture.messages.splice(0) as JobMessage[])).retryMessages).toEqual([])
    await page.silentFor(300)
  })

  it('never fails (or retries) the job when publishing fails: it logs, and the row moves', async () => {
    const message = await enqueue()
    a.capture.messages.splice(0)
    const broken = {
      ...a.env,
      TENANT_EVENTS: {
        idFromName: () => {
          throw new Error('the events object is unreachable')
        },
      } as unknown as typeof a.env.TENANT_EVENTS,
    }
    const { result, lines } = await captureLogs(() =>
      runJobs(broken, [{ type: 'messaging.send', v: 1, tenantId: a.tenant.tenantId, messageId: message.id }]),
    )
    expect(result.retryMessages).toEqual([])
    expect((await messageRow(db, message.id))?.status).toBe('sent')
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'realtime publish failed', tenant_id: a.tenant.tenantId }),
    )
  })
})
