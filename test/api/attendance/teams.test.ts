import { beforeAll, describe, expect, it } from 'vitest'
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

/** Teams and round-robin assignment (docs/attendance.md, "Teams and round-robin"). */
let db: TestDatabase
let other: AttendanceContext
let disabled: AttendanceContext
beforeAll(async () => {
  db = await createTestDatabase()
  ;[other, disabled] = await Promise.all([attendanceSetup(db), attendanceSetup(db, { modules: ['metrics'] })])
})

const json = async <T>(response: Response, status = 200): Promise<T> => {
  expect(response.status, await response.clone().text()).toBe(status)
  return (await response.json()) as T
}
const send = (t: AttendanceContext, method: string, path: string, body: unknown) =>
  t.call(`/api/v1/attendance${path}`, { method, json: body })

/** A tenant whose number's conversations go in turn to a team of `size` agents (ids sorted). */
async function teamed(size: number) {
  const t = await attendanceSetup(db)
  const agents = await Promise.all(Array.from({ length: size }, () => t.member('agent')))
  const team = await json<{ id: string; member_ids: string[] }>(
    await send(t, 'POST', '/teams', { name: 'Recepção', member_ids: agents.map((a) => a.id) }),
    201,
  )
  expect(team.member_ids).toEqual(agents.map((a) => a.id).sort())
  await json(await send(t, 'PUT', `/numbers/${t.numberId}/team`, { team_id: team.id }))
  const byId = new Map(agents.map((a) => [a.id, a]))
  return { t, team, agents: team.member_ids.map((id) => byId.get(id) as (typeof agents)[number]) }
}

const assigneeOf = async (t: AttendanceContext, conversationId: string) =>
  (
    await t.scoped.owner<{ assignee_id: string | null }>(
      'select assignee_id from attendance_conversations where id = $1',
      [conversationId],
    )
  )[0]?.assignee_id

describe('round-robin assignment', () => {
  it('gives each new conversation to the next member of the number’s team, skipping those away', async () => {
    const { t, agents } = await teamed(3)
    const [first, second, third] = agents as [(typeof agents)[0], (typeof agents)[0], (typeof agents)[0]]
    const assigned: (string | null | undefined)[] = []
    for (let i = 0; i < 4; i++) assigned.push(await assigneeOf(t, (await customerWrites(t)).conversationId))
    expect(assigned).toEqual([first.id, second.id, third.id, first.id])

    // The second marks themself away: the rotation passes them by until they are back.
    expect(
      await json(await second.call('/api/v1/attendance/presence', { method: 'PUT', json: { away: true } })),
    ).toEqual({ user_id: second.id, away: true })
    const whileAway = [
      await assigneeOf(t, (await customerWrites(t)).conversationId),
      await assigneeOf(t, (await customerWrites(t)).conversationId),
    ]
    expect(whileAway).not.toContain(second.id)
    await json(await second.call('/api/v1/attendance/presence', { method: 'PUT', json: { away: false } }))
    const seen = new Set<string | null | undefined>()
    for (let i = 0; i < 3; i++) seen.add(await assigneeOf(t, (await customerWrites(t)).conversationId))
    expect(seen).toEqual(new Set([first.id, second.id, third.id]))

    // A conversation someone has keeps them when the customer writes again.
    const { conversationId, from } = await customerWrites(t)
    const owner = await t.member('owner')
    await json(await send(t, 'POST', `/conversations/${conversationId}/assign`, { assignee_id: owner.id }))
    await receive(t, inbound(t, { from }))
    expect(await assigneeOf(t, conversationId)).toBe(owner.id)
  })

  it('leaves conversations unassigned on a number without a team, or when everyone is away', async () => {
    const { t, agents } = await teamed(1)
    const [agent] = agents as [(typeof agents)[0]]
    await json(await agent.call('/api/v1/attendance/presence', { method: 'PUT', json: { away: true } }))
    expect(await assigneeOf(t, (await customerWrites(t)).conversationId)).toBeNull()
    await json(await send(t, 'PUT', `/numbers/${t.numberId}/team`, { team_id: null }))
    await json(await agent.call('/api/v1/attendance/presence', { method: 'PUT', json: { away: false } }))
    expect(await assigneeOf(t, (await customerWrites(t)).conversationId)).toBeNull()
  })

  it('spreads 60 concurrent new conversations exactly evenly over a team of 3', async () => {
    const { t, agents } = await teamed(3)
    const bodies = Array.from({ length: 60 }, () => inbound(t))
    // Each delivery is its own consumer run and transaction, all at once against Postgres.
    const results = await Promise.all(
      bodies.map((body) => runJobs(t.env, [webhookJob(t.tenant.tenantId, body)])),
    )
    const retried = results.filter((r) => r.retryMessages.length > 0).length
    expect(retried).toBe(0)
    const rows = await t.scoped.owner<{ assignee_id: string | null; n: number }>(
      `select v.assignee_id, count(*)::int as n from attendance_conversations v
       where v.tenant_id = $1 group by v.assignee_id order by v.assignee_id`,
      [t.tenant.tenantId],
    )
    expect(rows).toEqual(
      agents
        .map((a) => ({ assignee_id: a.id, n: 20 }))
        .sort((x, y) => (x.assignee_id < y.assignee_id ? -1 : 1)),
    )
    const [team] = await t.scoped.owner<{ rr_next: string }>(
      'select rr_next from attendance_teams where tenant_id = $1',
      [t.tenant.tenantId],
    )
    expect(Number(team?.rr_next)).toBe(60)
  })
})

