import { expect } from 'vitest'
import { newId } from '../../db/ids.ts'
import { type FakeInbound, inboundWebhookBody } from '../../db/local/fakes/whatsapp-inbox.ts'
import type { JobOf } from '../../worker/jobs/messages.ts'
import { runJobs, setup, uniqueAccount } from './connections.ts'
import type { TestDatabase } from './env.ts'
import { as, createMember, login } from './fixtures.ts'
import { whatsappConnection } from './messaging.ts'

/**
 * A tenant with the attendance module, its owner signed in, one WhatsApp connection (token in the
 * vault, accepted by the fake) and one number in the inbox, added through the API.
 */
export async function attendanceSetup(
  db: TestDatabase,
  options: { modules?: string[]; messagesLimit?: number } = {},
) {
  const context = await setup(db, { modules: options.modules ?? ['metrics', 'attendance'] })
  const { tenantId } = context.tenant
  if (options.messagesLimit !== undefined)
    await db.owner('update plans set attendance_messages_limit = $1 where id = $2', [
      options.messagesLimit,
      context.tenant.planId,
    ])
  const wa = await whatsappConnection(db, tenantId)
  const [connection] = await db.owner<{ external_account_id: string }>(
    'select external_account_id from connections where id = $1',
    [wa.connectionId],
  )
  const wabaId = connection?.external_account_id ?? ''
  let numberId = newId('anb')
  if ((options.modules ?? ['attendance']).includes('attendance')) {
    const response = await context.call('/api/v1/attendance/numbers', {
      method: 'POST',
      json: {
        connection_id: wa.connectionId,
        phone_number_id: wa.phoneNumberId,
        display_number: '+55 11 4000-1000',
      },
    })
    expect(response.status).toBe(201)
    numberId = ((await response.json()) as { id: string }).id
  } else {
    await db.owner(
      `insert into attendance_numbers (id, tenant_id, connection_id, phone_number_id, waba_id, display_number)
       values ($1, $2, $3, $4, $5, '+55 11 4000-1000')`,
      [numberId, tenantId, wa.connectionId, wa.phoneNumberId, wabaId],
    )
  }
  /** Signs in a new member of the tenant with `role` and calls the API as them. */
  const member = async (role: 'owner' | 'admin' | 'analyst' | 'viewer' | 'agent') => {
    const person = await createMember(db, tenantId, role)
    return { id: person.id, call: as(context.scoped, (await login(db, person.email)).access_token) }
  }
  return { ...context, ...wa, wabaId, numberId, member }
}

export type AttendanceContext = Awaited<ReturnType<typeof attendanceSetup>>

/** The `meta.webhook` job of one delivery, as the edge queues it after checking the signature. */
export const webhookJob = (tenantId: string, body: string): JobOf<'meta.webhook'> => ({
  type: 'meta.webhook',
  v: 1,
  tenantId,
  receivedAt: Date.now(),
  body,
})

/** A customer's message to the context's number, in Meta's webhook shape (fresh wamid unless given). */
export const inbound = (t: AttendanceContext, message: Partial<FakeInbound> & { text?: string } = {}) =>
  inboundWebhookBody({
    phoneNumberId: t.phoneNumberId,
    wabaId: t.wabaId,
    from: message.userId && !message.from ? undefined : (message.from ?? uniqueAccount('55119', 13)),
    text: 'Olá, tudo bem?',
    name: 'Maria Cliente',
    ...message,
  })

/** Delivers webhook bodies through the real queue consumer; every message must be acked. */
export async function receive(t: AttendanceContext, ...bodies: string[]) {
  const result = await runJobs(
    t.env,
    bodies.map((body) => webhookJob(t.tenant.tenantId, body)),
  )
  expect(result.retryMessages).toEqual([])
}

/** A customer writes; answers the conversation id it landed in. */
export async function customerWrites(t: AttendanceContext, message: Partial<FakeInbound> = {}) {
  const from = message.from ?? uniqueAccount('55119', 13)
  await receive(t, inbound(t, { ...message, from }))
  const [row] = await t.scoped.owner<{ id: string; contact_id: string }>(
    `select v.id, v.contact_id from attendance_conversations v join attendance_contacts c on c.id = v.contact_id
     where v.tenant_id = $1 and c.wa_id = $2`,
    [t.tenant.tenantId, from],
  )
  if (!row) throw new Error('the inbound message made no conversation')
  return { conversationId: row.id, contactId: row.contact_id, from }
}

/** A synced template of the context's WABA, as the sync job writes it. */
export async function seedTemplate(
  t: AttendanceContext,
  template: { name: string; language: string; status?: string; body: string; parameters: string[] },
) {
  await t.scoped.owner(
    `insert into attendance_templates (id, tenant_id, waba_id, name, language, category, status, body, parameters)
     values ($1, $2, $3, $4, $5, 'UTILITY', $6, $7, $8::jsonb)`,
    [
      newId('tpl'),
      t.tenant.tenantId,
      t.wabaId,
      template.name,
      template.language,
      template.status ?? 'APPROVED',
      template.body,
      JSON.stringify(template.parameters),
    ],
  )
}
