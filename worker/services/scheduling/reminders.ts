import { and, asc, eq, isNull, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import { schedulingReminderRules, schedulingServices } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { invalidField } from '../../errors.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { insertOutboundMessage, queueSends } from '../messaging/outbox.ts'

/** Most reminders one tick sends; the rest are due still and go on the next tick. */
const SEND_BATCH = 200

/** The tenant's rules: the default ones (`serviceId` null) and each service's own. */
export async function listReminderRules(ctx: ServiceContext) {
  authorize(ctx.principal, 'scheduling.read')
  const rows = await ctx.tx
    .select({
      id: schedulingReminderRules.id,
      serviceId: schedulingReminderRules.serviceId,
      minutesBefore: schedulingReminderRules.minutesBefore,
    })
    .from(schedulingReminderRules)
    .where(eq(schedulingReminderRules.tenantId, ctx.principal.tenantId))
    .orderBy(asc(schedulingReminderRules.serviceId), asc(schedulingReminderRules.minutesBefore))
  return { data: rows }
}

/**
 * Replaces the rules of one service (or, with `serviceId` null, the tenant's default) by
 * `minutesBefore`. Kept rules keep their id, so reminders already planned under them stay planned
 * (one row per appointment and rule); a removed rule's reminders go with it (cascade).
 */
export async function setReminderRules(
  ctx: ServiceContext,
  input: { serviceId: string | null; minutesBefore: number[] },
) {
  authorize(ctx.principal, 'scheduling.manage')
  const tenantId = ctx.principal.tenantId
  if (input.serviceId) {
    const [service] = await ctx.tx
      .select({ id: schedulingServices.id })
      .from(schedulingServices)
      .where(and(eq(schedulingServices.id, input.serviceId), eq(schedulingServices.tenantId, tenantId)))
    // A service named in the body: unknown (or another tenant's) is the body's fault, like any field.
    if (!service) throw invalidField('json.service_id', 'no such service', 'The service does not exist.')
  }
  const wanted = [...new Set(input.minutesBefore)]
  const scope = and(
    eq(schedulingReminderRules.tenantId, tenantId),
    input.serviceId
      ? eq(schedulingReminderRules.serviceId, input.serviceId)
      : isNull(schedulingReminderRules.serviceId),
  )
  await ctx.tx
    .delete(schedulingReminderRules)
    .where(
      and(
        scope,
        sql`not (${schedulingReminderRules.minutesBefore} = any(${`{${wanted.join(',')}}`}::int[]))`,
      ),
    )
  if (wanted.length > 0)
    await ctx.tx
      .insert(schedulingReminderRules)
      .values(
        wanted.map((minutesBefore) => ({
          id: newId('rrl'),
          tenantId,
          serviceId: input.serviceId,
          minutesBefore,
        })),
      )
      .onConflictDoNothing()
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.reminder_rules_set',
    tenantId,
    target: input.serviceId ? { type: 'service', id: input.serviceId } : { type: 'tenant', id: tenantId },
    data: { minutes_before: wanted },
  })
  return listReminderRules(ctx)
}

/**
 * Plans, moves or voids the reminders of one appointment to match it, in the transaction that
 * changed it: while it is confirmed, one pending row per applicable rule (the service's rules, or
 * the tenant's default when the service has none) due `minutes_before` its start, unless that
 * moment has passed; otherwise its pending rows become `void`. A moved appointment moves its
 * rows, and one already sent is planned again for the new time (its outbox key carries the due
 * time, so it is a new message; the same time never is).
 */
export async function planReminders(tx: Tx, tenantId: string, appointmentId: string, now: Date) {
  const planned = await tx.execute<{ rule_id: string; due_at: string }>(sql`
    select r.id as rule_id, a.starts_at - make_interval(mins => r.minutes_before) as due_at
    from appointments a
    join scheduling_reminder_rules r on r.tenant_id = a.tenant_id and (
      r.service_id = a.service_id or (r.service_id is null and not exists (
        select 1 from scheduling_reminder_rules own
        where own.tenant_id = a.tenant_id and own.service_id = a.service_id)))
    where a.tenant_id = ${tenantId} and a.id = ${appointmentId} and a.status = 'confirmed'
      and a.customer_id is not null and a.starts_at - make_interval(mins => r.minutes_before) > ${now}`)
  const rules = planned.rows.map((row) => row.rule_id)
  await tx.execute(sql`
    update scheduling_reminders set status = 'void', updated_at = ${now}
    where tenant_id = ${tenantId} and appointment_id = ${appointmentId} and status = 'pending'
      and not (rule_id = any(${`{${rules.join(',')}}`}::text[]))`)
  for (const row of planned.rows)
    await tx.execute(sql`
      insert into scheduling_reminders (id, tenant_id, appointment_id, rule_id, due_at, status)
      values (${newId('rmd')}, ${tenantId}, ${appointmentId}, ${row.rule_id}, ${row.due_at}, 'pending')
      on conflict (appointment_id, rule_id) do update set
        status = case when scheduling_reminders.due_at = excluded.due_at and scheduling_reminders.status = 'sent'
          then 'sent' else 'pending' end,
        due_at = excluded.due_at, updated_at = ${now}`)
}

