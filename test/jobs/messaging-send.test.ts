import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { enqueueMessage, type OutboundInput } from '../../worker/services/messaging/outbox.ts'
import { consume, jobBatch, runJobs } from '../helpers/connections.ts'
import { createTestDatabase, fakeControl, type TestDatabase } from '../helpers/env.ts'
import {
  emailsTo,
  makeDue,
  messageRow,
  messagingSetup,
  newAddress,
  newCustomer,
  resendFail,
  whatsappConnection,
  whatsappFail,
  whatsappSent,
  whatsappWindow,
} from '../helpers/messaging.ts'
import { captureLogs } from '../helpers/worker.ts'

let db: TestDatabase
let setup: Awaited<ReturnType<typeof messagingSetup>>
let sender: Awaited<ReturnType<typeof whatsappConnection>>

beforeAll(async () => {
  db = await createTestDatabase()
  setup = await messagingSetup(db)
  sender = await whatsappConnection(db, setup.tenant.tenantId)
})
afterAll(async () => {
  await setup?.close()
})

const key = () => `test:${crypto.randomUUID()}`

/** A WhatsApp message from the tenant's connection, inside the window unless said otherwise. */
const whatsapp = (
  to: string,
  content: Extract<OutboundInput, { channel: 'whatsapp' }>['content'],
  window: 'open' | 'closed' = 'open',
) =>
  ({
    channel: 'whatsapp',
    purpose: 'test.whatsapp',
    idempotencyKey: key(),
    to,
    from: { connectionId: sender.connectionId, phoneNumberId: sender.phoneNumberId },
    window,
    content,
  }) satisfies OutboundInput

/** Enqueues as a module's verb would, and hands back the job that was queued after the commit. */
async function enqueue(input: OutboundInput) {
  const message = await setup.caller.run((ctx) => enqueueMessage(ctx, input))
  const jobs = setup.capture.messages.splice(0) as JobMessage[]
  expect(jobs).toEqual([
    { type: 'messaging.send', v: 1, tenantId: setup.tenant.tenantId, messageId: message.id },
  ])
  return { message, jobs }
}

const tick = (scheduledTime = Date.now()) =>
  runJobs(setup.env, [{ type: 'cron.tick', v: 1, cron: '*/15 * * * *', scheduledTime }])

