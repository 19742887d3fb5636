import { and, asc, eq, isNull, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import {
  attendanceTemplates,
  schedulingReminderRules,
  schedulingServices,
  schedulingSettings,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { invalidField } from '../../errors.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { insertOutboundMessage, queueSends } from '../messaging/outbox.ts'

/** Most reminders one tick sends; the rest are due still and go on the next tick. */
const SEND_BATCH = 200

/**
 * The tenant's rules: the default ones (`serviceId` null) and each service's own; and the WhatsApp
 * template reminders go as (null: e-mail), with whether it is still approved.
 */
export async function listReminderRules(ctx: ServiceContext) {
  authorize(ctx.principal, 'scheduling.read')
  const [template] = await ctx.tx
    .select({
      id: attendanceTemplates.id,
      name: attendanceTemplates.name,
      language: attendanceTemplates.language,
      approved: sql<boolean>`${attendanceTemplates.status} = 'APPROVED'`,
    })
    .from(schedulingSettings)
    .innerJoin(attendanceTemplates, eq(attendanceTemplates.id, schedulingSettings.reminderTemplateId))
    .where(eq(schedulingSettings.tenantId, ctx.principal.tenantId))
  const rows = await ctx.tx
    .select({
      id: schedulingReminderRules.id,
      serviceId: schedulingReminderRules.serviceId,
      minutesBefore: schedulingReminderRules.minutesBefore,
    })
    .from(schedulingReminderRules)
    .where(eq(schedulingReminderRules.tenantId, ctx.principal.tenantId))
    .orderBy(asc(schedulingReminderRules.serviceId), asc(schedulingReminderRules.minutesBefore))
  return { data: rows, whatsappTemplate: template ?? null }
}

/** The approved WhatsApp templates a manager may choose for reminders (the attendance store's). */
export async function reminderTemplateChoices(ctx: ServiceContext) {
  authorize(ctx.principal, 'scheduling.manage')
  const rows = await ctx.tx
    .select({
      id: attendanceTemplates.id,
      name: attendanceTemplates.name,
      language: attendanceTemplates.language,
    })
    .from(attendanceTemplates)
    .where(
      and(
        eq(attendanceTemplates.tenantId, ctx.principal.tenantId),
        eq(attendanceTemplates.status, 'APPROVED'),
      ),
    )
    .orderBy(asc(attendanceTemplates.name), asc(attendanceTemplates.language))
  return { data: rows }
}

/**
 * Chooses the WhatsApp template reminders go as: one of the tenant's approved templates in the
 * attendance module's store (unknown, another tenant's or not approved: 400 naming the field), or
 * null for e-mail only.
 */
export async function setReminderTemplate(ctx: ServiceContext, input: { templateId: string | null }) {
  authorize(ctx.principal, 'scheduling.manage')
  const tenantId = ctx.principal.tenantId
  if (input.templateId) {
    const [template] = await ctx.tx
      .select({ id: attendanceTemplates.id })
      .from(attendanceTemplates)
      .where(
        and(
          eq(attendanceTemplates.id, input.templateId),
          eq(attendanceTemplates.tenantId, tenantId),
          eq(attendanceTemplates.status, 'APPROVED'),
        ),
      )
    if (!template)
      throw invalidField(
        'json.template_id',
        'no such approved template',
        'The template does not exist or is not approved.',
      )
  }
  await ctx.tx
    .insert(schedulingSettings)
    .values({ tenantId, reminderTemplateId: input.templateId })
    .onConflictDoUpdate({
      target: schedulingSettings.tenantId,
      set: { reminderTemplateId: input.templateId, updatedAt: ctx.now },
    })
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.reminder_template_set',
    tenantId,
    target: { type: 'tenant', id: tenantId },
    data: { template_id: input.templateId },
  })
  return listReminderRules(ctx)
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
  phone: string | null
  consent: boolean | null
  /** The tenant's approved reminder template and a number of its WABA to send it from, if any. */
  template_name: string | null
  template_language: string | null
  template_parameters: string[] | null
  connection_id: string | null
  phone_number_id: string | null
}

/**
 * The cron tick's part (operator transaction, every tenant): due reminders of confirmed
 * appointments are written to the messaging outbox and marked sent, in the tick's claimed slot,
 * so a doubled tick finds them sent. The outbox key is `scheduling-reminder:<id>:<due>` (one per
 * appointment and rule, and due time: a moved appointment is reminded again), so a redelivered
 * tick or send job stores and sends one message. The channel: WhatsApp when the customer consented,
 * has a phone and the tenant chose an approved reminder template with a number of its WABA in the
 * inbox (a template, so the 24-hour window does not matter); else e-mail when they consented and
 * have an address; else the reminder is `skipped`.
 */
