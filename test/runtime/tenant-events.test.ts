import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import type { Bindings } from '../../worker/env.ts'
import {
  REAUTHENTICATE,
  SUBSCRIPTION_HEADER,
  type Subscription,
  type TenantEvents,
  tenantEventsOf,
} from '../../worker/runtime/tenant-events.ts'
import { type LivePage, livePage } from '../helpers/realtime.ts'

const namespace = (env as unknown as Bindings).TENANT_EVENTS
const pages: LivePage[] = []
afterEach(() => {
  for (const page of pages.splice(0)) page.close()
})

/** A page's socket accepted by the tenant's object as the Worker hands it over (checks already made). */
async function connect(tenantId: string, topics: string[], until = Date.now() + 60_000) {
  const subscription: Subscription = { tenantId, sessionId: newId('ses'), topics, until }
  const page = livePage(
    await tenantEventsOf(namespace, tenantId).fetch('https://tenant-events/connect', {
      headers: { upgrade: 'websocket', [SUBSCRIPTION_HEADER]: JSON.stringify(subscription) },
    }),
  )
  pages.push(page)
  return page
}

const status = (messageId: string) => ({
  type: 'message.status' as const,
  messageId,
  status: 'read' as const,
})

describe('the tenant’s events object (WebSocket hibernation)', () => {
  it('keeps what a delivery needs in the sockets’ tags and attachments, so an evicted object still delivers', async () => {
    const tenantId = newId('ten')
    const id = newId('msg')
    const page = await connect(tenantId, ['messages', `message:${id}`])
    const stub = tenantEventsOf(namespace, tenantId)
    await runInDurableObject(stub, (_instance: TenantEvents, state) => {
      const [socket] = state.getWebSockets('messages')
      expect(state.getTags(socket as WebSocket)).toEqual([
        'messages',
        `message:${id}`,
        expect.stringMatching(/^session:ses_/),
      ])
      expect((socket as WebSocket).deserializeAttachment()).toMatchObject({
        tenantId,
        topics: ['messages', `message:${id}`],
      })
    })

    // Evicted: the instance (and anything it held in memory) is gone, the socket hibernates.
    await evictDurableObject(stub)
    expect(await stub.publish(tenantId, [status(id)])).toBe(1)
    expect(await page.next()).toMatchObject({ messageId: id, topics: ['messages', `message:${id}`] })
  })

  it('answers a page’s ping itself and closes a socket that says anything else', async () => {
    const page = await connect(newId('ten'), ['messages'])
    const pongs: string[] = []
    page.socket.addEventListener('message', (message) => {
      if (message.data === 'pong') pongs.push(message.data)
    })
    page.socket.send('ping')
    await expect.poll(() => pongs.length).toBe(1)
    page.socket.send('subscribe me to everything')
    expect(await page.whenClosed()).toBe(4400)
  })

  it('closes a socket whose authorization is past its time instead of telling it anything', async () => {
    const tenantId = newId('ten')
    const stale = await connect(tenantId, ['messages'], Date.now() + 200)
    const fresh = await connect(tenantId, ['messages'])
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(await tenantEventsOf(namespace, tenantId).publish(tenantId, [status(newId('msg'))])).toBe(1)
    expect(await stale.whenClosed()).toBe(REAUTHENTICATE)
    expect(stale.events).toEqual([])
    expect(await fresh.next()).toMatchObject({ type: 'message.status' })
  })

  it('refuses a connection without a valid subscription (only the Worker, through its binding, sends one)', async () => {
    const stub = tenantEventsOf(namespace, newId('ten'))
    const bad: Record<string, string>[] = [
      {},
      { [SUBSCRIPTION_HEADER]: 'not json' },
      {
        [SUBSCRIPTION_HEADER]: JSON.stringify({
          tenantId: 'ten_x',
          sessionId: 'ses_x',
          topics: [],
          until: 1,
        }),
      },
    ]
    for (const headers of bad) {
      const answer = await stub.fetch('https://tenant-events/connect', {
        headers: { upgrade: 'websocket', ...headers },
      })
      expect(answer.status).toBe(400)
      expect(answer.webSocket).toBeNull()
    }
  })
})
