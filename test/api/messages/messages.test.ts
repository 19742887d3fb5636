import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { setup } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type Message = {
  id: string
  channel: string
  purpose: string
  recipient: string
  status: string
  error_code: string | null
  created_at: string
  payload?: Record<string, unknown>
}

/** Outbox rows of a tenant, oldest first (created a second apart), as the owner writes them. */
async function seed(tenantId: string) {
  const rows = [
    [
      'whatsapp',
      'scheduling.reminder',
      '5511987650001',
      'sent',
      null,
      { window: 'open', content: { type: 'text', text: 'Amanhã às 9h.' } },
    ],
    [
      'email',
      'commerce.order_paid',
      'cliente@example.test',
      'failed',
      'RECIPIENT_INVALID',
      { content: { subject: 'Pedido', text: 'Pago.' } },
    ],
    ['telegram', 'calendar.conflict_alert', '123456789', 'queued', null, { content: { text: 'CRITICAL' } }],
  ] as const
  const ids: string[] = []
  for (const [i, [channel, purpose, recipient, status, errorCode, payload]] of rows.entries()) {
    const id = newId('msg')
    ids.push(id)
    await db.owner(
      `insert into outbound_messages (id, tenant_id, channel, purpose, recipient, payload, idempotency_key, status, error_code, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() - make_interval(secs => $10))`,
      [
        id,
        tenantId,
        channel,
        purpose,
        recipient,
        JSON.stringify(payload),
        `k-${id}`,
        status,
        errorCode,
        10 - i,
      ],
    )
  }
  return ids
}

const page = async (response: Response) => {
  const text = await response.text()
  expect(response.status, text).toBe(200)
  return JSON.parse(text) as { data: Message[]; next_cursor: string | null }
}

describe('GET /api/v1/messages', () => {
  it('lists the tenant’s messages newest first, page by page, without their content', async () => {
    const { call, tenant } = await setup(db)
    const [whatsapp, email, telegram] = await seed(tenant.tenantId)
    const first = await page(await call('/api/v1/messages?limit=2'))
    expect(first.data.map((m) => m.id)).toEqual([telegram, email])
    expect(first.data[0]).toMatchObject({
      channel: 'telegram',
      purpose: 'calendar.conflict_alert',
      recipient: '123456789',
      status: 'queued',
      idempotency_key: `k-${telegram}`,
      created_at: expect.stringMatching(/Z$/),
    })
    expect(first.data[0]).not.toHaveProperty('payload')
    const second = await page(await call(`/api/v1/messages?limit=2&cursor=${first.next_cursor}`))
    expect(second).toEqual({ data: [expect.objectContaining({ id: whatsapp })], next_cursor: null })
  })

  it('filters by status, channel and purpose', async () => {
    const { call, tenant } = await setup(db)
    const [whatsapp, email] = await seed(tenant.tenantId)
    expect(
      (await page(await call('/api/v1/messages?status=failed'))).data.map((m) => [m.id, m.error_code]),
    ).toEqual([[email, 'RECIPIENT_INVALID']])
    expect((await page(await call('/api/v1/messages?channel=whatsapp'))).data.map((m) => m.id)).toEqual([
      whatsapp,
    ])
    expect(
      (await page(await call('/api/v1/messages?purpose=scheduling.reminder'))).data.map((m) => m.id),
    ).toEqual([whatsapp])
  })

  it('refuses a bad filter or a forged cursor with 400', async () => {
    const { call } = await setup(db)
    for (const query of [
      'status=lost',
      'channel=sms',
      'purpose=Not%20a%20purpose',
      'limit=0',
      'cursor=abc',
    ]) {
      const response = await call(`/api/v1/messages?${query}`)
      expect(response.status, query).toBe(400)
      expect(await errorCode(response)).toBe('VALIDATION_FAILED')
    }
  })
})

describe('GET /api/v1/messages/:id', () => {
  it('shows one message with what it says', async () => {
    const { call, tenant } = await setup(db)
    const [whatsapp] = await seed(tenant.tenantId)
    const response = await call(`/api/v1/messages/${whatsapp}`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      id: whatsapp,
      channel: 'whatsapp',
      status: 'sent',
      payload: { window: 'open', content: { type: 'text', text: 'Amanhã às 9h.' } },
    })
  })

  it('answers 404 for another tenant’s message and an unknown one, 400 for a malformed id', async () => {
    const mine = await setup(db)
    const other = await setup(db)
    const [theirs] = await seed(other.tenant.tenantId)
    for (const id of [theirs, newId('msg')]) {
      const response = await mine.call(`/api/v1/messages/${id}`)
      expect(response.status).toBe(404)
      expect(await errorCode(response)).toBe('NOT_FOUND')
    }
    expect((await mine.call('/api/v1/messages/not-a-message')).status).toBe(400)
    // The list does not show them either.
    expect((await page(await mine.call('/api/v1/messages'))).data).toEqual([])
  })
})

describe('who may read messages', () => {
  it('needs a credential', async () => {
    for (const path of ['/api/v1/messages', `/api/v1/messages/${newId('msg')}`]) {
      const response = await callWorker(db.env, path)
      expect(response.status).toBe(401)
      expect(await errorCode(response)).toBe('UNAUTHENTICATED')
    }
  })

  it('is for owners, admins and analysts (and their API keys), not viewers', async () => {
    const { tenant, call } = await setup(db)
    const [id] = await seed(tenant.tenantId)
    for (const role of ['admin', 'analyst', 'viewer'] as const) {
      const member = await createMember(db, tenant.tenantId, role)
      const asMember = as(db, (await login(db, member.email)).access_token)
      for (const path of ['/api/v1/messages', `/api/v1/messages/${id}`]) {
        const response = await asMember(path)
        expect({ role, path, status: response.status }).toEqual({
          role,
          path,
          status: role === 'viewer' ? 403 : 200,
        })
      }
    }
    for (const role of ['analyst', 'viewer'] as const) {
      const created = await call('/api/v1/api-keys', { method: 'POST', json: { name: `k ${role}`, role } })
      const { key } = (await created.json()) as { key: string }
      const response = await as(db, key)('/api/v1/messages')
      expect({ role, status: response.status }).toEqual({ role, status: role === 'viewer' ? 403 : 200 })
    }
    // A viewer's invalid request is refused for who they are, not for the schema.
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const refused = await as(db, (await login(db, viewer.email)).access_token)('/api/v1/messages?status=lost')
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('FORBIDDEN')
  })
})
