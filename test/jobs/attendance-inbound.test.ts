import { beforeAll, describe, expect, it } from 'vitest'
import { DbHandle, type Tx } from '../../db/client.ts'
import { recordInbound } from '../../worker/services/attendance/inbound.ts'
import { parseInboundMessages } from '../../worker/services/attendance/inbound-parse.ts'
import {
  type AttendanceContext,
  attendanceSetup,
  customerWrites,
  inbound,
  receive,
  webhookJob,
} from '../helpers/attendance.ts'
import { consume, jobBatch, runJobs, shuffle, uniqueAccount } from '../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'

let db: TestDatabase
let t: AttendanceContext
beforeAll(async () => {
  db = await createTestDatabase()
  t = await attendanceSetup(db)
})

const count = async (table: string, where = 'true', params: unknown[] = []) =>
  (
    await db.owner<{ n: number }>(
      `select count(*)::int as n from ${table} where tenant_id = $1 and ${where}`,
      [t.tenant.tenantId, ...params],
    )
  )[0]?.n

describe('inbound WhatsApp messages (the Meta webhook job)', () => {
  it('the same delivery 10 times, shuffled across batches and attempts, makes one message', async () => {
    const from = uniqueAccount('55119', 13)
    const other = uniqueAccount('55119', 13)
    const body = inbound(t, { from, wamid: `wamid.dup.${crypto.randomUUID()}`, text: 'Quero agendar' })
    const second = inbound(t, { from: other, wamid: `wamid.two.${crypto.randomUUID()}` })
    const deliveries = shuffle([...Array.from({ length: 10 }, () => body), second])
    await consume(t.env, jobBatch(deliveries.slice(0, 6).map((b) => webhookJob(t.tenant.tenantId, b))))
    await consume(
      t.env,
      jobBatch(
        deliveries.slice(6).map((b) => webhookJob(t.tenant.tenantId, b)),
        { attempts: 3 },
      ),
    )
    const rows = await db.owner<{
      body: string
      direction: string
      status: string
      waiting: boolean
      window: boolean
    }>(
      `select m.body, m.direction, v.status, v.waiting_since is not null as waiting,
         v.last_inbound_at > now() - interval '24 hours' as window
       from attendance_messages m join attendance_conversations v on v.id = m.conversation_id
       join attendance_contacts c on c.id = v.contact_id where c.wa_id = $1`,
      [from],
    )
    expect(rows).toEqual([
      { body: 'Quero agendar', direction: 'in', status: 'open', waiting: true, window: true },
    ])
    expect(await count('attendance_contacts', 'wa_id = $2', [from])).toBe(1)
    expect(await count('attendance_contacts', 'wa_id = $2', [other])).toBe(1)
    // The customer is the shared customer of the phone, once.
    expect(await count('customers', 'phone = $2', [`+${from}`])).toBe(1)
    // Inbound messages routed to the inbox are not also kept raw (a contact's erasure must find them all).
    expect(await count('webhook_events')).toBe(0)
  })

  it('50 concurrent deliveries of one message make one message and one conversation', async () => {
    const from = uniqueAccount('55119', 13)
    const body = inbound(t, { from, wamid: `wamid.race.${crypto.randomUUID()}` })
    const results = await Promise.all(
      Array.from({ length: 50 }, () => runJobs(t.env, [webhookJob(t.tenant.tenantId, body)])),
    )
    // A delivery that lost a race may be retried by the queue; every one that ran stored nothing twice.
    const retried = results.filter((r) => r.retryMessages.length > 0).length
    if (retried) await receive(t, ...Array.from({ length: retried }, () => body))
    expect(
      await count(
        'attendance_messages',
        `conversation_id in (select v.id from attendance_conversations v
      join attendance_contacts c on c.id = v.contact_id where c.wa_id = $2)`,
        [from],
      ),
    ).toBe(1)
    expect(
      await count(
        'attendance_conversations',
        'contact_id in (select id from attendance_contacts where wa_id = $2)',
        [from],
      ),
    ).toBe(1)
    expect(await count('attendance_contacts', 'wa_id = $2', [from])).toBe(1)
  })

  it('a user known only by username (BSUID, no phone) is a contact without a customer', async () => {
    const userId = `BR.${uniqueAccount('1', 16)}`
    await receive(t, inbound(t, { userId, from: undefined, text: 'oi, sou só username' }))
    const [contact] = await db.owner<{
      wa_id: string | null
      customer_id: string | null
      bsuid: string
      opt_in_source: string
    }>(
      'select wa_id, customer_id, bsuid, opt_in_source from attendance_contacts where tenant_id = $1 and bsuid = $2',
      [t.tenant.tenantId, userId],
    )
    expect(contact).toEqual({
      wa_id: null,
      customer_id: null,
      bsuid: userId,
      opt_in_source: 'inbound_message',
    })
  })

  it('a new message reopens a resolved conversation as a new episode; a redelivered old one does not', async () => {
    const from = uniqueAccount('55119', 13)
    const first = inbound(t, { from, wamid: `wamid.a.${crypto.randomUUID()}` })
    await receive(t, first)
    await db.owner(
      `update attendance_conversations set status = 'resolved', resolved_at = now(), waiting_since = null,
         first_reply_at = now() where contact_id in (select id from attendance_contacts where wa_id = $1)`,
      [from],
    )
    const state = async () =>
      (
        await db.owner<{ status: string; resolved: boolean; replied: boolean }>(
          `select status, resolved_at is not null as resolved, first_reply_at is not null as replied
           from attendance_conversations where contact_id in (select id from attendance_contacts where wa_id = $1)`,
          [from],
        )
      )[0]
    await receive(t, first)
    expect(await state()).toEqual({ status: 'resolved', resolved: true, replied: true })
    await receive(t, inbound(t, { from, wamid: `wamid.b.${crypto.randomUUID()}`, text: 'voltei' }))
    expect(await state()).toEqual({ status: 'open', resolved: false, replied: false })
  })

  it('a message to a number not in the inbox is kept raw, and makes no contact', async () => {
    const from = uniqueAccount('55119', 13)
    await receive(t, inbound(t, { from, phoneNumberId: uniqueAccount('1099', 15) }))
    expect(await count('attendance_contacts', 'wa_id = $2', [from])).toBe(0)
    expect(await count('webhook_events', "field = 'messages'")).toBe(1)
  })

  it('stores any number of messages of a delivery in 3 statements (at most 3 per message)', async () => {
    const bodies = Array.from({ length: 25 }, () => inbound(t, { from: uniqueAccount('55119', 13) }))
    const messages = bodies.flatMap((body) => {
      const change = JSON.parse(body).entry[0].changes[0]
      return parseInboundMessages(change.value)?.messages ?? []
    })
    expect(messages).toHaveLength(25)
    const handle = new DbHandle({
      connectionString: t.env.DATABASE_URL as string,
      wsProxy: t.env.NEON_WS_PROXY,
      connectTimeoutMs: 5000,
    })
    let statements = 0
    try {
      const result = await handle.transaction(
        (tx) => {
          const counting = new Proxy(tx, {
            get(target, property, receiver) {
              if (property !== 'execute') return Reflect.get(target, property, receiver)
              return (...args: Parameters<Tx['execute']>) => {
                statements++
                return target.execute(...args)
              }
            },
          })
          return recordInbound(counting, t.tenant.tenantId, messages)
        },
        { tenantId: t.tenant.tenantId },
      )
      expect(result.created).toBe(25)
      expect(result.events.filter((e) => e.type === 'message.created')).toHaveLength(25)
    } finally {
      await handle.close()
    }
    expect(statements).toBe(3)
  })

  it('a conversation answers the customer-service window from the last inbound message', async () => {
    const { conversationId } = await customerWrites(t, {
      timestamp: Math.floor(Date.now() / 1000) - 30 * 3600,
    })
    const response = await t.call(`/api/v1/attendance/conversations/${conversationId}`)
    const body = (await response.json()) as { window: { open: boolean; closes_at: string } }
    expect(body.window.open).toBe(false)
    expect(Date.parse(body.window.closes_at)).toBeLessThan(Date.now())
  })
})