describe('teams API', () => {
  it('lists teams with their members; refuses bad input, strangers and duplicates', async () => {
    const { t, team, agents } = await teamed(2)
    const list = await json<{ data: { id: string; name: string; member_ids: string[] }[] }>(
      await t.call('/api/v1/attendance/teams'),
    )
    expect(list.data).toEqual([
      {
        id: team.id,
        name: 'Recepção',
        round_robin: true,
        member_ids: agents.map((a) => a.id),
        created_at: expect.any(String),
      },
    ])
    expect((await send(t, 'POST', '/teams', { name: 'recepção', member_ids: [] })).status).toBe(409)
    const analyst = await t.member('analyst')
    const stranger = await other.member('agent')
    for (const body of [
      { name: '', member_ids: [] },
      { name: 'X', member_ids: ['nope'] },
      { name: 'X', member_ids: [analyst.id] },
      { name: 'X', member_ids: [stranger.id] },
    ]) {
      const refused = await send(t, 'POST', '/teams', body)
      expect(refused.status, JSON.stringify(body)).toBe(400)
      expect(await errorCode(refused)).toBe('VALIDATION_FAILED')
    }
    // Another tenant's team or number reads like an unknown one.
    const theirs = await json<{ id: string }>(
      await send(other, 'POST', '/teams', { name: 'Deles', member_ids: [] }),
      201,
    )
    expect((await send(t, 'PUT', `/numbers/${t.numberId}/team`, { team_id: theirs.id })).status).toBe(400)
    expect((await send(t, 'PUT', `/numbers/${other.numberId}/team`, { team_id: team.id })).status).toBe(404)
    expect((await send(t, 'PUT', `/numbers/${t.numberId}/team`, { team_id: 'x' })).status).toBe(400)
    expect(
      (await t.call('/api/v1/attendance/presence', { method: 'PUT', json: { away: 'yes' } })).status,
    ).toBe(400)
    const audit = await t.scoped.owner<{ action: string }>(
      "select action from audit_log where tenant_id = $1 and action in ('attendance.team_created', 'attendance.number_team_set') order by created_at",
      [t.tenant.tenantId],
    )
    expect(audit.map((a) => a.action)).toEqual(['attendance.team_created', 'attendance.number_team_set'])
  })

  it('answers 401 without a credential, 403 to roles that may not, and MODULE_DISABLED without the module', async () => {
    const { t, team } = await teamed(1)
    for (const [method, path, body] of [
      ['GET', '/teams', undefined],
      ['POST', '/teams', { name: 'Y', member_ids: [] }],
      ['PUT', `/numbers/${t.numberId}/team`, { team_id: team.id }],
      ['PATCH', `/teams/${team.id}`, { round_robin: false }],
      ['PUT', '/presence', { away: true }],
    ] as const) {
      const anonymous = await callWorker(t.env, `/api/v1/attendance${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      expect(anonymous.status).toBe(401)
      const viewer = await t.member('viewer')
      expect((await viewer.call(`/api/v1/attendance${path}`, { method, json: body })).status).toBe(403)
      const gated = await disabled.call(`/api/v1/attendance${path}`, { method, json: body })
      expect(gated.status).toBe(403)
      expect(await errorCode(gated)).toBe('MODULE_DISABLED')
    }
    // Agents may mark themselves away but not manage teams.
    const agent = await t.member('agent')
    expect(
      (await agent.call('/api/v1/attendance/teams', { method: 'POST', json: { name: 'Z', member_ids: [] } }))
        .status,
    ).toBe(403)
    expect((await agent.call('/api/v1/attendance/teams')).status).toBe(200)
  })

  it('PATCH changes the members, the name and the round-robin switch; off leaves conversations unassigned', async () => {
    const { t, team, agents } = await teamed(2)
    const [first, second] = agents as [(typeof agents)[0], (typeof agents)[0]]
    const patch = (body: unknown, id = team.id) => send(t, 'PATCH', `/teams/${id}`, body)
    expect(await json(await patch({ member_ids: [second.id] }))).toEqual({
      id: team.id,
      name: 'Recepção',
      round_robin: true,
      member_ids: [second.id],
      created_at: expect.any(String),
    })
    expect(await assigneeOf(t, (await customerWrites(t)).conversationId)).toBe(second.id)

    expect(await json(await patch({ round_robin: false, name: 'Balcão' }))).toMatchObject({
      name: 'Balcão',
      round_robin: false,
      member_ids: [second.id],
    })
    expect(await assigneeOf(t, (await customerWrites(t)).conversationId)).toBeNull()
    await json(await patch({ round_robin: true, member_ids: [first.id, second.id] }))
    expect(await assigneeOf(t, (await customerWrites(t)).conversationId)).not.toBeNull()

    // Bad input, duplicates, strangers and another tenant's team.
    const analyst = await t.member('analyst')
    await json(await send(t, 'POST', '/teams', { name: 'Outra', member_ids: [] }), 201)
    for (const body of [{}, { name: '' }, { member_ids: [analyst.id] }, { round_robin: 'no' }]) {
      const refused = await patch(body)
      expect(refused.status, JSON.stringify(body)).toBe(400)
      expect(await errorCode(refused)).toBe('VALIDATION_FAILED')
    }
    const clash = await patch({ name: 'outra' })
    expect(clash.status).toBe(409)
    expect(await errorCode(clash)).toBe('TEAM_EXISTS')
    const theirs = await json<{ id: string }>(
      await send(other, 'POST', '/teams', { name: `Deles ${crypto.randomUUID()}`, member_ids: [] }),
      201,
    )
    const foreign = await patch({ round_robin: false }, theirs.id)
    expect(foreign.status).toBe(404)
    expect(await errorCode(foreign)).toBe('NOT_FOUND')
    expect((await patch({ round_robin: false }, 'atm_x')).status).toBe(400)
    const [audit] = await t.scoped.owner<{ n: number }>(
      "select count(*)::int as n from audit_log where tenant_id = $1 and action = 'attendance.team_updated'",
      [t.tenant.tenantId],
    )
    expect(audit?.n).toBe(3)
  })
})
