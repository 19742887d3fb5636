import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError } from '../../../worker/errors.ts'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { enqueueMessage, type OutboundInput } from '../../../worker/services/messaging/outbox.ts'
import { runJobs } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import {
  emailsTo,
  messagingSetup,
  newAddress,
  newCustomer,
  whatsappConnection,
  whatsappSent,
} from '../../helpers/messaging.ts'

let db: TestDatabase
let a: Awaited<ReturnType<typeof messagingSetup>>
let b: Awaited<ReturnType<typeof messagingSetup>>

beforeAll(async () => {
  db = await createTestDatabase()
  a = await messagingSetup(db)
  b = await messagingSetup(db)
})
afterAll(async () => {
  await a?.close()
  await b?.close()
})

const email = (to: string, idempotencyKey: string, text = 'Seu pedido foi confirmado.') =>
  ({
    channel: 'email',
    purpose: 'commerce.order_paid',
    idempotencyKey,
    to,
    content: { subject: 'Pedido confirmado', text },
  }) satisfies OutboundInput

/** The error a promise fails with (an ApiError), or a failed test. */
async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  )
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`)
  return error
}

const rowsOf = (tenantId: string, key: string) =>
  db.owner<{ id: string; status: string }>(
    'select id, status from outbound_messages where tenant_id = $1 and idempotency_key = $2',
    [tenantId, key],
  )

describe('enqueueMessage: one intent, one message', () => {
  it('stores the same key once and sends it once, however often a module asks', async () => {
    const to = newAddress()
    const key = `order:${crypto.randomUUID()}:paid`
    const first = await a.caller.run((ctx) => enqueueMessage(ctx, email(to, key)))
    const again = await a.caller.run((ctx) => enqueueMessage(ctx, email(to, key)))
    expect(first).toMatchObject({ channel: 'email', status: 'queued', created: true })
    expect(again).toEqual({ ...first, created: false })
    expect(await rowsOf(a.tenant.tenantId, key)).toHaveLength(1)
    // Each ask while it waits queues its job (a lost one is recovered); the claim sends it once.
    const jobs = a.capture.messages.splice(0) as JobMessage[]
    expect(jobs.every((job) => job.type === 'messaging.send' && job.messageId === first.id)).toBe(true)
    await runJobs(a.env, jobs)
    expect(await emailsTo(to)).toHaveLength(1)
    // Once sent, asking again answers the sent message and queues nothing.
    const later = await a.caller.run((ctx) => enqueueMessage(ctx, email(to, key)))
    expect(later).toEqual({ ...first, status: 'sent', created: false })
    expect(a.capture.messages).toEqual([])
  })

  it('refuses the same key for a different message with 409, and the verb’s change rolls back with it', async () => {
    const to = newAddress()
    const key = `order:${crypto.randomUUID()}:paid`
    await a.caller.run((ctx) => enqueueMessage(ctx, email(to, key)))
    a.capture.messages.length = 0
    for (const other of [
      email(to, key, 'Outro texto.'),
      email(newAddress(), key),
      { ...email(to, key), purpose: 'x.y' },
    ]) {
      const error = await refusal(a.caller.run((ctx) => enqueueMessage(ctx, other)))
      expect({ status: error.status, code: error.code }).toEqual({
        status: 409,
        code: 'IDEMPOTENCY_KEY_REUSED',
      })
    }
    expect(await rowsOf(a.tenant.tenantId, key)).toHaveLength(1)
    expect(a.capture.messages).toEqual([])
  })

  it('stores nothing and queues nothing when the verb’s transaction rolls back', async () => {
    const key = `order:${crypto.randomUUID()}:paid`
    const error = await a.caller
      .run(async (ctx) => {
        await enqueueMessage(ctx, email(newAddress(), key))
        throw new ApiError(409, 'INVALID_TRANSITION', 'the order changed meanwhile')
      })
      .catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(ApiError)
    expect(await rowsOf(a.tenant.tenantId, key)).toEqual([])
    expect(a.capture.messages).toEqual([])
  })

  it('queues the send job only after the commit, so the job always finds its row', async () => {
    const key = `order:${crypto.randomUUID()}:paid`
    const queuedDuringTheVerb: unknown[] = []
    await a.caller.run(async (ctx) => {
      await enqueueMessage(ctx, email(newAddress(), key))
      queuedDuringTheVerb.push(...a.capture.messages)
    })
    expect(queuedDuringTheVerb).toEqual([])
    expect(a.capture.messages.splice(0)).toHaveLength(1)
  })

  it('refuses free WhatsApp text when the caller says the window is closed (422), storing nothing', async () => {
    const sender = await whatsappConnection(db, a.tenant.tenantId)
    const to = newCustomer()
    const key = `reminder:${crypto.randomUUID()}`
    const input = {
      channel: 'whatsapp',
      purpose: 'scheduling.reminder',
      idempotencyKey: key,
      to,
      from: { connectionId: sender.connectionId, phoneNumberId: sender.phoneNumberId },
      window: 'closed',
      content: { type: 'text', text: 'Lembrete: amanhã às 9h.' },
    } satisfies OutboundInput
    const error = await refusal(a.caller.run((ctx) => enqueueMessage(ctx, input)))
    expect({ status: error.status, code: error.code }).toEqual({ status: 422, code: 'WINDOW_CLOSED' })
    expect(error.message).toMatch(/template/)
    expect(await rowsOf(a.tenant.tenantId, key)).toEqual([])
    // A template is what goes outside the window.
    const template = await a.caller.run((ctx) =>
      enqueueMessage(ctx, {
        ...input,
        content: {
          type: 'template',
          name: 'appointment_reminder',
          language: 'pt_BR',
          parameters: ['Maria', '9h'],
        },
      }),
    )
    await runJobs(a.env, a.capture.messages.splice(0))
    expect((await whatsappSent(to)).map((m) => m.type)).toEqual(['template'])
    expect((await rowsOf(a.tenant.tenantId, key))[0]).toEqual({ id: template.id, status: 'sent' })
  })

  it('answers an invalid message with 400 naming the field', async () => {
    const error = await refusal(
      a.caller.run((ctx) => enqueueMessage(ctx, { ...email('not an address', 'k'), to: 'not an address' })),
    )
    expect(error.status).toBe(400)
    expect(error.fields?.[0]?.path).toBe('message.to')
  })
})

describe('tenants apart', () => {
  it('keys are per tenant, and no tenant reads or claims another’s message', async () => {
    const key = `order:${crypto.randomUUID()}:paid`
    const mine = await a.caller.run((ctx) => enqueueMessage(ctx, email(newAddress(), key)))
    const theirs = await b.caller.run((ctx) => enqueueMessage(ctx, email(newAddress(), key)))
    expect(theirs.created).toBe(true)
    expect(theirs.id).not.toBe(mine.id)
    // Row-level security: B's transaction sees none of A's rows, even asked by id.
    const seen = await b.caller.run(async (ctx) => {
      const rows = await ctx.tx.execute<{ id: string }>(
        sql`select id from outbound_messages where id = ${mine.id}`,
      )
      return rows.rows
    })
    expect(seen).toEqual([])
    // A job naming A's message under B's tenant finds nothing to claim.
    a.capture.messages.length = 0
    b.capture.messages.length = 0
    await runJobs(b.env, [{ type: 'messaging.send', v: 1, tenantId: b.tenant.tenantId, messageId: mine.id }])
    expect((await rowsOf(a.tenant.tenantId, key))[0]?.status).toBe('queued')
  })
})