describe('messaging.send: at most once per message', () => {
  it('sends a WhatsApp text once, however often the job is delivered, and records the wamid', async () => {
    const to = newCustomer()
    const { message, jobs } = await enqueue(
      whatsapp(to, { type: 'text', text: 'Sua consulta é amanhã às 9h.' }),
    )
    // Delivered twice in one batch, then redelivered twice more.
    const first = await runJobs(setup.env, [...jobs, ...jobs])
    expect(first.retryMessages).toEqual([])
    await runJobs(setup.env, jobs)
    await consume(setup.env, jobBatch(jobs, { attempts: 3 }))
    const sent = await whatsappSent(to)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({
      phoneNumberId: sender.phoneNumberId,
      type: 'text',
      text: 'Sua consulta é amanhã às 9h.',
    })
    expect(await messageRow(db, message.id)).toMatchObject({
      status: 'sent',
      attempts: 1,
      provider_message_id: sent[0]?.wamid,
      error_code: null,
      sent_at: expect.any(Date),
    })
  })

  it('sends a template with its parameters, and records a template refusal without retrying', async () => {
    const to = newCustomer()
    const { message, jobs } = await enqueue(
      whatsapp(
        to,
        { type: 'template', name: 'appointment_reminder', language: 'pt_BR', parameters: ['Maria', '9h'] },
        'closed',
      ),
    )
    await runJobs(setup.env, jobs)
    expect((await whatsappSent(to)).map((m) => m.template)).toEqual([
      { name: 'appointment_reminder', language: 'pt_BR', parameters: ['Maria', '9h'] },
    ])
    expect((await messageRow(db, message.id))?.status).toBe('sent')

    const wrong = await enqueue(
      whatsapp(
        to,
        { type: 'template', name: 'appointment_reminder', language: 'pt_BR', parameters: ['Maria'] },
        'closed',
      ),
    )
    const result = await runJobs(setup.env, wrong.jobs)
    expect(result.retryMessages).toEqual([])
    expect(await messageRow(db, wrong.message.id)).toMatchObject({
      status: 'failed',
      error_code: 'TEMPLATE_INVALID',
      provider_error_code: '132000',
    })
    expect(await whatsappSent(to)).toHaveLength(1)
  })

  it('fails 131047 (outside the window) at once with WINDOW_CLOSED: no retry, no second call', async () => {
    const to = newCustomer()
    await whatsappWindow(to, false)
    // The caller thought the window open; WhatsApp says otherwise.
    const { message, jobs } = await enqueue(whatsapp(to, { type: 'text', text: 'Oi!' }))
    const { result, lines } = await captureLogs(() => runJobs(setup.env, jobs))
    expect(result.retryMessages).toEqual([])
    expect(result.explicitAcks).toHaveLength(1)
    const row = await messageRow(db, message.id)
    expect(row).toMatchObject({
      status: 'failed',
      error_code: 'WINDOW_CLOSED',
      provider_error_code: '131047',
      attempts: 1,
    })
    expect(row?.error_message).toMatch(/template/)
    expect(lines.find((line) => line.message === 'message failed')).toMatchObject({ code: 'WINDOW_CLOSED' })
    // Redelivered, and the window open again: still nothing sent.
    await whatsappWindow(to, true)
    await runJobs(setup.env, [...jobs, ...jobs])
    expect(await whatsappSent(to)).toEqual([])
    expect((await messageRow(db, message.id))?.attempts).toBe(1)
  })

  it('retries 130429 (throughput) after a backoff, then sends it once', async () => {
    const to = newCustomer()
    await whatsappFail(to, 130429)
    const { message, jobs } = await enqueue(whatsapp(to, { type: 'text', text: 'Pedido enviado.' }))
    const { result: throttled, lines } = await captureLogs(() => runJobs(setup.env, jobs))
    expect(throttled.retryMessages).toHaveLength(1)
    const retry = lines.find((line) => line.message === 'job failed, retrying')
    expect(retry?.delay_seconds).toBeGreaterThanOrEqual(2)
    const backingOff = await messageRow(db, message.id)
    expect(backingOff).toMatchObject({
      status: 'queued',
      error_code: 'THROTTLED',
      provider_error_code: '130429',
      attempts: 1,
    })
    expect(backingOff?.next_attempt_at.getTime()).toBeGreaterThan(Date.now())
    // A second job for it (the sweep's, say) before the wait is over sends nothing and waits too.
    const early = await runJobs(setup.env, jobs)
    expect(early.retryMessages).toHaveLength(1)
    expect(await whatsappSent(to)).toEqual([])

    await makeDue(db, message.id)
    const redelivered = await consume(setup.env, jobBatch(jobs, { attempts: 2 }))
    expect(redelivered.retryMessages).toEqual([])
    expect(await whatsappSent(to)).toHaveLength(1)
    expect(await messageRow(db, message.id)).toMatchObject({ status: 'sent', attempts: 2, error_code: null })
  })

  it('retries 131056 (pair rate) and 5xx, and fails THROTTLED once the attempts are spent', async () => {
    const to = newCustomer()
    await whatsappFail(to, 500)
    const outage = await enqueue(whatsapp(to, { type: 'text', text: 'Um' }))
    expect((await runJobs(setup.env, outage.jobs)).retryMessages).toHaveLength(1)
    expect(await messageRow(db, outage.message.id)).toMatchObject({
      status: 'queued',
      error_code: 'PROVIDER_UNAVAILABLE',
    })

    const pair = newCustomer()
    await whatsappFail(pair, 131056, 100)
    const { message, jobs } = await enqueue(whatsapp(pair, { type: 'text', text: 'Dois' }))
    for (let attempt = 1; attempt <= 8; attempt++) {
      await makeDue(db, message.id)
      await consume(setup.env, jobBatch(jobs, { attempts: attempt }))
    }
    expect(await messageRow(db, message.id)).toMatchObject({
      status: 'failed',
      error_code: 'THROTTLED',
      attempts: 8,
    })
    await makeDue(db, message.id)
    await runJobs(setup.env, jobs)
    expect((await messageRow(db, message.id))?.attempts).toBe(8)
    expect(await whatsappSent(pair)).toEqual([])
  })

  it('fails a revoked token TOKEN_INVALID and marks the connection for reconnecting; never logs or stores the token', async () => {
    const other = await whatsappConnection(db, setup.tenant.tenantId)
    await fakeControl('revoke', { token: other.token })
    const to = newCustomer()
    const { message, jobs } = await enqueue({
      ...whatsapp(to, { type: 'text', text: 'Olá' }),
      from: { connectionId: other.connectionId, phoneNumberId: other.phoneNumberId },
    })
    const { result, lines } = await captureLogs(() => runJobs(setup.env, jobs))
    expect(result.retryMessages).toEqual([])
    expect(await messageRow(db, message.id)).toMatchObject({
      status: 'failed',
      error_code: 'TOKEN_INVALID',
      provider_error_code: '190',
    })
    const [connection] = await db.owner<{ status: string }>('select status from connections where id = $1', [
      other.connectionId,
    ])
    expect(connection?.status).toBe('needs_reconnect')
    // The next message from it fails before any call.
    const next = await enqueue({
      ...whatsapp(to, { type: 'text', text: 'De novo' }),
      from: { connectionId: other.connectionId, phoneNumberId: other.phoneNumberId },
    })
    await runJobs(setup.env, next.jobs)
    expect(await messageRow(db, next.message.id)).toMatchObject({
      status: 'failed',
      error_code: 'TOKEN_INVALID',
      attempts: 1,
    })
    for (const token of [other.token, sender.token]) {
      expect(JSON.stringify(lines)).not.toContain(token)
      const rows = await db.owner('select * from outbound_messages where tenant_id = $1', [
        setup.tenant.tenantId,
      ])
      expect(JSON.stringify(rows)).not.toContain(token)
    }
  })

  it('fails a message whose connection does not exist NOT_CONFIGURED, without a call', async () => {
    const to = newCustomer()
    const { message, jobs } = await enqueue({
      ...whatsapp(to, { type: 'text', text: 'Olá' }),
      from: { connectionId: 'con_00000000000000000000', phoneNumberId: sender.phoneNumberId },
    })
    await runJobs(setup.env, jobs)
    expect(await messageRow(db, message.id)).toMatchObject({ status: 'failed', error_code: 'NOT_CONFIGURED' })
    expect(await whatsappSent(to)).toEqual([])
  })
})

