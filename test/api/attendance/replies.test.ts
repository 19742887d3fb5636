import { beforeAll, describe, expect, it } from 'vitest'
import {
  type AttendanceContext,
  attendanceSetup,
  customerWrites,
  inbound,
  receive,
  seedTemplate,
} from '../../helpers/attendance.ts'
import { runJobs, uniqueAccount } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { errorCode } from '../../helpers/fixtures.ts'
import { whatsappSent } from '../../helpers/messaging.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
let t: AttendanceContext
beforeAll(async () => {
  db = await createTestDatabase()
  t = await attendanceSetup(db)
  await seedTemplate(t, {
    name: 'appointment_reminder',
    language: 'pt_BR',
    body: 'Olá {{1}}, lembrete do seu horário às {{2}}.',
    parameters: ['1', '2'],
  })
  await seedTemplate(t, {
    name: 'promo_dezembro',
    language: 'pt_BR',
    status: 'PENDING',
    body: 'Promo {{1}}',
    parameters: ['1'],
  })
})

const send = (context: AttendanceContext, conversationId: string, json: unknown) =>
  context.call(`/api/v1/attendance/conversations/${conversationId}/messages`, { method: 'POST', json })
const text = (clientMessageId: string, body = 'Olá! Como posso ajudar?') => ({
  type: 'text',
  client_message_id: clientMessageId,
  text: body,
})
/** Runs the `messaging.send` jobs queued so far, each delivered `times` times (a redelivering queue). */
async function runSends(context: AttendanceContext, times = 1) {
  const jobs = context.capture.messages.filter((m) => (m as { type: string }).type === 'messaging.send')
  context.capture.messages.length = 0
  for (let i = 0; i < times; i++) await runJobs(context.env, jobs)
}
const outboxCount = async (tenantId: string) =>
  (
    await db.owner<{ n: number }>('select count(*)::int as n from outbound_messages where tenant_id = $1', [
      tenantId,
    ])
  )[0]?.n
const fiftyHoursAgo = () => Math.floor(Date.now() / 1000) - 50 * 3600

