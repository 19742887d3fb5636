import { beforeAll, describe, expect, it } from 'vitest'
import {
  type AttendanceContext,
  attendanceSetup,
  customerWrites,
  inbound,
  receive,
  webhookJob,
} from '../../helpers/attendance.ts'
import { runJobs, uniqueAccount } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { errorCode } from '../../helpers/fixtures.ts'
import { whatsappSent } from '../../helpers/messaging.ts'
import { callWorker } from '../../helpers/worker.ts'

/** Business hours and the away message (docs/attendance.md, "Business hours and the away message"). */
let db: TestDatabase
let disabled: AttendanceContext
beforeAll(async () => {
  db = await createTestDatabase()
  disabled = await attendanceSetup(db, { modules: ['metrics'] })
})

const AWAY = 'Olá! Atendemos de segunda a sexta, das 9h às 18h. Respondemos assim que abrirmos.'
/** Monday to Friday 09:00–18:00 in São Paulo, Christmas Eve until noon. */
const hours = (extra: Record<string, unknown> = {}) => ({
  time_zone: 'America/Sao_Paulo',
  weekly: [5, 4, 3, 2, 1].map((weekday) => ({ weekday, start: '09:00', end: '18:00' })),
  exceptions: [{ date: '2026-12-24', start: '09:00', end: '12:00' }, { date: '2026-12-08' }],
  away_message: AWAY,
  away_now: false,
  ...extra,
})
const put = (t: AttendanceContext, body: unknown) =>
  t.call('/api/v1/attendance/hours', { method: 'PUT', json: body })
const json = async <T>(response: Response, status = 200): Promise<T> => {
  expect(response.status, await response.clone().text()).toBe(status)
  return (await response.json()) as T
}
const seconds = (iso: string) => Date.parse(iso) / 1000

/** The away messages in the tenant's outbox, and their lines in the threads. */
async function awayRows(t: AttendanceContext) {
  const outbox = await db.owner<{ key: string; recipient: string; status: string }>(
    `select idempotency_key as key, recipient, status from outbound_messages
     where tenant_id = $1 and purpose = 'attendance.away' order by idempotency_key`,
    [t.tenant.tenantId],
  )
  const thread = await db.owner<{ conversation_id: string; body: string }>(
    `select conversation_id, body from attendance_messages
     where tenant_id = $1 and direction = 'out' and details->>'automatic' = 'away'`,
    [t.tenant.tenantId],
  )
  return { outbox, thread }
}
/** Runs the queued `messaging.send` jobs, each delivered `times` times (a redelivering queue). */
async function runSends(t: AttendanceContext, times = 1) {
  const jobs = t.capture.messages.filter((m) => (m as { type: string }).type === 'messaging.send')
  t.capture.messages.length = 0
  for (let i = 0; i < times; i++) expect((await runJobs(t.env, jobs)).retryMessages).toEqual([])
  return jobs.length
}

describe('GET and PUT /api/v1/attendance/hours', () => {
  it('answers no hours by default, and stores the week, exceptions, message and switch', async () => {
    const t = await attendanceSetup(db)
    expect(await json(await t.call('/api/v1/attendance/hours'))).toEqual({
      time_zone: 'America/Sao_Paulo',
      weekly: [],
      exceptions: [],
      away_message: null,
      away_now: false,
      away_since: null,
      open_now: true,
    })
    const saved = await json<Record<string, unknown>>(await put(t, hours()))
    // Sorted by weekday and date; a closed day has no times.
    expect(saved).toMatchObject({
      weekly: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '18:00' })),
      exceptions: [{ date: '2026-12-08' }, { date: '2026-12-24', start: '09:00', end: '12:00' }],
      away_message: AWAY,
      away_now: false,
      away_since: null,
    })
    expect(await json(await t.call('/api/v1/attendance/hours'))).toEqual(saved)

    // The switch closes the inbox now; saving again keeps the moment it was turned on.
    const on = await json<{ away_now: boolean; away_since: string; open_now: boolean }>(
      await put(t, hours({ away_now: true })),
    )
    expect(on).toMatchObject({ away_now: true, open_now: false })
    const again = await json<{ away_since: string }>(
      await put(t, hours({ away_now: true, away_message: 'Já volto' })),
    )
    expect(again.away_since).toBe(on.away_since)
    expect(await json(await put(t, hours()))).toMatchObject({ away_now: false, away_since: null })
    const [audit] = await db.owner<{ n: number }>(
      `select count(*)::int as n from audit_log where tenant_id = $1 and action = 'attendance.hours_set'`,
      [t.tenant.tenantId],
    )
    expect(audit?.n).toBe(4)
  })

  it('refuses bad hours with the 400 envelope', async () => {
    const t = await attendanceSetup(db)
    const bad = [
      hours({ weekly: [{ weekday: 1, start: '18:00', end: '09:00' }] }),
      hours({ weekly: [{ weekday: 7, start: '09:00', end: '18:00' }] }),
      hours({ weekly: [{ weekday: 1, start: '9h', end: '18:00' }] }),
      hours({ time_zone: 'Mars/Olympus' }),
      hours({ exceptions: [{ date: '2026-12-24', start: '09:00' }] }),
      hours({ exceptions: [{ date: '2026-12-24' }, { date: '2026-12-24', start: '09:00', end: '10:00' }] }),
      hours({ away_message: '   ' }),
      hours({ away_now: 'yes' }),
      { time_zone: 'America/Sao_Paulo' },
    ]
    for (const body of bad) {
      const response = await put(t, body)
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(await errorCode(response)).toBe('VALIDATION_FAILED')
    }
  })

  it('needs a session or key, attendance.manage to write, and the module in the plan', async () => {
    const t = await attendanceSetup(db)
    expect((await callWorker(t.env, '/api/v1/attendance/hours')).status).toBe(401)
    const anonymous = await callWorker(t.env, '/api/v1/attendance/hours', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hours()),
    })
    expect(anonymous.status).toBe(401)
    const agent = await t.member('agent')
    expect((await agent.call('/api/v1/attendance/hours')).status).toBe(200)
    const refused = await agent.call('/api/v1/attendance/hours', { method: 'PUT', json: hours() })
    expect(refused.status).toBe(403)
    const viewer = await t.member('viewer')
    expect((await viewer.call('/api/v1/attendance/hours')).status).toBe(403)
    const off = await disabled.call('/api/v1/attendance/hours', { method: 'PUT', json: hours() })
    expect(off.status).toBe(403)
    expect(await errorCode(off)).toBe('MODULE_DISABLED')
  })
})

