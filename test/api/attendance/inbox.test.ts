import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import {
  type AttendanceContext,
  attendanceSetup,
  customerWrites,
  inbound,
  receive,
  webhookJob,
} from '../../helpers/attendance.ts'
import { runJobs } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { errorCode } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
let t: AttendanceContext
let other: AttendanceContext
let disabled: AttendanceContext
beforeAll(async () => {
  db = await createTestDatabase()
  ;[t, other, disabled] = await Promise.all([
    attendanceSetup(db),
    attendanceSetup(db),
    attendanceSetup(db, { modules: ['metrics'] }),
  ])
})

type Page<T> = { data: T[]; next_cursor: string | null }
type Conversation = { id: string; status: string; assignee_id: string | null; window: { open: boolean } }
const json = async <T>(response: Response, status = 200): Promise<T> => {
  expect(response.status, await response.clone().text()).toBe(status)
  return (await response.json()) as T
}
const post = (context: AttendanceContext, path: string, body?: unknown) =>
  context.call(`/api/v1/attendance${path}`, { method: 'POST', json: body ?? {} })

/** Every attendance route answers 401, 403 (viewer), 404 (other tenant) and 403 MODULE_DISABLED alike. */
async function guarded(path: string, init: { method?: string; json?: unknown } = {}, allowed = 200) {
  const anonymous = await callWorker(t.env, `/api/v1/attendance${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json' },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  })
  expect(anonymous.status).toBe(401)
  const viewer = await t.member('viewer')
  expect((await viewer.call(`/api/v1/attendance${path}`, init)).status).toBe(403)
  const foreign = await other.call(`/api/v1/attendance${path}`, init)
  expect([404, allowed]).toContain(foreign.status)
  const gated = await disabled.call(`/api/v1/attendance${path}`, init)
  expect(gated.status).toBe(403)
  expect(await errorCode(gated)).toBe('MODULE_DISABLED')
  return foreign.status
}

describe('conversations', () => {
  it('lists with filters (mine, unassigned, waiting, status) in keyset pages', async () => {
    const a = await customerWrites(t)
    const b = await customerWrites(t)
    const c = await customerWrites(t)
    const owner = await t.member('owner')
    await json(await post(t, `/conversations/${a.conversationId}/assign`, { assignee_id: owner.id }))
    await json(await post(t, `/conversations/${b.conversationId}/status`, { status: 'resolved' }))
    const mine = await json<Page<Conversation>>(
      await owner.call('/api/v1/attendance/conversations?filter=mine'),
    )
    expect(mine.data.map((x) => x.id)).toEqual([a.conversationId])
    const unassigned = await json<Page<Conversation>>(
      await t.call('/api/v1/attendance/conversations?filter=unassigned'),
    )
    expect(unassigned.data.map((x) => x.id)).toContain(c.conversationId)
    expect(unassigned.data.map((x) => x.id)).not.toContain(a.conversationId)
    const waiting = await json<Page<Conversation>>(
      await t.call('/api/v1/attendance/conversations?filter=waiting'),
    )
    expect(waiting.data.map((x) => x.id)).not.toContain(b.conversationId)
    const resolved = await json<Page<Conversation>>(
      await t.call('/api/v1/attendance/conversations?status=resolved'),
    )
    expect(resolved.data.map((x) => x.id)).toEqual([b.conversationId])
    // Keyset pages: every conversation once, newest activity first.
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: Page<Conversation> = await json(
        await t.call(`/api/v1/attendance/conversations?limit=1${cursor ? `&cursor=${cursor}` : ''}`),
      )
      seen.push(...page.data.map((x) => x.id))
      cursor = page.next_cursor
    } while (cursor)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.slice(0, 3).sort()).toEqual([a.conversationId, b.conversationId, c.conversationId].sort())
    expect((await t.call('/api/v1/attendance/conversations?cursor=forged')).status).toBe(400)
    expect((await t.call('/api/v1/attendance/conversations?filter=everything')).status).toBe(400)
    await guarded('/conversations')
  })

  it('shows one conversation with its messages, and pages the messages newest first', async () => {
    const { conversationId, from } = await customerWrites(t, { text: 'primeira' })
    await receive(t, inbound(t, { from, text: 'segunda' }), inbound(t, { from, text: 'terceira' }))
    const conversation = await json<{
      messages: { body: string }[]
      contact: { id: string }
      number: { id: string }
    }>(await t.call(`/api/v1/attendance/conversations/${conversationId}`))
    expect(conversation.messages).toHaveLength(3)
    expect(conversation.number.id).toBe(t.numberId)
    const first = await json<Page<{ body: string }>>(
      await t.call(`/api/v1/attendance/conversations/${conversationId}/messages?limit=2`),
    )
    expect(first.data).toHaveLength(2)
    const rest = await json<Page<{ body: string }>>(
      await t.call(
        `/api/v1/attendance/conversations/${conversationId}/messages?limit=2&cursor=${first.next_cursor}`,
      ),
    )
    expect([...first.data, ...rest.data].map((m) => m.body).sort()).toEqual([
      'primeira',
      'segunda',
      'terceira',
    ])
    expect(rest.next_cursor).toBeNull()
    expect((await t.call(`/api/v1/attendance/conversations/${newId('cnv')}`)).status).toBe(404)
    expect((await t.call('/api/v1/attendance/conversations/nope')).status).toBe(400)
    await guarded(`/conversations/${conversationId}`)
    await guarded(`/conversations/${conversationId}/messages`)
  })

  it('assigns to members who may answer, and to nobody', async () => {
    const { conversationId } = await customerWrites(t)
    const admin = await t.member('admin')
    const analyst = await t.member('analyst')
    const assigned = await json<Conversation>(
      await post(t, `/conversations/${conversationId}/assign`, { assignee_id: admin.id }),
    )
    expect(assigned.assignee_id).toBe(admin.id)
    // An analyst reads the inbox but does not answer it; another tenant's member is nobody here.
    const refused = await post(t, `/conversations/${conversationId}/assign`, { assignee_id: analyst.id })
    expect(refused.status).toBe(400)
    const foreignMember = await other.member('admin')
    expect(
      (await post(t, `/conversations/${conversationId}/assign`, { assignee_id: foreignMember.id })).status,
    ).toBe(400)
    const cleared = await json<Conversation>(
      await post(t, `/conversations/${conversationId}/assign`, { assignee_id: null }),
    )
    expect(cleared.assignee_id).toBeNull()
    const [audit] = await db.owner<{ n: number }>(
      "select count(*)::int as n from audit_log where tenant_id = $1 and action = 'attendance.conversation_assigned' and target_id = $2",
      [t.tenant.tenantId, conversationId],
    )
    expect(audit?.n).toBe(2)
    await guarded(`/conversations/${conversationId}/assign`, { method: 'POST', json: { assignee_id: null } })
  })

  it('resolves, snoozes and reopens; an inbound message reopens a resolved one', async () => {
    const { conversationId, from } = await customerWrites(t)
    const resolved = await json<Conversation & { resolved_at: string }>(
      await post(t, `/conversations/${conversationId}/status`, { status: 'resolved' }),
    )
    expect(resolved).toMatchObject({ status: 'resolved' })
    expect(resolved.resolved_at).not.toBeNull()
    const past = await post(t, `/conversations/${conversationId}/status`, {
      status: 'snoozed',
      snoozed_until: '2020-01-01T00:00:00Z',
    })
    expect(past.status).toBe(400)
    expect((await post(t, `/conversations/${conversationId}/status`, { status: 'snoozed' })).status).toBe(400)
    const snoozed = await json<Conversation & { snoozed_until: string }>(
      await post(t, `/conversations/${conversationId}/status`, {
        status: 'snoozed',
        snoozed_until: new Date(Date.now() + 3600_000).toISOString(),
      }),
    )
    expect(snoozed.status).toBe('snoozed')
    await receive(t, inbound(t, { from, text: 'alô?' }))
    const reopened = await json<Conversation & { snoozed_until: string | null }>(
      await t.call(`/api/v1/attendance/conversations/${conversationId}`),
    )
    expect(reopened).toMatchObject({ status: 'open', snoozed_until: null })
    await guarded(`/conversations/${conversationId}/status`, { method: 'POST', json: { status: 'open' } })
  })

  it('keeps internal notes in the thread, never sent', async () => {
    const { conversationId } = await customerWrites(t)
    const note = await json<{ direction: string; body: string; delivery: null }>(
      await post(t, `/conversations/${conversationId}/notes`, { text: 'cliente VIP' }),
      201,
    )
    expect(note).toMatchObject({ direction: 'note', body: 'cliente VIP', delivery: null })
    expect(t.capture.messages.some((m) => (m as { type: string }).type === 'messaging.send')).toBe(false)
    expect((await post(t, `/conversations/${conversationId}/notes`, { text: '' })).status).toBe(400)
    await guarded(`/conversations/${conversationId}/notes`, { method: 'POST', json: { text: 'x' } }, 201)
  })
})

describe('contacts', () => {
  it('shows the contact panel and renames a contact', async () => {
    const { contactId, from, conversationId } = await customerWrites(t, { name: 'Ana Perfil' })
    const contact = await json<{
      profile_name: string
      wa_id: string
      customer: { phone: string }
      conversations: { id: string }[]
    }>(await t.call(`/api/v1/attendance/contacts/${contactId}`))
    expect(contact).toMatchObject({
      profile_name: 'Ana Perfil',
      wa_id: from,
      customer: { phone: `+${from}` },
    })
    expect(contact.conversations.map((c) => c.id)).toEqual([conversationId])
    const renamed = await json<{ name: string }>(
      await t.call(`/api/v1/attendance/contacts/${contactId}`, {
        method: 'PATCH',
        json: { name: 'Ana Souza' },
      }),
    )
    expect(renamed.name).toBe('Ana Souza')
    expect(
      (await t.call(`/api/v1/attendance/contacts/${contactId}`, { method: 'PATCH', json: {} })).status,
    ).toBe(400)
    await guarded(`/contacts/${contactId}`)
    await guarded(`/contacts/${contactId}`, { method: 'PATCH', json: { name: null } })
  })

  it('erases a contact: its messages, replies, conversations and itself; only counts remain', async () => {
    const { contactId, conversationId, from } = await customerWrites(t, { text: 'apague meus dados' })
    await json(
      await post(t, `/conversations/${conversationId}/messages`, {
        type: 'text',
        client_message_id: 'e1',
        text: 'ok',
      }),
      201,
    )
    await json(await post(t, `/conversations/${conversationId}/notes`, { text: 'pediu exclusão' }), 201)
    // Admins erase (privacy.manage); analysts and API keys do not.
    const analyst = await t.member('analyst')
    expect(
      (await analyst.call(`/api/v1/attendance/contacts/${contactId}`, { method: 'DELETE' })).status,
    ).toBe(403)
    const erased = await json<{ messages: number; conversations: number; outbound_messages: number }>(
      await t.call(`/api/v1/attendance/contacts/${contactId}`, { method: 'DELETE' }),
    )
    expect(erased).toEqual({ messages: 3, conversations: 1, outbound_messages: 1 })
    const left = await db.owner<{ n: number }>(
      `select (select count(*) from attendance_contacts where id = $1)
            + (select count(*) from attendance_conversations where id = $2)
            + (select count(*) from attendance_messages where conversation_id = $2)
            + (select count(*) from outbound_messages where recipient = $3)
            + (select count(*) from audit_log where data::text like '%' || $3 || '%') as n`,
      [contactId, conversationId, from],
    )
    expect(Number(left[0]?.n)).toBe(0)
    expect((await t.call(`/api/v1/attendance/contacts/${contactId}`)).status).toBe(404)
    await guarded(`/contacts/${newId('ctc')}`, { method: 'DELETE' }, 404)
  })
})

describe('numbers and templates', () => {
  it('adds a number once, only with a WhatsApp connection of the tenant', async () => {
    const numbers = await json<{ data: { id: string; waba_id: string }[] }>(
      await t.call('/api/v1/attendance/numbers'),
    )
    expect(numbers.data).toEqual([expect.objectContaining({ id: t.numberId, waba_id: t.wabaId })])
    const again = await post(t, '/numbers', {
      connection_id: t.connectionId,
      phone_number_id: t.phoneNumberId,
      display_number: '+55 11 4000-1000',
    })
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('NUMBER_EXISTS')
    const foreign = await post(t, '/numbers', {
      connection_id: other.connectionId,
      phone_number_id: '123',
      display_number: '+55 11 4000-1000',
    })
    expect(foreign.status).toBe(400)
    expect((await post(t, '/numbers', { connection_id: 'x' })).status).toBe(400)
    await guarded('/numbers')
    const analyst = await t.member('analyst')
    expect((await analyst.call('/api/v1/attendance/numbers', { method: 'POST', json: {} })).status).toBe(403)
  })

  it('syncs templates from the WABA (paged) and keeps them current from the status webhook', async () => {
    const queued = await json<{ status: string }>(await post(t, `/numbers/${t.numberId}/templates/sync`), 202)
    expect(queued.status).toBe('queued')
    const jobs = t.capture.messages.filter(
      (m) => (m as { type: string }).type === 'attendance.templates_sync',
    )
    expect(jobs).toHaveLength(1)
    expect((await runJobs(t.env, jobs)).retryMessages).toEqual([])
    type Template = { name: string; status: string; parameters: string[]; category: string }
    const list = await json<{ data: Template[] }>(
      await t.call(`/api/v1/attendance/numbers/${t.numberId}/templates`),
    )
    expect(list.data.map((x) => [x.name, x.status, x.parameters.length])).toEqual([
      ['appointment_reminder', 'APPROVED', 2],
      ['hello_world', 'APPROVED', 0],
      ['order_update', 'APPROVED', 1],
      ['promo_dezembro', 'PENDING', 1],
    ])
    const approved = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: t.wabaId,
          time: Math.floor(Date.now() / 1000),
          changes: [
            {
              field: 'message_template_status_update',
              value: {
                event: 'APPROVED',
                message_template_id: 1,
                message_template_name: 'promo_dezembro',
                message_template_language: 'pt_BR',
                reason: null,
              },
            },
          ],
        },
      ],
    })
    expect((await runJobs(t.env, [webhookJob(t.tenant.tenantId, approved)])).retryMessages).toEqual([])
    const after = await json<{ data: Template[] }>(
      await t.call(`/api/v1/attendance/numbers/${t.numberId}/templates`),
    )
    expect(after.data.find((x) => x.name === 'promo_dezembro')?.status).toBe('APPROVED')
    await guarded(`/numbers/${t.numberId}/templates`)
    await guarded(`/numbers/${t.numberId}/templates/sync`, { method: 'POST' }, 202)
  })
})

describe('usage and reports', () => {
  it('reports volume per day and response and resolution times per agent and per number', async () => {
    const fresh = await attendanceSetup(db)
    const owner = await fresh.member('owner')
    const { conversationId } = await customerWrites(fresh)
    await json(await post(fresh, `/conversations/${conversationId}/assign`, { assignee_id: owner.id }))
    await json(
      await post(fresh, `/conversations/${conversationId}/messages`, {
        type: 'text',
        client_message_id: 'r1',
        text: 'oi',
      }),
      201,
    )
    await json(await post(fresh, `/conversations/${conversationId}/status`, { status: 'resolved' }))
    const today = new Date().toISOString().slice(0, 10)
    const report = await json<{
      volume: { day: string; inbound: number; outbound: number }[]
      by_agent: {
        agent_id: string
        conversations: number
        replied: number
        resolved: number
        first_response_p50_s: number
      }[]
      by_number: { number_id: string; conversations: number }[]
    }>(await fresh.call(`/api/v1/attendance/reports?from=${today}&to=${today}`))
    expect(report.volume).toEqual([{ day: today, inbound: 1, outbound: 1, notes: 0 }])
    expect(report.by_agent).toEqual([
      expect.objectContaining({ agent_id: owner.id, conversations: 1, replied: 1, resolved: 1 }),
    ])
    expect(report.by_agent[0]?.first_response_p50_s).toBeGreaterThanOrEqual(0)
    expect(report.by_number).toEqual([
      expect.objectContaining({ number_id: fresh.numberId, conversations: 1 }),
    ])
    expect((await fresh.call(`/api/v1/attendance/reports?from=${today}&to=2020-01-01`)).status).toBe(400)
    expect((await fresh.call('/api/v1/attendance/reports?from=2020-01-01&to=2026-01-01')).status).toBe(400)
    expect((await fresh.call('/api/v1/attendance/reports?from=hoje&to=amanha')).status).toBe(400)
    const usage = await json<{ sent: number; limit: number; by_category: unknown[] }>(
      await fresh.call('/api/v1/attendance/usage'),
    )
    expect(usage).toMatchObject({ sent: 1, limit: 1000 })
    await guarded(`/reports?from=${today}&to=${today}`)
    await guarded('/usage')
  })
})
