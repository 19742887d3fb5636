import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type { Services } from '../../runtime/ports.ts'
import { escapeText, foldLine } from '../calendar/export.ts'
import { putFile, tenantFileKey } from '../files/files.ts'
import { insertOutboundMessage } from '../messaging/outbox.ts'

/**
 * The customer's e-mail notices of an appointment (confirmed, moved, cancelled), each carrying an
 * iCalendar invitation (`invite.ics`) so their calendar app adds, moves or removes the event. Sent
 * through the outbox in the transaction that changed the appointment; a customer without an
 * e-mail address gets none. These are part of the booking itself (contract), not reminders, so
 * they do not wait for the reminders consent.
 */

export type NoticeKind = 'confirmed' | 'rescheduled' | 'cancelled'
export type NoticeLocale = 'pt-BR' | 'en'

const WORDS = {
  'pt-BR': {
    summary: (service: string, professional: string, business: string) =>
      `${service} com ${professional} · ${business}`,
    subject: {
      confirmed: (business: string) => `Agendamento confirmado em ${business}`,
      rescheduled: (business: string) => `Seu horário em ${business} mudou`,
      cancelled: (business: string) => `Agendamento cancelado em ${business}`,
    },
    body: {
      confirmed: 'Seu horário está confirmado:',
      rescheduled: 'Seu horário mudou para:',
      cancelled: 'Este horário foi cancelado:',
    },
    hello: (name: string) => `Olá, ${name}!`,
    calendar: 'O convite anexo (invite.ics) atualiza o seu calendário.',
  },
  en: {
    summary: (service: string, professional: string, business: string) =>
      `${service} with ${professional} · ${business}`,
    subject: {
      confirmed: (business: string) => `Appointment confirmed at ${business}`,
      rescheduled: (business: string) => `Your appointment at ${business} has moved`,
      cancelled: (business: string) => `Appointment cancelled at ${business}`,
    },
    body: {
      confirmed: 'Your appointment is confirmed:',
      rescheduled: 'Your appointment has moved to:',
      cancelled: 'This appointment is cancelled:',
    },
    hello: (name: string) => `Hello, ${name}!`,
    calendar: 'The attached invitation (invite.ics) updates your calendar.',
  },
} as const

const utc = (instant: Date) => `${instant.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`

/** The address in `Name <address>` (MAIL_FROM), for the ORGANIZER. */
const addressOf = (from: string) => /<([^>]+)>/.exec(from)?.[1] ?? from

export type Invitation = {
  appointmentId: string
  sequence: number
  method: 'REQUEST' | 'CANCEL'
  startsAt: Date
  endsAt: Date
  summary: string
  location: string
  organizer: { name: string; email: string }
  attendee: { name: string; email: string }
  now: Date
}

/**
 * One VEVENT in a VCALENDAR (RFC 5545 / iTIP RFC 5546): the UID is the appointment's, so every
 * notice of it is the same event to the calendar app; times in UTC; METHOD:REQUEST adds or moves
 * it (a higher SEQUENCE wins), METHOD:CANCEL with STATUS:CANCELLED removes it.
 */
