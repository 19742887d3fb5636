import { beforeAll, describe, expect, it } from 'vitest'
import { type AttendanceContext, attendanceSetup, customerWrites } from '../../helpers/attendance.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, login } from '../../helpers/fixtures.ts'

/**
 * The agent role (docs/attendance.md#roles): a member who works the inbox — reads and answers
 * conversations, writes notes, takes and resolves them — and reaches nothing else.
 */
let db: TestDatabase
let t: AttendanceContext
beforeAll(async () => {
  db = await createTestDatabase()
  t = await attendanceSetup(db)
})

const status = async (response: Response) => {
  const text = await response.text()
  return { status: response.status, text }
}

describe('an agent', () => {
  it('reads, answers, notes, takes and resolves a conversation', async () => {
    const agent = await t.member('agent')
    const { conversationId, contactId } = await customerWrites(t, { name: 'Ana Cliente' })
    const base = `/api/v1/attendance/conversations/${conversationId}`
    expect((await agent.call('/api/v1/attendance/conversations')).status).toBe(200)
    expect((await agent.call(base)).status).toBe(200)
    expect((await agent.call(`/api/v1/attendance/contacts/${contactId}`)).status).toBe(200)
    const reply = await agent.call(`${base}/messages`, {
      method: 'POST',
      json: { type: 'text', client_message_id: crypto.randomUUID(), text: 'Olá, Ana!' },
    })
    expect(reply.status, await reply.clone().text()).toBe(201)
    expect(
      (await agent.call(`${base}/notes`, { method: 'POST', json: { text: 'cliente antiga' } })).status,
    ).toBe(201)
    const taken = await agent.call(`${base}/assign`, { method: 'POST', json: { assignee_id: agent.id } })
    expect(taken.status).toBe(200)
    expect(((await taken.json()) as { assignee_id: string }).assignee_id).toBe(agent.id)
    const resolved = await agent.call(`${base}/status`, { method: 'POST', json: { status: 'resolved' } })
    expect(resolved.status).toBe(200)
    const [row] = await db.owner<{ status: string; assignee_id: string }>(
      'select status, assignee_id from attendance_conversations where id = $1',
      [conversationId],
    )
    expect(row).toEqual({ status: 'resolved', assignee_id: agent.id })
    // The acts are the agent's in the audit trail.
    const [audit] = await db.owner<{ n: number }>(
      "select count(*)::int as n from audit_log where actor_id = $1 and action like 'attendance.%'",
      [agent.id],
    )
    expect(audit?.n).toBeGreaterThanOrEqual(3)
  })

  it('is refused everything outside the inbox: numbers, templates, erasure, connections, metrics, team, keys, settings, outbox', async () => {
    const agent = await t.member('agent')
    const { contactId } = await customerWrites(t)
    const refused: [string, string, unknown?][] = [
      [
        'POST',
        '/api/v1/attendance/numbers',
        { connection_id: t.connectionId, phone_number_id: '1', display_number: '1' },
      ],
      ['POST', `/api/v1/attendance/numbers/${t.numberId}/templates/sync`],
      ['DELETE', `/api/v1/attendance/contacts/${contactId}`],
      ['GET', '/api/v1/connections'],
      ['GET', '/api/v1/metrics/summary'],
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/users', { email: 'x@example.test', name: 'X', role: 'agent' }],
      ['GET', '/api/v1/api-keys'],
      ['GET', '/api/v1/tenant'],
      ['GET', '/api/v1/tenant/settings'],
      ['GET', '/api/v1/messages'],
      ['GET', '/api/v1/calendar/properties'],
    ]
    for (const [method, path, json] of refused) {
      const answer = await status(await agent.call(path, { method, ...(json ? { json } : {}) }))
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(403)
    }
    // Their own session and account are theirs.
    expect((await agent.call('/api/v1/auth/me')).status).toBe(200)
    expect((await agent.call('/api/v1/auth/sessions')).status).toBe(200)
  })

  it('can be given by the team API, and is assignable; a viewer made agent (or back) signs in again', async () => {
    const created = await t.call('/api/v1/users', {
      method: 'POST',
      json: {
        email: `agent-${crypto.randomUUID().slice(0, 8)}@example.test`,
        name: 'Recepção',
        role: 'agent',
        password: 'a long enough passphrase',
      },
    })
    expect(created.status, await created.clone().text()).toBe(201)
    const agentId = ((await created.json()) as { id: string; role: string }).id
    const { conversationId } = await customerWrites(t)
    const assigned = await t.call(`/api/v1/attendance/conversations/${conversationId}/assign`, {
      method: 'POST',
      json: { assignee_id: agentId },
    })
    expect(assigned.status).toBe(200)

    // Neither role holds all the other's permissions: either move ends the member's sessions.
    const viewer = await createMember(db, t.tenant.tenantId, 'viewer')
    const viewerCall = as(t.scoped, (await login(db, viewer.email)).access_token)
    const toAgent = await t.call(`/api/v1/users/${viewer.id}`, { method: 'PATCH', json: { role: 'agent' } })
    expect(toAgent.status).toBe(200)
    expect((await viewerCall('/api/v1/auth/me')).status).toBe(401)
    const [audit] = await db.owner<{ data: unknown }>(
      "select data from audit_log where target_id = $1 and action = 'user.role_changed'",
      [viewer.id],
    )
    expect(audit?.data).toEqual({ from: 'viewer', to: 'agent', ended_sessions: 1 })
    const agentCall = as(t.scoped, (await login(db, viewer.email)).access_token)
    expect((await agentCall('/api/v1/attendance/conversations')).status).toBe(200)
    expect(
      (await t.call(`/api/v1/users/${viewer.id}`, { method: 'PATCH', json: { role: 'viewer' } })).status,
    ).toBe(200)
    expect((await agentCall('/api/v1/auth/me')).status).toBe(401)
  })

  it('gets nothing of another tenant or of a plan without the module', async () => {
    const other = await attendanceSetup(db)
    const { conversationId } = await customerWrites(other)
    const agent = await t.member('agent')
    expect((await agent.call(`/api/v1/attendance/conversations/${conversationId}`)).status).toBe(404)
    const disabled = await attendanceSetup(db, { modules: ['metrics'] })
    const gated = await disabled.member('agent')
    const answer = await gated.call('/api/v1/attendance/conversations')
    expect(answer.status).toBe(403)
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('MODULE_DISABLED')
  })
})