describe('the away message', () => {
  it('goes once per conversation and closed period, however often the webhook is redelivered', async () => {
    const t = await attendanceSetup(db)
    await json(await put(t, hours()))
    const from = uniqueAccount('55119', 13)
    // Tuesday 2026-12-01 22:00 local (closed since 18:00), then 23:30 the same night.
    const night = inbound(t, {
      from,
      timestamp: seconds('2026-12-02T01:00:00Z'),
      text: 'Vocês abrem amanhã?',
    })
    const later = inbound(t, { from, timestamp: seconds('2026-12-02T02:30:00Z'), text: 'Alô?' })
    // The same delivery 5 times, three of them at once, and the second message of the night.
    await receive(t, night, night)
    const concurrent = await Promise.all(
      [night, night, later].map((body) => runJobs(t.env, [webhookJob(t.tenant.tenantId, body)])),
    )
    for (const result of concurrent) expect(result.retryMessages).toEqual([])
    // Wednesday 10:00 local: open, no away message; 19:00: closed again, a new period.
    await receive(t, inbound(t, { from, timestamp: seconds('2026-12-02T13:00:00Z') }))
    await receive(t, inbound(t, { from, timestamp: seconds('2026-12-02T22:00:00Z') }))

    const { outbox, thread } = await awayRows(t)
    expect(outbox.map((row) => row.key.replace(/cnv_[0-9a-z]+/, 'cnv'))).toEqual([
      'attendance:away:cnv:closed-2026-12-01T21:00:00.000Z',
      'attendance:away:cnv:closed-2026-12-02T21:00:00.000Z',
    ])
    expect(outbox.every((row) => row.recipient === from)).toBe(true)
    expect(thread.map((row) => row.body)).toEqual([AWAY, AWAY])

    // Each send job delivered three times calls the platform once per away message.
    expect(await runSends(t, 3)).toBe(2)
    const sent = await whatsappSent(from)
    expect(sent.map((m) => m.text)).toEqual([AWAY, AWAY])

    // An automatic answer is not the team's: the customer is still waiting for a person.
    const [conversation] = await db.owner<{ waiting: boolean; replied: boolean }>(
      `select waiting_since is not null as waiting, first_reply_at is not null as replied
       from attendance_conversations where id = $1`,
      [thread[0]?.conversation_id],
    )
    expect(conversation).toEqual({ waiting: true, replied: false })
  })

  it('answers while "away now" is on, once per switch, and never without a message or inside hours', async () => {
    const t = await attendanceSetup(db)
    // Hours but no away message: nothing is sent.
    await json(await put(t, hours({ away_message: null })))
    await receive(t, inbound(t, { timestamp: seconds('2026-12-02T01:00:00Z') }))
    // Always open (no hours): nothing either.
    await json(await put(t, hours({ weekly: [], exceptions: [] })))
    const { from } = await customerWrites(t)
    expect((await awayRows(t)).outbox).toEqual([])

    await json(await put(t, hours({ weekly: [], exceptions: [], away_now: true })))
    await receive(t, inbound(t, { from }), inbound(t, { from }))
    expect((await awayRows(t)).outbox).toHaveLength(1)
    // Switched off and on again: a new period, one more answer.
    await json(await put(t, hours({ weekly: [], exceptions: [] })))
    await receive(t, inbound(t, { from }))
    expect((await awayRows(t)).outbox).toHaveLength(1)
    await json(await put(t, hours({ weekly: [], exceptions: [], away_now: true })))
    await receive(t, inbound(t, { from }))
    expect((await awayRows(t)).outbox).toHaveLength(2)
  })

  it('skips a contact known only by its business-scoped id (the outbox sends to numbers)', async () => {
    const t = await attendanceSetup(db)
    await json(await put(t, hours({ away_now: true })))
    await receive(t, inbound(t, { userId: `BR.${crypto.randomUUID().slice(0, 12)}`, from: undefined }))
    expect((await awayRows(t)).outbox).toEqual([])
  })
})