describe('POST /api/v1/attendance/conversations/:id/messages', () => {
  it('sends free text inside the window once, however often the queue delivers the send', async () => {
    const { conversationId, from } = await customerWrites(t)
    const response = await send(t, conversationId, text(`c-${crypto.randomUUID()}`))
    expect(response.status).toBe(201)
    const message = (await response.json()) as { id: string; direction: string; delivery: { status: string } }
    expect(message).toMatchObject({ direction: 'out', delivery: { status: 'queued' } })
    await runSends(t, 3)
    const sent = await whatsappSent(from)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({
      type: 'text',
      text: 'Olá! Como posso ajudar?',
      phoneNumberId: t.phoneNumberId,
    })
    const conversation = (await (
      await t.call(`/api/v1/attendance/conversations/${conversationId}`)
    ).json()) as {
      waiting_since: string | null
      first_reply_at: string | null
      messages: { id: string; direction: string; delivery: { status: string } | null }[]
    }
    expect(conversation.waiting_since).toBeNull()
    expect(conversation.first_reply_at).not.toBeNull()
    expect(conversation.messages.map((m) => [m.direction, m.delivery?.status ?? null])).toEqual([
      ['in', null],
      ['out', 'sent'],
    ])
  })

  it('the same client message id again answers the first message: one outbox row, one send, one use', async () => {
    const other = await attendanceSetup(db)
    const { conversationId, from } = await customerWrites(other)
    const clientId = `c-${crypto.randomUUID()}`
    const first = (await (await send(other, conversationId, text(clientId))).json()) as { id: string }
    const again = await send(other, conversationId, text(clientId))
    expect(again.status).toBe(200)
    expect(((await again.json()) as { id: string }).id).toBe(first.id)
    // The same id for a different text is a conflict, not a second message.
    const reused = await send(other, conversationId, text(clientId, 'outra coisa'))
    expect(reused.status).toBe(409)
    expect(await errorCode(reused)).toBe('IDEMPOTENCY_KEY_REUSED')
    await runSends(other, 2)
    expect(await whatsappSent(from)).toHaveLength(1)
    expect(await outboxCount(other.tenant.tenantId)).toBe(1)
    const usage = (await (await other.call('/api/v1/attendance/usage')).json()) as {
      sent: number
      limit: number
    }
    expect(usage).toMatchObject({ sent: 1, limit: 1000 })
  })

  it('refuses free text outside the window with 422, offering the approved templates, and calls nobody', async () => {
    const { conversationId, from } = await customerWrites(t, { timestamp: fiftyHoursAgo() })
    const before = await outboxCount(t.tenant.tenantId)
    const response = await send(t, conversationId, text(`c-${crypto.randomUUID()}`))
    expect(response.status).toBe(422)
    const body = (await response.json()) as {
      error: { code: string; details: { templates: { name: string }[] } }
    }
    expect(body.error.code).toBe('WINDOW_CLOSED')
    expect(body.error.details.templates.map((x) => x.name)).toEqual(['appointment_reminder'])
    await runSends(t)
    expect(await whatsappSent(from)).toEqual([])
    expect(await outboxCount(t.tenant.tenantId)).toBe(before)
  })

  it('sends an approved template outside the window, its parameters checked against the synced template', async () => {
    const { conversationId, from } = await customerWrites(t, { timestamp: fiftyHoursAgo() })
    const template = (parameters: unknown[], name = 'appointment_reminder') => ({
      type: 'template',
      client_message_id: `c-${crypto.randomUUID()}`,
      name,
      language: 'pt_BR',
      parameters,
    })
    const short = await send(t, conversationId, template(['Maria']))
    expect(short.status).toBe(400)
    expect(((await short.json()) as { error: { fields: { path: string }[] } }).error.fields[0]?.path).toBe(
      'json.content.parameters',
    )
    const pending = await send(t, conversationId, template(['10'], 'promo_dezembro'))
    expect(pending.status).toBe(422)
    expect(await errorCode(pending)).toBe('TEMPLATE_NOT_APPROVED')
    const unknown = await send(t, conversationId, template([], 'nao_existe'))
    expect(await errorCode(unknown)).toBe('TEMPLATE_NOT_APPROVED')
    const ok = await send(t, conversationId, template(['Maria', '9h']))
    expect(ok.status).toBe(201)
    expect(((await ok.json()) as { body: string }).body).toBe('Olá Maria, lembrete do seu horário às 9h.')
    await runSends(t)
    const sent = await whatsappSent(from)
    expect(sent.map((m) => m.template)).toEqual([
      { name: 'appointment_reminder', language: 'pt_BR', parameters: ['Maria', '9h'] },
    ])
  })

  it('stops at the plan’s monthly limit even when 50 sends race: Postgres refuses the rest', async () => {
    const limited = await attendanceSetup(db, { messagesLimit: 3 })
    const { conversationId } = await customerWrites(limited)
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(limited, conversationId, text(`race-${i}`, `mensagem ${i}`))),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(3)
    expect(statuses.filter((s) => s === 403)).toHaveLength(47)
    expect(await errorCode(responses.find((r) => r.status === 403) as Response)).toBe(
      'ATTENDANCE_LIMIT_REACHED',
    )
    expect(await outboxCount(limited.tenant.tenantId)).toBe(3)
  })

  it('a contact known only by username cannot be written to yet: 422, nothing stored', async () => {
    const userId = `BR.${uniqueAccount('1', 16)}`
    await receive(t, inbound(t, { userId, from: undefined }))
    const [row] = await db.owner<{ id: string }>(
      `select v.id from attendance_conversations v join attendance_contacts c on c.id = v.contact_id where c.bsuid = $1`,
      [userId],
    )
    const response = await send(t, row?.id ?? '', text(`c-${crypto.randomUUID()}`))
    expect(response.status).toBe(422)
    expect(await errorCode(response)).toBe('CONTACT_NOT_REACHABLE')
  })

  it('answers 400 for bad input, 401 without a token, 403 to a role that may not reply, 404 for another tenant’s conversation', async () => {
    const { conversationId } = await customerWrites(t)
    expect((await send(t, conversationId, { type: 'text', text: 'sem id' })).status).toBe(400)
    expect(
      (await send(t, conversationId, { type: 'text', client_message_id: 'bad id!', text: 'x' })).status,
    ).toBe(400)
    expect((await send(t, 'cnv_nope', text('x'))).status).toBe(400)
    const anonymous = await callWorker(t.env, `/api/v1/attendance/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(text('x')),
    })
    expect(anonymous.status).toBe(401)
    const analyst = await t.member('analyst')
    const refused = await send({ ...t, call: analyst.call }, conversationId, text('x'))
    expect(refused.status).toBe(403)
    const other = await attendanceSetup(db)
    const foreign = await send(other, conversationId, text('x'))
    expect(foreign.status).toBe(404)
    expect(await errorCode(foreign)).toBe('NOT_FOUND')
    const disabled = await attendanceSetup(db, { modules: ['metrics'] })
    const gated = await send(disabled, conversationId, text('x'))
    expect(gated.status).toBe(403)
    expect(await errorCode(gated)).toBe('MODULE_DISABLED')
  })
})