describe('e-mail through Resend', () => {
  const email = (to: string) =>
    ({
      channel: 'email',
      purpose: 'test.email',
      idempotencyKey: key(),
      to,
      content: { subject: 'Pedido confirmado', text: 'Seu pedido 123 foi confirmado.' },
    }) satisfies OutboundInput

  it('sends with the message id as the Idempotency-Key, and retries a 429', async () => {
    const to = newAddress()
    await resendFail(to, 429)
    const { message, jobs } = await enqueue(email(to))
    expect((await runJobs(setup.env, jobs)).retryMessages).toHaveLength(1)
    expect(await messageRow(db, message.id)).toMatchObject({
      status: 'queued',
      error_code: 'THROTTLED',
      provider_error_code: 'rate_limit_exceeded',
    })
    await makeDue(db, message.id)
    await runJobs(setup.env, [...jobs, ...jobs])
    const sent = await emailsTo(to)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({
      subject: 'Pedido confirmado',
      idempotencyKey: message.id,
      from: expect.stringContaining('@'),
    })
    expect((await messageRow(db, message.id))?.provider_message_id).toBe(sent[0]?.id)
  })
})

describe('the cron sweep', () => {
  it('queues again a message whose job was lost, once it is a minute overdue', async () => {
    const to = newCustomer()
    const { message } = await enqueue(whatsapp(to, { type: 'text', text: 'Perdida' }))
    // The job never arrives. A fresh message is left alone; an overdue one is queued again.
    const ofMessage = (m: unknown) =>
      (m as JobMessage).type === 'messaging.send' && (m as { messageId: string }).messageId === message.id
    await tick()
    expect(setup.capture.messages.filter(ofMessage)).toEqual([])
    await db.owner(
      `update outbound_messages set next_attempt_at = now() - interval '2 minutes' where id = $1`,
      [message.id],
    )
    await tick(Date.now() + 1)
    const requeued = setup.capture.messages.splice(0).filter(ofMessage)
    expect(requeued).toEqual([
      { type: 'messaging.send', v: 1, tenantId: setup.tenant.tenantId, messageId: message.id },
    ])
    await runJobs(setup.env, requeued)
    expect(await whatsappSent(to)).toHaveLength(1)
  })

  it('never resends a WhatsApp message stuck in sending: it fails OUTCOME_UNKNOWN', async () => {
    const to = newCustomer()
    const { message, jobs } = await enqueue(whatsapp(to, { type: 'text', text: 'Talvez' }))
    // Claimed, then the consumer died before recording the outcome (its deadline has passed).
    await db.owner(
      `update outbound_messages set status = 'sending', attempts = 1, next_attempt_at = now() - interval '1 minute' where id = $1`,
      [message.id],
    )
    await runJobs(setup.env, jobs)
    expect(await whatsappSent(to)).toEqual([])
    setup.capture.messages.length = 0
    await tick(Date.now() + 2)
    expect(await messageRow(db, message.id)).toMatchObject({
      status: 'failed',
      error_code: 'OUTCOME_UNKNOWN',
    })
    expect(
      setup.capture.messages.filter((m) => (m as { messageId?: string }).messageId === message.id),
    ).toEqual([])
    await runJobs(setup.env, jobs)
    expect(await whatsappSent(to)).toEqual([])
  })

  it('sends again an e-mail stuck in sending, which Resend dedupes by its key: one e-mail', async () => {
    const to = newAddress()
    const { message, jobs } = await enqueue({
      channel: 'email',
      purpose: 'test.email',
      idempotencyKey: key(),
      to,
      content: { subject: 'Recibo', text: 'Obrigado.' },
    })
    await runJobs(setup.env, jobs)
    expect(await emailsTo(to)).toHaveLength(1)
    // As if the record after Resend's answer had been lost: the row still says sending.
    await db.owner(
      `update outbound_messages set status = 'sending', provider_message_id = null, sent_at = null,
         next_attempt_at = now() - interval '1 minute' where id = $1`,
      [message.id],
    )
    setup.capture.messages.length = 0
    await tick(Date.now() + 3)
    const requeued = setup.capture.messages
      .splice(0)
      .filter((m) => (m as { messageId?: string }).messageId === message.id)
    expect(requeued).toHaveLength(1)
    await runJobs(setup.env, requeued)
    const sent = await emailsTo(to)
    expect(sent).toHaveLength(1)
    expect(await messageRow(db, message.id)).toMatchObject({
      status: 'sent',
      provider_message_id: sent[0]?.id,
    })
  })
})
