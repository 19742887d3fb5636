import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import worker from '../../worker/index.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { runJobs } from '../helpers/connections.ts'
import type { TestBindings } from '../helpers/env.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { emailsTo, newAddress, whatsappConnection, whatsappSent } from '../helpers/messaging.ts'
import { clinic, created, newPhone, schedulingSetup } from '../helpers/scheduling.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const CRON = '*/15 * * * *'

/** One cron.tick for `scheduledTime` through the real consumer, with the setup's recorded queue. */
async function tick(env: TestBindings, scheduledTime: number) {
  const body: JobMessage = { type: 'cron.tick', v: 1, cron: CRON, scheduledTime }
  const batch = createMessageBatch('integra-jobs', [{ id: 'tick', timestamp: new Date(), attempts: 1, body }])
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  return getQueueResult(batch, ctx)
}

/** A weekday at 10:00 in São Paulo, `days` or more ahead. */
function weekdayAhead(days: number) {
  const day = new Date(Date.now() + days * 86_400_000)
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1)
  return `${day.toISOString().slice(0, 10)}T13:00:00.000Z`
}

const remindersOf = (appointmentId: string) =>
  db.owner<{ minutes: number; due_at: Date; status: string; message_id: string | null }>(
    `select r.minutes_before as minutes, m.due_at, m.status, m.message_id from scheduling_reminders m
     join scheduling_reminder_rules r on r.id = m.rule_id where m.appointment_id = $1 order by r.minutes_before desc`,
    [appointmentId],
  )

async function setUp() {
  const setup = await schedulingSetup(db)
  const { professional, service } = await clinic(setup.call)
  const rules = await setup.call('/api/v1/scheduling/reminder-rules', {
    method: 'PUT',
    json: { minutes_before: [1440, 120] },
  })
  expect(rules.status).toBe(200)
  const bookOne = async (email: string, consent: boolean, startsAt = weekdayAhead(3)) =>
    created<{ id: string }>(
      await setup.call('/api/v1/scheduling/appointments', {
        method: 'POST',
        json: {
          service_id: service.id,
          professional_id: professional.id,
          starts_at: startsAt,
          customer: { name: 'Rita Moura', phone: newPhone(), email },
          reminders_consent: consent,
        },
      }),
    )
  return { ...setup, professional, service, bookOne }
}

