import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { enqueueMessage } from '../../../worker/services/messaging/outbox.ts'
import { runJobs } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import {
  messageRow,
  messagingSetup,
  newCustomer,
  whatsappConnection,
  whatsappSent,
} from '../../helpers/messaging.ts'

let db: TestDatabase
let a: Awaited<ReturnType<typeof messagingSetup>>
let b: Awaited<ReturnType<typeof messagingSetup>>
let sender: Awaited<ReturnType<typeof whatsappConnection>>

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

/** Sends one WhatsApp text of tenant A and returns its outbox id and wamid. */
async function sentMessage() {
  const to = newCustomer()
  const message = await a.caller.run((ctx) =>
    enqueueMessage(ctx, {
      channel: 'whatsapp',
      purpose: 'test.status',
      idempotencyKey: crypto.randomUUID(),
      to,
      from: { connectionId: sender.connectionId, phoneNumberId: sender.phoneNumberId },
      window: 'open',
      content: { type: 'text', text: 'Pedido a caminho.' },
    }),
  )
  await runJobs(a.env, a.capture.messages.splice(0) as JobMessage[])
  const [sent] = await whatsappSent(to)
  expect(sent).toBeDefined()
  return { id: message.id, wamid: sent?.wamid as string, to }
}

type Status = {
  status: string
  category?: string
  error?: { code: number; title: string; details?: string }
}

/** One Meta delivery of statuses for `wamid`, processed by the `meta.webhook` job of `tenantId`. */
async function deliver(tenantId: string, wamid: string, to: string, statuses: Status[]) {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: sender.phoneNumberId },
              statuses: statuses.map((s) => ({
                id: wamid,
                status: s.status,
                timestamp: String(Math.floor(Date.now() / 1000)),
                recipient_id: to,
                ...(s.category
                  ? {
                      pricing: {
                        billable: true,
                        pricing_model: 'PMP',
                        category: s.category,
                        type: 'regular',
                      },
                    }
                  : {}),
                ...(s.error
                  ? {
                      errors: [
                        {
                          code: s.error.code,
                          title: s.error.title,
                          message: s.error.title,
                          error_data: { details: s.error.details ?? s.error.title },
                        },
                      ],
                    }
                  : {}),
              })),
            },
          },
        ],
      },
    ],
  })
  const result = await runJobs(a.env, [
    { type: 'meta.webhook', v: 1, tenantId, receivedAt: Date.now(), body },
  ])
  expect(result.retryMessages).toEqual([])
}

describe('WhatsApp status webhooks move an outbound message forward only', () => {
  it('never moves read back to delivered, and records the pricing category', async () => {
    const { id, wamid, to } = await sentMessage()
    await deliver(a.tenant.tenantId, wamid, to, [{ status: 'read' }])
    expect(await messageRow(db, id)).toMatchObject({ status: 'read', cost_category: null })
    // Out of order, and redelivered: delivered (with its pricing) and sent arrive after read.
    await deliver(a.tenant.tenantId, wamid, to, [
      { status: 'delivered', category: 'utility' },
      { status: 'sent' },
    ])
    await deliver(a.tenant.tenantId, wamid, to, [{ status: 'delivered', category: 'utility' }])
    expect(await messageRow(db, id)).toMatchObject({
      status: 'read',
      cost_category: 'utility',
      error_code: null,
    })
    // Voice messages' `played` is as far as read.
    await deliver(a.tenant.tenantId, wamid, to, [{ status: 'played' }])
    expect((await messageRow(db, id))?.status).toBe('read')
  })

  it('moves sent to delivered, then read, in one delivery as in several', async () => {
    const { id, wamid, to } = await sentMessage()
    await deliver(a.tenant.tenantId, wamid, to, [{ status: 'sent', category: 'service' }])
    expect(await messageRow(db, id)).toMatchObject({ status: 'sent', cost_category: 'service' })
    await deliver(a.tenant.tenantId, wamid, to, [{ status: 'read' }, { status: 'delivered' }])
    expect((await messageRow(db, id))?.status).toBe('read')
  })

  it('fails a sent message with the failure’s code (131047 → WINDOW_CLOSED) and keeps it failed', async () => {
    const { id, wamid, to } = await sentMessage()
    await deliver(a.tenant.tenantId, wamid, to, [
      {
        status: 'failed',
        error: {
          code: 131047,
          title: 'Re-engagement message',
          details:
            'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
        },
      },
    ])
    const failed = await messageRow(db, id)
    expect(failed).toMatchObject({
      status: 'failed',
      error_code: 'WINDOW_CLOSED',
      provider_error_code: '131047',
    })
    expect(failed?.error_message).toContain('24 hours')
    // Later statuses do not revive it or lose its error.
    await deliver(a.tenant.tenantId, wamid, to, [{ status: 'delivered' }, { status: 'read' }])
    expect(await messageRow(db, id)).toMatchObject({
      status: 'failed',
      error_code: 'WINDOW_CLOSED',
      provider_error_code: '131047',
    })
  })

  it('does not fail a message already delivered', async () => {
    const { id, wamid, to } = await sentMessage()
    await deliver(a.tenant.tenantId, wamid, to, [{ status: 'delivered' }])
    await deliver(a.tenant.tenantId, wamid, to, [
      { status: 'failed', error: { code: 131026, title: 'Message undeliverable' } },
    ])
    expect(await messageRow(db, id)).toMatchObject({ status: 'delivered', error_code: null })
  })

  it('changes nothing of another tenant’s message, nor for a wamid the outbox does not know', async () => {
    const { id, wamid, to } = await sentMessage()
    // Tenant B's webhook naming A's wamid (B's own number could never have sent it).
    await deliver(b.tenant.tenantId, wamid, to, [{ status: 'read', category: 'marketing' }])
    expect(await messageRow(db, id)).toMatchObject({ status: 'sent', cost_category: null })
    await deliver(a.tenant.tenantId, `wamid.unknown-${crypto.randomUUID()}`, to, [{ status: 'read' }])
    expect((await messageRow(db, id))?.status).toBe('sent')
    // The statuses are still counted as before (metrics of the number).
    const [counted] = await db.owner<{ n: number }>(
      `select count(*)::int as n from meta_webhook_seen where tenant_id = $1 and object_id = $2`,
      [b.tenant.tenantId, wamid],
    )
    expect(counted?.n).toBe(1)
  })
})