export async function sendDueReminders(
  tx: Tx,
  services: Services,
  now: Date,
  committed: (() => Promise<void>)[],
): Promise<{ sent: number; skipped: number }> {
  const due = await tx.execute<Due>(sql`
    select r.id, r.tenant_id, r.due_at, a.starts_at, s.name as service_name, p.name as professional_name, p.time_zone,
      t.name as tenant_name, c.name as customer_name, c.email, c.phone, f.reminders_consent as consent,
      tpl.name as template_name, tpl.language as template_language, tpl.parameters as template_parameters,
      num.connection_id, num.phone_number_id
    from scheduling_reminders r
    join appointments a on a.id = r.appointment_id
    join scheduling_services s on s.id = a.service_id
    join scheduling_professionals p on p.id = a.professional_id
    join tenants t on t.id = r.tenant_id
    left join customers c on c.id = a.customer_id
    left join scheduling_customer_facts f on f.customer_id = a.customer_id
    left join scheduling_settings st on st.tenant_id = r.tenant_id
    left join attendance_templates tpl on tpl.id = st.reminder_template_id and tpl.status = 'APPROVED'
    left join lateral (
      select n.connection_id, n.phone_number_id from attendance_numbers n
      where n.tenant_id = tpl.tenant_id and n.waba_id = tpl.waba_id order by n.created_at, n.id limit 1
    ) num on true
    where r.status = 'pending' and r.due_at <= ${now} and a.status = 'confirmed'
    order by r.due_at limit ${SEND_BATCH}
    for update of r skip locked`)
  const sends = new Map<string, string[]>()
  let skipped = 0
  for (const reminder of due.rows) {
    const outbound = reminder.consent ? reminderMessage(reminder) : null
    if (!outbound) {
      skipped++
      await tx.execute(
        sql`update scheduling_reminders set status = 'skipped', updated_at = ${now} where id = ${reminder.id}`,
      )
      continue
    }
    const message = await insertOutboundMessage(tx, reminder.tenant_id, {
      ...outbound,
      purpose: 'scheduling.reminder',
      idempotencyKey: `scheduling-reminder:${reminder.id}:${new Date(reminder.due_at).getTime()}`,
    })
    await tx.execute(sql`
      update scheduling_reminders set status = 'sent', channel = ${outbound.channel}, message_id = ${message.id},
        updated_at = ${now}
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

/** The time of the appointment on the professional's clock, where the customer comes to. */
const whenOf = (reminder: Due) =>
  new Intl.DateTimeFormat('pt-BR', {
    timeZone: reminder.time_zone,
    dateStyle: 'full',
    timeStyle: 'short',
  }).format(new Date(reminder.starts_at))

/**
 * What goes out for a consented reminder: the WhatsApp template when it can, else the e-mail,
 * else nothing. The template's placeholders are filled by name (`name`, `when`, `service`,
 * `professional`, `business`) or, for positional ones, in that order ({{1}} the customer's name,
 * {{2}} the time, …), so a tenant's template may use as many of them as it likes.
 */
function reminderMessage(reminder: Due) {
  const values: Record<string, string> = {
    name: reminder.customer_name ?? '',
    when: `${whenOf(reminder)} (${reminder.time_zone})`,
    service: reminder.service_name,
    professional: reminder.professional_name,
    business: reminder.tenant_name,
  }
  const order = Object.values(values)
  if (
    reminder.phone &&
    reminder.template_name &&
    reminder.template_language &&
    reminder.connection_id &&
    reminder.phone_number_id
  )
    return {
      channel: 'whatsapp' as const,
      to: reminder.phone.replace(/^\+/, ''),
      from: { connectionId: reminder.connection_id, phoneNumberId: reminder.phone_number_id },
      window: 'closed' as const,
      content: {
        type: 'template' as const,
        name: reminder.template_name,
        language: reminder.template_language,
        parameters: (reminder.template_parameters ?? []).map((parameter) =>
          /^\d+$/.test(parameter)
            ? (order[Number(parameter) - 1] ?? '')
            : { name: parameter, text: values[parameter] ?? '' },
        ),
      },
    }
  if (reminder.email)
    return { channel: 'email' as const, to: reminder.email, content: reminderEmail(reminder) }
  return null
}

/** The reminder's words, in Portuguese (the customers' language; they have no language setting). */
function reminderEmail(reminder: Due) {
  return {
    subject: `Lembrete: ${reminder.service_name} em ${reminder.tenant_name}`,
    text: [
      `Olá${reminder.customer_name ? `, ${reminder.customer_name}` : ''}!`,
      '',
      `Lembramos do seu horário: ${reminder.service_name} com ${reminder.professional_name},`,
      `${whenOf(reminder)} (${reminder.time_zone}), em ${reminder.tenant_name}.`,
      '',
      'Se não puder vir, use o link de gerenciamento que recebeu ao agendar ou fale com a gente.',
    ].join('\n'),
  }
}