describe('reminder rules and rows', () => {
  it('plans one row per rule on booking, moves them with the appointment, voids them on cancel', async () => {
    const { call, bookOne, service } = await setUp()
    const startsAt = weekdayAhead(3)
    const appointment = await bookOne(newAddress(), true, startsAt)
    const start = Date.parse(startsAt)
    expect(await remindersOf(appointment.id)).toEqual([
      { minutes: 1440, due_at: new Date(start - 86_400_000), status: 'pending', message_id: null },
      { minutes: 120, due_at: new Date(start - 7_200_000), status: 'pending', message_id: null },
    ])
    const later = new Date(start + 3_600_000).toISOString()
    expect(
      (
        await call(`/api/v1/scheduling/appointments/${appointment.id}/reschedule`, {
          method: 'POST',
          json: { starts_at: later },
        })
      ).status,
    ).toBe(200)
    expect((await remindersOf(appointment.id)).map((r) => r.due_at.getTime())).toEqual([
      Date.parse(later) - 86_400_000,
      Date.parse(later) - 7_200_000,
    ])
    // A service's own rules replace the default for it.
    const own = await call('/api/v1/scheduling/reminder-rules', {
      method: 'PUT',
      json: { service_id: service.id, minutes_before: [60] },
    })
    expect(own.status).toBe(200)
    const second = await bookOne(newAddress(), true)
    expect((await remindersOf(second.id)).map((r) => r.minutes)).toEqual([60])

    await call(`/api/v1/scheduling/appointments/${appointment.id}/status`, {
      method: 'POST',
      json: { status: 'cancelled' },
    })
    expect((await remindersOf(appointment.id)).map((r) => r.status)).toEqual(['void', 'void'])
  })

  it('answers 400 to bad rules and to another tenant’s service (as to an unknown one); lists the default rules', async () => {
    const a = await setUp()
    const b = await setUp()
    const bad = await a.call('/api/v1/scheduling/reminder-rules', {
      method: 'PUT',
      json: { minutes_before: [1] },
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED')
    const theirs = await a.call('/api/v1/scheduling/reminder-rules', {
      method: 'PUT',
      json: { service_id: b.service.id, minutes_before: [60] },
    })
    expect(theirs.status).toBe(400)
    const listed = (await (await a.call('/api/v1/scheduling/reminder-rules')).json()) as {
      data: { service_id: string | null; minutes_before: number }[]
    }
    expect(listed.data.map((r) => [r.service_id, r.minutes_before])).toEqual([
      [null, 120],
      [null, 1440],
    ])
  })
})

describe('the cron tick sends due reminders through the outbox, once', () => {
  it('sends one e-mail per due reminder across a doubled tick and a redelivered send job; skips without consent', async () => {
    const { env, capture, bookOne } = await setUp()
    const address = newAddress()
    const startsAt = weekdayAhead(3)
    const consented = await bookOne(address, true, startsAt)
    const refused = await bookOne(newAddress(), false, weekdayAhead(4))
    capture.messages.splice(0)

    // The tick at the moment the day-before reminder is due.
    const dueAt = Date.parse(startsAt) - 86_400_000
    expect((await tick(env, dueAt)).explicitAcks).toEqual(['tick'])
    await tick(env, dueAt)
    const [dayBefore, twoHours] = await remindersOf(consented.id)
    expect(dayBefore?.status).toBe('sent')
    expect(twoHours?.status).toBe('pending')
    const rows = await db.owner<{ n: number }>(
      `select count(*)::int as n from outbound_messages where purpose = 'scheduling.reminder' and recipient = $1`,
      [address],
    )
    expect(rows[0]?.n).toBe(1)

    // A later slot (a tick that fires again) finds it sent.
    await tick(env, dueAt + 60_000)
    const sends = capture.messages.splice(0) as JobMessage[]
    // One reminder message; the outbox's own sweep may queue its send again (and the booking
    // notices', never sent here), which the send job absorbs.
    const ids = new Set(sends.flatMap((m) => (m.type === 'messaging.send' ? [m.messageId] : [])))
    const reminders = await db.owner<{ id: string }>(
      `select id from outbound_messages where purpose = 'scheduling.reminder' and id = any($1)`,
      [[...ids]],
    )
    expect(reminders).toHaveLength(1)
    // The send job delivered twice reaches the mailbox once.
    await runJobs(env, sends)
    await runJobs(env, sends)
    // The booking's confirmation went to the same address; the reminders are these.
    const mails = (await emailsTo(address)).filter((mail) => mail.subject.startsWith('Lembrete'))
    expect(mails).toHaveLength(1)
    expect(mails[0]?.subject).toContain('Lembrete')
    expect(mails[0]?.text).toContain('Rita Moura')

    // Far enough ahead, both of the refused customer's reminders are due: skipped, nothing stored.
    await tick(env, Date.parse(weekdayAhead(4)) - 60_000)
    expect((await remindersOf(refused.id)).map((r) => r.status)).toEqual(['skipped', 'skipped'])
    expect((await remindersOf(consented.id)).map((r) => r.status)).toEqual(['sent', 'sent'])
  })
})

/**
 * The tenant's WhatsApp: a connection the fake accepts, a number of its WABA in the inbox and the
 * fake's `appointment_reminder` template (pt_BR, two positional parameters), approved, in the store.
 */
async function withWhatsapp(tenantId: string) {
  const wa = await whatsappConnection(db, tenantId)
  const [connection] = await db.owner<{ external_account_id: string }>(
    'select external_account_id from connections where id = $1',
    [wa.connectionId],
  )
  const wabaId = connection?.external_account_id as string
  await db.owner(
    `insert into attendance_numbers (id, tenant_id, connection_id, phone_number_id, waba_id, display_number)
     values ($1, $2, $3, $4, $5, '+55 11 4000-1000')`,
    [newId('anb'), tenantId, wa.connectionId, wa.phoneNumberId, wabaId],
  )
  const templateId = newId('tpl')
  await db.owner(
    `insert into attendance_templates (id, tenant_id, waba_id, name, language, category, status, body, parameters)
     values ($1, $2, $3, 'appointment_reminder', 'pt_BR', 'UTILITY', 'APPROVED',
       'Olá {{1}}, lembrete do seu horário: {{2}}', '["1","2"]'::jsonb)`,
    [templateId, tenantId, wabaId],
  )
  return { ...wa, templateId }
}

describe('reminders over WhatsApp', () => {
  it('goes as the chosen approved template through the outbox, once across a doubled tick and a redelivered job', async () => {
    const { env, capture, call, tenant, professional, service } = await setUp()
    const { templateId } = await withWhatsapp(tenant.tenantId)
    const chosen = await call('/api/v1/scheduling/reminder-template', {
      method: 'PUT',
      json: { template_id: templateId },
    })
    expect(chosen.status).toBe(200)
    expect(((await chosen.json()) as { whatsapp_template: unknown }).whatsapp_template).toEqual({
      id: templateId,
      name: 'appointment_reminder',
      language: 'pt_BR',
      approved: true,
    })

    const phone = newPhone()
    // Cron slots are claimed once per scheduled time in the database: each test ticks its own.
    const startsAt = weekdayAhead(3).replace('T13:', 'T14:')
    const appointment = await created<{ id: string }>(
      await call('/api/v1/scheduling/appointments', {
        method: 'POST',
        json: {
          service_id: service.id,
          professional_id: professional.id,
          starts_at: startsAt,
          customer: { name: 'Rita Moura', phone, email: newAddress() },
          reminders_consent: true,
        },
      }),
    )
    capture.messages.splice(0)
    const dueAt = Date.parse(startsAt) - 86_400_000
    await tick(env, dueAt)
    await tick(env, dueAt)
    await tick(env, dueAt + 60_000)
    const [dayBefore] = await remindersOf(appointment.id)
    expect(dayBefore?.status).toBe('sent')
    const [row] = await db.owner<{ channel: string; n: number }>(
      `select min(channel) as channel, count(*)::int as n from outbound_messages
       where purpose = 'scheduling.reminder' and recipient = $1`,
      [phone.slice(1)],
    )
    expect(row).toEqual({ channel: 'whatsapp', n: 1 })
    const sends = capture.messages.splice(0) as JobMessage[]
    await runJobs(env, sends)
    await runJobs(env, sends)
    const delivered = await whatsappSent(phone.slice(1))
    expect(delivered).toHaveLength(1)
    expect(delivered[0]?.template?.name).toBe('appointment_reminder')
    expect(delivered[0]?.template?.parameters[0]).toBe('Rita Moura')
    expect(delivered[0]?.template?.parameters[1]).toContain('America/Sao_Paulo')
    const [reminder] = await db.owner<{ channel: string }>(
      `select channel from scheduling_reminders where appointment_id = $1 and status = 'sent'`,
      [appointment.id],
    )
    expect(reminder?.channel).toBe('whatsapp')
  })

  it('falls back to e-mail when the template is no longer approved or was never chosen; skips without consent', async () => {
    const { env, call, tenant, bookOne } = await setUp()
    const { templateId } = await withWhatsapp(tenant.tenantId)
    expect(
      (
        await call('/api/v1/scheduling/reminder-template', {
          method: 'PUT',
          json: { template_id: templateId },
        })
      ).status,
    ).toBe(200)
    await db.owner(`update attendance_templates set status = 'PAUSED' where id = $1`, [templateId])
    const address = newAddress()
    const startsAt = weekdayAhead(3).replace('T13:', 'T18:')
    const appointment = await bookOne(address, true, startsAt)
    const refused = await bookOne(newAddress(), false, startsAt.replace('T18:', 'T16:'))
    await tick(env, Date.parse(startsAt) - 86_400_000)
    const [sent] = await db.owner<{ channel: string }>(
      `select channel from scheduling_reminders where appointment_id = $1 and status = 'sent'`,
      [appointment.id],
    )
    expect(sent?.channel).toBe('email')
    expect((await remindersOf(refused.id)).map((r) => r.status)).toContain('skipped')
    const listed = (await (await call('/api/v1/scheduling/reminder-rules')).json()) as {
      whatsapp_template: { approved: boolean } | null
    }
    expect(listed.whatsapp_template?.approved).toBe(false)
  })

  it('refuses a template that is unknown, not approved or another tenant’s (400), and clears the choice with null', async () => {
    const a = await setUp()
    const b = await setUp()
    const mine = await withWhatsapp(a.tenant.tenantId)
    const theirs = await withWhatsapp(b.tenant.tenantId)
    const put = (template_id: string | null) =>
      a.call('/api/v1/scheduling/reminder-template', { method: 'PUT', json: { template_id } })
    const other = await put(theirs.templateId)
    expect(other.status).toBe(400)
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED')
    expect((await put(newId('tpl'))).status).toBe(400)
    expect((await put('tpl_bad')).status).toBe(400)
    await db.owner(`update attendance_templates set status = 'PENDING' where id = $1`, [mine.templateId])
    expect((await put(mine.templateId)).status).toBe(400)
    const cleared = await put(null)
    expect(cleared.status).toBe(200)
    expect(((await cleared.json()) as { whatsapp_template: unknown }).whatsapp_template).toBeNull()
    const [audit] = await db.owner<{ n: number }>(
      `select count(*)::int as n from audit_log where tenant_id = $1 and action = 'scheduling.reminder_template_set'`,
      [a.tenant.tenantId],
    )
    expect(audit?.n).toBe(1)
  })
})