export function renderInvitation(invite: Invitation): string {
  const cancel = invite.method === 'CANCEL'
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Integra//Scheduling 1.0//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${invite.method}`,
    'BEGIN:VEVENT',
    `UID:${invite.appointmentId}@integra`,
    `SEQUENCE:${invite.sequence}`,
    `DTSTAMP:${utc(invite.now)}`,
    `DTSTART:${utc(invite.startsAt)}`,
    `DTEND:${utc(invite.endsAt)}`,
    `SUMMARY:${escapeText(invite.summary)}`,
    `LOCATION:${escapeText(invite.location)}`,
    `ORGANIZER;CN=${escapeText(invite.organizer.name)}:mailto:${invite.organizer.email}`,
    `ATTENDEE;CN=${escapeText(invite.attendee.name)};ROLE=REQ-PARTICIPANT:mailto:${invite.attendee.email}`,
    `STATUS:${cancel ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:OPAQUE',
    'END:VEVENT',
    'END:VCALENDAR',
  ]
  return `${lines.map(foldLine).join('\r\n')}\r\n`
}

type Row = {
  starts_at: string
  ends_at: string
  service_name: string
  professional_name: string
  time_zone: string
  tenant_name: string
  customer_name: string | null
  email: string | null
  language: string | null
}

/**
 * Writes the notice of `kind` for the appointment to the outbox, with its invitation stored in
 * the FILES bucket and attached, keyed `scheduling-notice:<id>:<sequence>` (one message per
 * notice of the appointment, which its verb's transaction writes once). Returns the message id to queue after the
 * commit (null when there is nothing new to send).
 */
export async function noticeCustomer(
  tx: Tx,
  services: Services,
  tenantId: string,
  appointmentId: string,
  kind: NoticeKind,
  now: Date,
): Promise<string | null> {
  const [row] = await tx
    .execute<Row>(sql`
      select a.starts_at, a.ends_at, s.name as service_name, p.name as professional_name, p.time_zone,
        t.name as tenant_name, c.name as customer_name, c.email, f.language
      from appointments a
      join scheduling_services s on s.id = a.service_id
      join scheduling_professionals p on p.id = a.professional_id
      join tenants t on t.id = a.tenant_id
      left join customers c on c.id = a.customer_id
      left join scheduling_customer_facts f on f.customer_id = a.customer_id
      where a.tenant_id = ${tenantId} and a.id = ${appointmentId}`)
    .then((r) => r.rows)
  if (!row?.email) return null
  const locale: NoticeLocale = row.language === 'en' ? 'en' : 'pt-BR'
  const words = WORDS[locale]
  const startsAt = new Date(row.starts_at)
  // Each notice is a newer version of the event for the calendar app (RFC 5546 SEQUENCE).
  const [next] = await tx
    .execute<{ sequence: number }>(sql`
      update appointments set notice_sequence = notice_sequence + 1
      where tenant_id = ${tenantId} and id = ${appointmentId} returning notice_sequence as sequence`)
    .then((r) => r.rows)
  const sequence = next?.sequence ?? 1
  const name = row.customer_name ?? row.email
  const ics = renderInvitation({
    appointmentId,
    sequence,
    method: kind === 'cancelled' ? 'CANCEL' : 'REQUEST',
    startsAt,
    endsAt: new Date(row.ends_at),
    summary: words.summary(row.service_name, row.professional_name, row.tenant_name),
    location: row.tenant_name,
    organizer: { name: row.tenant_name, email: addressOf(services.config.MAIL_FROM) },
    attendee: { name, email: row.email },
    now,
  })
  const bytes = new TextEncoder().encode(ics)
  const key = tenantFileKey(tenantId, 'scheduling', 'invitations', `${appointmentId}-${sequence}.ics`)
  const size = await putFile(services.files, key, bytes, 'text/calendar')
  const when = new Intl.DateTimeFormat(locale, {
    timeZone: row.time_zone,
    dateStyle: 'full',
    timeStyle: 'short',
  }).format(startsAt)
  const message = await insertOutboundMessage(tx, tenantId, {
    channel: 'email',
    purpose: `scheduling.${kind}`,
    idempotencyKey: `scheduling-notice:${appointmentId}:${sequence}`,
    to: row.email,
    content: {
      subject: words.subject[kind](row.tenant_name),
      text: [
        words.hello(name),
        '',
        words.body[kind],
        `${row.service_name} · ${row.professional_name}`,
        `${when} (${row.time_zone})`,
        '',
        words.calendar,
      ].join('\n'),
      attachments: [{ key, filename: 'invite.ics', contentType: 'text/calendar', size }],
    },
  })
  return message.created && message.status === 'queued' ? message.id : null
}
