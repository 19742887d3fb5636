import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { runJobs, uniqueAccount } from '../../helpers/connections.ts'
import { captureQueue, createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { emailsTo, newAddress } from '../../helpers/messaging.ts'
import { pdfText } from '../../helpers/pdf.ts'
import { callWorker, TEST_ORIGIN } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** The Monday 2026-12-07, 09:00 in São Paulo: the weekly run reports 2026-11-30 … 2026-12-06. */
const RUN_AT = Date.parse('2026-12-07T12:00:00Z')

/**
 * A tenant with an owner signed in, its own queue, and two Instagram accounts with 14 days of
 * reach and followers: the week the run reports and the week before, which it compares with.
 */
async function reportsSetup(options: { modules?: string[] } = {}) {
  const capture = captureQueue()
  const env = { ...db.env, JOBS: capture.queue }
  const tenant = await createTenant(db, { modules: options.modules ?? ['metrics'] })
  await db.owner(`update tenants set name = 'Agência São João' where id = $1`, [tenant.tenantId])
  const owner = await createMember(db, tenant.tenantId, 'owner')
  const call = as({ ...db, env }, (await login(db, owner.email)).access_token)
  const connections: string[] = []
  for (const [index, label] of ['Café Ipê', 'Loja Açaí'].entries()) {
    const id = newId('con')
    connections.push(id)
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id, label) values ($1, $2, 'instagram', $3, $4)`,
      [id, tenant.tenantId, uniqueAccount('1784'), label],
    )
    // Reach: 100 a day the week before, 150 a day in the week reported (+50 %); followers grow.
    await db.owner(
      `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
       select $1, $2, 'reach', 'day', d::date, case when d < '2026-11-30' then 100 else 150 end * $3
       from generate_series('2026-11-23'::date, '2026-12-06'::date, interval '1 day') d
       union all
       select $1, $2, 'followers', 'lifetime', d::date, 1000 * $3 + extract(day from d)
       from generate_series('2026-11-23'::date, '2026-12-06'::date, interval '1 day') d`,
      [tenant.tenantId, id, index + 1],
    )
  }
  return { tenant, owner, env, capture, call, connections }
}

type Setup = Awaited<ReturnType<typeof reportsSetup>>

const weekly = (recipients: string[], extra: Record<string, unknown> = {}) => ({
  name: 'Relatório semanal',
  frequency: 'weekly',
  weekday: 1,
  local_time: '09:00',
  time_zone: 'America/Sao_Paulo',
  period: 'previous_week',
  recipients,
  ...extra,
})

async function createSchedule(s: Setup, body: Record<string, unknown>) {
  const response = await s.call('/api/v1/reports/schedules', { method: 'POST', json: body })
  expect(response.status).toBe(201)
  const schedule = (await response.json()) as { id: string; next_run_at: string }
  // Due at RUN_AT, the time the tick below fires.
  await db.owner('update report_schedules set next_run_at = $2 where id = $1', [
    schedule.id,
    new Date(RUN_AT),
  ])
  return schedule
}

/** Jobs of one type the tenant's queue received, taken out of it. */
const take = (s: Setup, type: JobMessage['type']) => {
  const taken = (s.capture.messages as JobMessage[]).filter((job) => job.type === type)
  s.capture.messages.splice(
    0,
    s.capture.messages.length,
    ...s.capture.messages.filter((job) => !taken.includes(job as JobMessage)),
  )
  return taken
}

const tick = (scheduledTime: number) => ({ type: 'cron.tick', v: 1, cron: '*/15 * * * *', scheduledTime })

const runsOf = (scheduleId: string) =>
  db.owner<{
    id: string
    status: string
    period_start: string
    period_end: string
    hold_reasons: string[]
    file_key: string | null
    pages: number | null
  }>(
    `select id, status, period_start::text, period_end::text, hold_reasons, file_key, pages from report_runs where schedule_id = $1`,
    [scheduleId],
  )

describe('scheduled reports: due runs, rendering and delivery', () => {
  it('makes one run under a doubled tick, renders it once under redelivered jobs and e-mails each recipient once', async () => {
    const s = await reportsSetup()
    const recipients = [newAddress(), newAddress()]
    const schedule = await createSchedule(s, weekly(recipients))

    // The same slot fired twice, and a second slot racing the first.
    await Promise.all([
      runJobs(s.env, [tick(RUN_AT)]),
      runJobs(s.env, [tick(RUN_AT)]),
      runJobs(s.env, [tick(RUN_AT + 1)]),
    ])
    const runs = await runsOf(schedule.id)
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ status: 'queued', period_start: '2026-11-30', period_end: '2026-12-06' })
    const [next] = await db.owner<{ next_run_at: Date }>(
      'select next_run_at from report_schedules where id = $1',
      [schedule.id],
    )
    expect(next?.next_run_at.toISOString()).toBe('2026-12-14T12:00:00.000Z')

    const jobs = take(s, 'reports.run')
    expect(jobs.length).toBeGreaterThanOrEqual(1)
    // Every job delivered three times, partly at once.
    await Promise.all([runJobs(s.env, [...jobs, ...jobs]), runJobs(s.env, jobs)])
    const [run] = await runsOf(schedule.id)
    expect(run).toMatchObject({ status: 'sent', hold_reasons: [] })
    expect(run?.pages).toBeGreaterThanOrEqual(3)

    const sends = take(s, 'messaging.send')
    expect(sends).toHaveLength(2)
    await runJobs(s.env, [...sends, ...sends])
    for (const to of recipients) {
      const mails = await emailsTo(to)
      expect(mails).toHaveLength(1)
      expect(mails[0]?.subject).toContain('Relatório semanal')
      expect(mails[0]?.attachments).toHaveLength(1)
      expect(mails[0]?.attachments[0]).toMatchObject({ content_type: 'application/pdf' })
    }

    // The attached PDF is the stored one, and reads right: period, KPIs and their change, accents.
    const attached = Uint8Array.from(
      atob((await emailsTo(recipients[0] as string))[0]?.attachments[0]?.content ?? ''),
      (c) => c.charCodeAt(0),
    )
    const download = await s.call(`/api/v1/reports/runs/${run?.id}/file`)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('application/pdf')
    const stored = new Uint8Array(await download.arrayBuffer())
    expect(stored).toEqual(attached)
    const text = pdfText(stored)
    expect(text).toContain('Agência São João')
    expect(text).toContain('Relatório semanal')
    expect(text).toContain('De 30 de novembro de 2026 a 6 de dezembro de 2026')
    expect(text).toContain('Alcance')
    // Reach: (150 + 300) × 7 = 3,150 this week against 2,100: +50 %.
    expect(text).toContain('3.150')
    expect(text).toContain('+50 %')
    expect(text).toContain('Café Ipê (Instagram)')
    expect(text).toContain('Loja Açaí (Instagram)')
    expect(text.some((line) => /^Página 1 de \d+$/.test(line))).toBe(true)
    expect(text.join('')).not.toContain('?')
  })

  it('holds a run whose data is incomplete, with its reasons; release sends it once, skip sends nothing', async () => {
    const s = await reportsSetup()
    const to = newAddress()
    const schedule = await createSchedule(s, weekly([to], { hold_for_review: true, language: 'en' }))
    await db.owner(`update connections set status = 'needs_reconnect' where id = $1`, [s.connections[0]])
    await runJobs(s.env, [tick(RUN_AT + 3)])
    await runJobs(s.env, take(s, 'reports.run'))
    const [run] = await runsOf(schedule.id)
    expect(run?.status).toBe('held')
    expect(run?.hold_reasons).toEqual([expect.stringContaining('Café Ipê needs reconnecting')])
    expect(take(s, 'messaging.send')).toEqual([])

    const listed = (await (await s.call(`/api/v1/reports/runs?schedule_id=${schedule.id}`)).json()) as {
      data: { id: string; status: string; hold_reasons: string[] }[]
    }
    expect(listed.data).toEqual([
      expect.objectContaining({ id: run?.id, status: 'held', hold_reasons: run?.hold_reasons }),
    ])

    const releases = await Promise.all(
      Array.from({ length: 5 }, () => s.call(`/api/v1/reports/runs/${run?.id}/release`, { method: 'POST' })),
    )
    expect(releases.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409])
    await runJobs(s.env, take(s, 'messaging.send'))
    const mails = await emailsTo(to)
    expect(mails).toHaveLength(1)
    expect(mails[0]?.subject).toContain('Relatório semanal')
    expect(
      pdfText(Uint8Array.from(atob(mails[0]?.attachments[0]?.content ?? ''), (c) => c.charCodeAt(0))),
    ).toContain('From November 30, 2026 to December 6, 2026')

    const skip = await s.call(`/api/v1/reports/runs/${run?.id}/skip`, { method: 'POST' })
    expect(skip.status).toBe(409)
    expect(await errorCode(skip)).toBe('INVALID_TRANSITION')
  })

  it('sends a preview now to the person who asked, rendered by the queue consumer', async () => {
    const s = await reportsSetup()
    const schedule = await createSchedule(s, weekly([newAddress()]))
    const response = await s.call(`/api/v1/reports/schedules/${schedule.id}/preview`, { method: 'POST' })
    expect(response.status).toBe(202)
    const preview = (await response.json()) as { id: string; kind: string; status: string }
    expect(preview).toMatchObject({ kind: 'preview', status: 'queued' })
    await runJobs(s.env, take(s, 'reports.run'))
    await runJobs(s.env, take(s, 'messaging.send'))
    const mails = await emailsTo(s.owner.email)
    expect(mails).toHaveLength(1)
    expect(mails[0]?.attachments).toHaveLength(1)
  })
})

describe('unsubscribe: a signed one-click link per recipient and schedule', () => {
  it('carries RFC 8058 headers and a body link; the link removes that address from that schedule only', async () => {
    const s = await reportsSetup()
    const [stays, leaves] = [newAddress(), newAddress()]
    const schedule = await createSchedule(s, weekly([stays, leaves]))
    const other = await createSchedule(s, weekly([leaves], { name: 'Outro relatório' }))
    await runJobs(s.env, [tick(RUN_AT + 13)])
    await runJobs(s.env, take(s, 'reports.run'))
    await runJobs(s.env, take(s, 'messaging.send'))
    const mails = await emailsTo(leaves)
    const mail = mails.find((m) => m.subject.startsWith('Relatório semanal'))
    const link = mail?.headers?.['List-Unsubscribe']?.slice(1, -1) ?? ''
    expect(link).toMatch(/\/reports\/[a-z0-9-]+\/unsubscribe\/rps_[0-9a-z]{20}\/[\w-]+\/[\w-]{43}$/)
    expect(mail?.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')
    expect(mail?.text).toContain(`Para deixar de receber este relatório: ${link}`)
    const path = new URL(link, TEST_ORIGIN).pathname
    expect(path).toContain(schedule.id)
    const otherLink = new URL(
      mails.find((m) => m.subject.startsWith('Outro'))?.headers?.['List-Unsubscribe']?.slice(1, -1) ?? '',
      TEST_ORIGIN,
    ).pathname
    const recipientsOf = async (id: string) =>
      (
        await db.owner<{ recipients: string[] }>('select recipients from report_schedules where id = $1', [
          id,
        ])
      )[0]?.recipients

    // Opening the link (as a mail scanner does) only asks.
    const page = await callWorker(s.env, path, { headers: { 'accept-language': 'en' } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Stop receiving the report “Relatório semanal” by e-mail?')
    expect(await recipientsOf(schedule.id)).toEqual([stays, leaves])

    // Forged, or this schedule's signature on the other schedule: refused like an unknown link.
    const forged = `${path.slice(0, -43)}${'A'.repeat(43)}`
    const swapped = path.replace(schedule.id, other.id)
    const otherTenant = path.replace(
      /\/reports\/[a-z0-9-]+\//,
      `/reports/${(await reportsSetup()).tenant.slug}/`,
    )
    for (const bad of [forged, swapped, otherTenant]) {
      const refused = await callWorker(s.env, bad, { method: 'POST', body: 'List-Unsubscribe=One-Click' })
      expect(refused.status, bad).toBe(404)
    }
    expect(await recipientsOf(schedule.id)).toEqual([stays, leaves])
    expect(await recipientsOf(other.id)).toEqual([leaves])

    // The mail provider's one-click POST: no cookie, no CSRF token, from another site.
    const oneClick = () =>
      callWorker(s.env, path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
        body: 'List-Unsubscribe=One-Click',
      })
    const done = await oneClick()
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('não receberá mais o relatório “Relatório semanal”')
    expect(await recipientsOf(schedule.id)).toEqual([stays])
    expect(await recipientsOf(other.id)).toEqual([leaves])
    expect((await oneClick()).status).toBe(200)
    const audit = await db.owner<{ action: string; actor_type: string }>(
      `select action, actor_type from audit_log where target_id = $1 and action like 'reports.recipient%'`,
      [schedule.id],
    )
    expect(audit).toEqual([{ action: 'reports.recipient_unsubscribed', actor_type: 'anonymous' }])

    // The other schedule's link works for it alone; its last recipient gone, it pauses.
    expect((await callWorker(s.env, otherLink, { method: 'POST', body: '' })).status).toBe(200)
    const [paused] = await db.owner<{ active: boolean; recipients: string[] }>(
      'select active, recipients from report_schedules where id = $1',
      [other.id],
    )
    expect(paused).toEqual({ active: false, recipients: [] })
  })
})

describe('schedules API', () => {
  it('creates and lists a schedule, computing its first run in its time zone; deletes it', async () => {
    const s = await reportsSetup()
    const response = await s.call('/api/v1/reports/schedules', {
      method: 'POST',
      json: weekly(['Cliente@Example.test', 'cliente@example.test'], { connection_ids: [s.connections[0]] }),
    })
    expect(response.status).toBe(201)
    const created = (await response.json()) as Record<string, unknown>
    expect(created).toMatchObject({
      frequency: 'weekly',
      weekday: 1,
      month_day: null,
      recipients: ['cliente@example.test'],
      connection_ids: [s.connections[0]],
      hold_for_review: false,
      format: 'attachment',
    })
    // Mondays at 09:00 in São Paulo (UTC−3) are 12:00 UTC.
    expect(new Date(created.next_run_at as string).getUTCDay()).toBe(1)
    expect((created.next_run_at as string).slice(11, 16)).toBe('12:00')
    const list = (await (await s.call('/api/v1/reports/schedules')).json()) as { data: { id: string }[] }
    expect(list.data.map((row) => row.id)).toEqual([created.id])
    expect((await s.call(`/api/v1/reports/schedules/${created.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await s.call(`/api/v1/reports/schedules/${created.id}`, { method: 'DELETE' })).status).toBe(404)
  })

  it('edits, pauses and resumes a schedule: the next run follows the new timing, a paused one never runs', async () => {
    const s = await reportsSetup()
    const schedule = await createSchedule(s, weekly([newAddress()]))
    const patch = (body: Record<string, unknown>) =>
      s.call(`/api/v1/reports/schedules/${schedule.id}`, { method: 'PATCH', json: body })

    const monthly = await patch({ frequency: 'monthly', month_day: 5, local_time: '08:30', name: 'Mensal' })
    expect(monthly.status).toBe(200)
    const changed = (await monthly.json()) as Record<string, unknown>
    expect(changed).toMatchObject({ name: 'Mensal', frequency: 'monthly', month_day: 5, weekday: null })
    // The 5th at 08:30 in São Paulo is 11:30 UTC.
    expect((changed.next_run_at as string).slice(8, 16)).toBe('05T11:30')

    const paused = await patch({ active: false })
    expect(((await paused.json()) as { active: boolean }).active).toBe(false)
    await db.owner('update report_schedules set next_run_at = $2 where id = $1', [
      schedule.id,
      new Date(RUN_AT),
    ])
    await runJobs(s.env, [tick(RUN_AT + 11)])
    expect(await runsOf(schedule.id)).toEqual([])

    // Resuming starts from the next slot after now, not the slots missed while paused.
    const resumed = (await (await patch({ active: true })).json()) as { active: boolean; next_run_at: string }
    expect(resumed.active).toBe(true)
    expect(Date.parse(resumed.next_run_at)).toBeGreaterThan(Date.now())
    const audit = await db.owner<{ action: string }>(
      `select action from audit_log where target_id = $1 order by created_at`,
      [schedule.id],
    )
    expect(audit.map((row) => row.action)).toEqual([
      'reports.schedule_created',
      'reports.schedule_updated',
      'reports.schedule_paused',
      'reports.schedule_resumed',
    ])

    // What does not hang together is refused with the field, never by the table as a 500.
    for (const [body, path] of [
      [{ frequency: 'weekly', weekday: null }, 'weekday'],
      [{ period: 'last_n_days' }, 'period_days'],
      [{ connection_ids: [newId('con')] }, 'connection_ids.0'],
      [{ recipients: ['nope'] }, 'recipients.0'],
      [{ active: 'yes' }, 'active'],
    ] as const) {
      const response = await patch(body)
      expect(response.status, path).toBe(400)
      const error = ((await response.json()) as { error: { fields: { path: string }[] } }).error
      expect(error.fields.map((field) => field.path)).toContain(`json.${path}`)
    }
    expect((await patch({})).status).toBe(400)
  })

  it('answers 400 naming the fields for a bad schedule, never 500', async () => {
    const s = await reportsSetup()
    const cases: [Record<string, unknown>, string][] = [
      [weekly([], {}), 'recipients'],
      [weekly(['not-an-address']), 'recipients.0'],
      [weekly(['a@example.test'], { weekday: null }), 'weekday'],
      [weekly(['a@example.test'], { frequency: 'monthly' }), 'month_day'],
      [weekly(['a@example.test'], { time_zone: 'Mars/Olympus' }), 'time_zone'],
      [weekly(['a@example.test'], { local_time: '25:00' }), 'local_time'],
      [weekly(['a@example.test'], { period: 'last_n_days' }), 'period_days'],
      [weekly(['a@example.test'], { connection_ids: [newId('con')] }), 'connection_ids.0'],
    ]
    for (const [body, path] of cases) {
      const response = await s.call('/api/v1/reports/schedules', { method: 'POST', json: body })
      expect(response.status, path).toBe(400)
      const error = ((await response.json()) as { error: { code: string; fields: { path: string }[] } }).error
      expect(error.code).toBe('VALIDATION_FAILED')
      expect(error.fields.map((field) => field.path)).toContain(`json.${path}`)
    }
  })

  it("refuses another tenant's schedules and runs as unknown, analysts' writes, and tenants without metrics", async () => {
    const a = await reportsSetup()
    const b = await reportsSetup()
    const schedule = await createSchedule(a, weekly([newAddress()], { hold_for_review: true }))
    await db.owner(`update connections set status = 'needs_reconnect' where tenant_id = $1`, [
      a.tenant.tenantId,
    ])
    await runJobs(a.env, [tick(RUN_AT + 7)])
    await runJobs(a.env, take(a, 'reports.run'))
    const [run] = await runsOf(schedule.id)
    expect(run?.status).toBe('held')
    for (const [path, method] of [
      [`/api/v1/reports/schedules/${schedule.id}`, 'DELETE'],
      [`/api/v1/reports/schedules/${schedule.id}`, 'PATCH'],
      [`/api/v1/reports/schedules/${schedule.id}/preview`, 'POST'],
      [`/api/v1/reports/runs/${run?.id}/file`, 'GET'],
      [`/api/v1/reports/runs/${run?.id}/release`, 'POST'],
      [`/api/v1/reports/runs/${run?.id}/skip`, 'POST'],
    ] as const)
      expect(
        (await b.call(path, { method, ...(method === 'PATCH' ? { json: { active: false } } : {}) })).status,
        path,
      ).toBe(404)
    expect(((await (await b.call('/api/v1/reports/runs')).json()) as { data: unknown[] }).data).toEqual([])

    const analyst = await createMember(db, a.tenant.tenantId, 'analyst')
    const asAnalyst = as({ ...db, env: a.env }, (await login(db, analyst.email)).access_token)
    expect((await asAnalyst(`/api/v1/reports/runs/${run?.id}/skip`, { method: 'POST' })).status).toBe(403)
    expect((await asAnalyst('/api/v1/reports/runs')).status).toBe(200)
    const viewer = await createMember(db, a.tenant.tenantId, 'viewer')
    const asViewer = as({ ...db, env: a.env }, (await login(db, viewer.email)).access_token)
    expect((await asViewer('/api/v1/reports/runs')).status).toBe(403)
    expect((await as(db, 'nope')('/api/v1/reports/runs')).status).toBe(401)

    const noMetrics = await reportsSetup({ modules: ['calendar'] })
    const refused = await noMetrics.call('/api/v1/reports/schedules')
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('MODULE_DISABLED')

    expect((await a.call(`/api/v1/reports/runs/${run?.id}/skip`, { method: 'POST' })).status).toBe(200)
    const [skipped] = await runsOf(schedule.id)
    expect(skipped?.status).toBe('skipped')
  })
})