type Due = {
  id: string
  tenant_id: string
  due_at: string
  starts_at: string
  service_name: string
  professional_name: string
  time_zone: string
  tenant_name: string
  customer_name: string | null
  email: string | null
  consent: boolean | null
}

/**
 * The cron tick's part (operator transaction, every tenant): due reminders of confirmed
 * appointments are written to the messaging outbox and marked sent, in the tick's claimed slot,
 * so a doubled tick finds them sent. The outbox key is `scheduling-reminder:<id>:<due>`, so a
 * redelivered tick or send job stores and sends one message (the outbox refuses a second row with
 * the key). Without the customer's consent, or without an e-mail address, the reminder is
 * `skipped`. E-mail only: WhatsApp templates need a reminder template approved in the attendance
 * module's store, which no tenant has yet (docs/scheduling.md).
 */
export async function sendDueReminders(
  tx: Tx,
  services: Services,
  now: Date,
  committed: (() => Promise<void>)[],
): Promise<{ sent: number; skipped: number }> {
  const due = await tx.execute<Due>(sql`
    select r.id, r.tenant_id, r.due_at, a.starts_at, s.name as service_name, p.name as professional_name, p.time_zone,
      t.name as tenant_name, c.name as customer_name, c.email, f.reminders_consent as consent
    from scheduling_reminders r
    join appointments a on a.id = r.appointment_id
    join scheduling_services s on s.id = a.service_id
    join scheduling_professionals p on p.id = a.professional_id
    join tenants t on t.id = r.tenant_id
    left join customers c on c.id = a.customer_id
    left join scheduling_customer_facts f on f.customer_id = a.customer_id
    where r.status = 'pending' and r.due_at <= ${now} and a.status = 'confirmed'
    order by r.due_at limit ${SEND_BATCH}
    for update of r skip locked`)
  const sends = new Map<string, string[]>()
  let skipped = 0
  for (const reminder of due.rows) {
    if (!reminder.consent || !reminder.email) {
      skipped++
      await tx.execute(
        sql`update scheduling_reminders set status = 'skipped', updated_at = ${now} where id = ${reminder.id}`,
      )
      continue
    }
    const startsAt = new Date(reminder.starts_at)
    const message = await insertOutboundMessage(tx, reminder.tenant_id, {
      channel: 'email',
      purpose: 'scheduling.reminder',
      idempotencyKey: `scheduling-reminder:${reminder.id}:${new Date(reminder.due_at).getTime()}`,
      to: reminder.email,
      content: reminderEmail(reminder, startsAt),
    })
    await tx.execute(sql`
      update scheduling_reminders set status = 'sent', channel = 'email', message_id = ${message.id}, updated_at = ${now}
      where id = ${reminder.id}`)
    if (message.created && message.status === 'queued')
      sends.set(reminder.tenant_id, [...(sends.get(reminder.tenant_id) ?? []), message.id])
  }
  for (const [tenantId, ids] of sends)
    committed.push(async () => void (await queueSends(services.jobs, tenantId, ids)))
  const sent = due.rows.length - skipped
  if (due.rows.length > 0) log('info', 'scheduling reminders', { sent, skipped })
  return { sent, skipped }
}

/**
 * The reminder's words, in Portuguese (the customers' language; they have no language setting),
 * with the time on the professional's clock, where the customer comes to, and that zone named.
 */
function reminderEmail(reminder: Due, startsAt: Date) {
  const when = new Intl.DateTimeFormat('pt-BR', {
    timeZone: reminder.time_zone,
    dateStyle: 'full',
    timeStyle: 'short',
  }).format(startsAt)
  return {
    subject: `Lembrete: ${reminder.service_name} em ${reminder.tenant_name}`,
    text: [
      `Olá${reminder.customer_name ? `, ${reminder.customer_name}` : ''}!`,
      '',
      `Lembramos do seu horário: ${reminder.service_name} com ${reminder.professional_name},`,
      `${when} (${reminder.time_zone}), em ${reminder.tenant_name}.`,
      '',
      'Se não puder vir, use o link de gerenciamento que recebeu ao agendar ou fale com a gente.',
    ].join('\n'),
  }
}
