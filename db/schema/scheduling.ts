import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { attendanceTemplates } from './attendance.ts'
import { customers } from './customers.ts'
import { users } from './identity.ts'
import { tenants } from './tenancy.ts'

export const APPOINTMENT_STATUSES = ['pending', 'confirmed', 'cancelled', 'no_show', 'done'] as const
export const APPOINTMENT_SOURCES = ['portal', 'public', 'api'] as const
export const PLAN_INTERVAL_KINDS = ['work', 'break'] as const
export const EXCEPTION_KINDS = ['off', 'hours'] as const

export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number]
export type AppointmentSource = (typeof APPOINTMENT_SOURCES)[number]
export type PlanIntervalKind = (typeof PLAN_INTERVAL_KINDS)[number]
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number]

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}

/**
 * What a business sells by the hour: a consultation, a haircut, a group class (`capacity` > 1).
 * Durations and buffers in minutes; price in centavos. `min_notice_minutes` and `horizon_days`
 * bound what the public page offers; `cancel_cutoff_minutes` is how long before the start a
 * customer may still cancel or move it through their link.
 */
export const schedulingServices = pgTable(
  'scheduling_services',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    description: text('description'),
    durationMinutes: integer('duration_minutes').notNull(),
    bufferBeforeMinutes: integer('buffer_before_minutes').notNull().default(0),
    bufferAfterMinutes: integer('buffer_after_minutes').notNull().default(0),
    priceCents: integer('price_cents').notNull().default(0),
    currency: text('currency').notNull().default('BRL'),
    capacity: integer('capacity').notNull().default(1),
    minNoticeMinutes: integer('min_notice_minutes').notNull().default(60),
    horizonDays: integer('horizon_days').notNull().default(60),
    slotIntervalMinutes: integer('slot_interval_minutes').notNull().default(30),
    cancelCutoffMinutes: integer('cancel_cutoff_minutes').notNull().default(120),
    active: boolean('active').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    index('scheduling_services_tenant_id_idx').on(t.tenantId),
    uniqueIndex('scheduling_services_name_key').on(t.tenantId, t.name),
    check('scheduling_services_duration', sql`${t.durationMinutes} between 5 and 720`),
    check('scheduling_services_capacity', sql`${t.capacity} between 1 and 500`),
  ],
)

/**
 * Who performs services: a member of the tenant (`user_id`) or someone without a login. The
 * working plan is in their own time zone (IANA), so a plan keeps its local hours across DST.
 */
export const schedulingProfessionals = pgTable(
  'scheduling_professionals',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    timeZone: text('time_zone').notNull().default('America/Sao_Paulo'),
    active: boolean('active').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    index('scheduling_professionals_tenant_id_idx').on(t.tenantId),
    uniqueIndex('scheduling_professionals_name_key').on(t.tenantId, t.name),
  ],
)

/** Which professionals perform which services. */
export const schedulingServiceProfessionals = pgTable(
  'scheduling_service_professionals',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    serviceId: text('service_id')
      .notNull()
      .references(() => schedulingServices.id, { onDelete: 'cascade' }),
    professionalId: text('professional_id')
      .notNull()
      .references(() => schedulingProfessionals.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.serviceId, t.professionalId] }),
    index('scheduling_service_professionals_tenant_id_idx').on(t.tenantId),
    index('scheduling_service_professionals_professional_idx').on(t.professionalId),
  ],
)

/**
 * The weekly working plan: per weekday (0 = Sunday), working intervals and breaks in minutes of
 * the professional's local day. Availability is the work intervals minus the breaks.
 */
export const schedulingPlanIntervals = pgTable(
  'scheduling_plan_intervals',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    professionalId: text('professional_id')
      .notNull()
      .references(() => schedulingProfessionals.id, { onDelete: 'cascade' }),
    weekday: smallint('weekday').notNull(),
    kind: text('kind', { enum: PLAN_INTERVAL_KINDS }).notNull(),
    startMinute: integer('start_minute').notNull(),
    endMinute: integer('end_minute').notNull(),
  },
  (t) => [
    index('scheduling_plan_intervals_tenant_id_idx').on(t.tenantId),
    index('scheduling_plan_intervals_professional_idx').on(t.professionalId, t.weekday),
    check('scheduling_plan_intervals_weekday', sql`${t.weekday} between 0 and 6`),
    check(
      'scheduling_plan_intervals_minutes',
      sql`${t.startMinute} >= 0 and ${t.endMinute} <= 1440 and ${t.endMinute} > ${t.startMinute}`,
    ),
  ],
)

/**
 * A date that differs from the weekly plan: a day off, or other hours (replacing that day's plan,
 * breaks included), in the professional's zone.
 */
export const schedulingExceptions = pgTable(
  'scheduling_exceptions',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    professionalId: text('professional_id')
      .notNull()
      .references(() => schedulingProfessionals.id, { onDelete: 'cascade' }),
    date: date('date', { mode: 'string' }).notNull(),
    kind: text('kind', { enum: EXCEPTION_KINDS }).notNull(),
    startMinute: integer('start_minute'),
    endMinute: integer('end_minute'),
    reason: text('reason'),
    ...timestamps,
  },
  (t) => [
    index('scheduling_exceptions_tenant_id_idx').on(t.tenantId),
    uniqueIndex('scheduling_exceptions_day_key').on(t.professionalId, t.date),
    check(
      'scheduling_exceptions_hours',
      sql`(${t.kind} = 'off' and ${t.startMinute} is null and ${t.endMinute} is null)
        or (${t.kind} = 'hours' and ${t.startMinute} >= 0 and ${t.endMinute} <= 1440 and ${t.endMinute} > ${t.startMinute})`,
    ),
  ],
)

/** A period closed for the whole business (a holiday, a renovation): no one is bookable in it. */
export const schedulingBlockedPeriods = pgTable(
  'scheduling_blocked_periods',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    reason: text('reason'),
    ...timestamps,
  },
  (t) => [
    index('scheduling_blocked_periods_tenant_id_idx').on(t.tenantId, t.startsAt),
    check('scheduling_blocked_periods_order', sql`${t.endsAt} > ${t.startsAt}`),
  ],
)

/**
 * Scheduling's own facts about a shared customer: whether they agreed to reminders, when and
 * how (LGPD: the consent's time and source are kept with it).
 */
export const schedulingCustomerFacts = pgTable(
  'scheduling_customer_facts',
  {
    customerId: text('customer_id')
      .primaryKey()
      .references(() => customers.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    remindersConsent: boolean('reminders_consent').notNull().default(false),
    consentAt: timestamp('consent_at', { withTimezone: true }),
    consentSource: text('consent_source', { enum: APPOINTMENT_SOURCES }),
    /** The language they booked in on the public page (`pt-BR`, `en`): their notices' (0041). */
    language: text('language'),
    ...timestamps,
  },
  (t) => [index('scheduling_customer_facts_tenant_id_idx').on(t.tenantId)],
)

/**
 * One booking of a service with a professional. `blocked_from`/`blocked_until` are the start and
 * end widened by the service's buffers: the range the professional is taken for, stored because
 * `timestamptz ± interval` is not immutable and cannot be a generated column.
 *
 * Overlaps are refused by Postgres itself (migration 0026): an exclusion constraint over
 * `(tenant_id, professional_id, tstzrange(blocked_from, blocked_until, '[)'), slot_key <>)` for
 * pending and confirmed rows. `slot_key` is the appointment's own id for individual services, so
 * any overlap conflicts; the seats of one group class share `grp:<service>:<start>`, so they may
 * overlap each other (counted under an advisory lock) but nothing else. drizzle cannot declare
 * the constraint: it lives only in the SQL.
 *
 * A public visitor's slot hold is a `pending` row with `hold_expires_at`: the constraint protects
 * it like any booking until it is confirmed or expires (then cancelled by the next booking that
 * needs the range, or by the cron sweep).
 */
export const appointments = pgTable(
  'appointments',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    serviceId: text('service_id')
      .notNull()
      .references(() => schedulingServices.id),
    professionalId: text('professional_id')
      .notNull()
      .references(() => schedulingProfessionals.id),
    /** Null only while a public hold waits for the visitor's name and phone. */
    customerId: text('customer_id').references(() => customers.id),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    blockedFrom: timestamp('blocked_from', { withTimezone: true }).notNull(),
    blockedUntil: timestamp('blocked_until', { withTimezone: true }).notNull(),
    slotKey: text('slot_key').notNull(),
    status: text('status', { enum: APPOINTMENT_STATUSES }).notNull(),
    source: text('source', { enum: APPOINTMENT_SOURCES }).notNull(),
    notes: text('notes'),
    holdExpiresAt: timestamp('hold_expires_at', { withTimezone: true }),
    /** SHA-256 of the visitor's address and hold cookie: bounds holds per visitor. */
    holdVisitor: text('hold_visitor'),
    /** The last invitation's SEQUENCE: each notice to the customer takes the next (0041). */
    noticeSequence: integer('notice_sequence').notNull().default(0),
    /** When the customer was erased from scheduling: no customer, notes or messages; times kept (0041). */
    customerErasedAt: timestamp('customer_erased_at', { withTimezone: true }),
    priceCents: integer('price_cents').notNull().default(0),
    currency: text('currency').notNull().default('BRL'),
    createdBy: text('created_by'),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('appointments_tenant_id_idx').on(t.tenantId, t.startsAt, t.id),
    index('appointments_professional_idx').on(t.professionalId, t.startsAt),
    index('appointments_customer_idx').on(t.customerId),
    index('appointments_holds_idx')
      .on(t.holdExpiresAt)
      .where(sql`status = 'pending' and hold_expires_at is not null`),
    check('appointments_order', sql`${t.endsAt} > ${t.startsAt}`),
    check(
      'appointments_blocked',
      sql`${t.blockedFrom} <= ${t.startsAt} and ${t.blockedUntil} >= ${t.endsAt}`,
    ),
  ],
)

export const REMINDER_STATUSES = ['pending', 'sent', 'void', 'skipped'] as const
export type ReminderStatus = (typeof REMINDER_STATUSES)[number]

/**
 * When to remind customers: `minutes_before` an appointment starts. Rules with a `service_id`
 * apply to that service; a service with none uses the tenant's default rules (`service_id` null).
 * Unique per (tenant, service or default, minutes) in the SQL (an expression index, migration 0032).
 */
export const schedulingReminderRules = pgTable(
  'scheduling_reminder_rules',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    serviceId: text('service_id').references(() => schedulingServices.id, { onDelete: 'cascade' }),
    minutesBefore: integer('minutes_before').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('scheduling_reminder_rules_tenant_id_idx').on(t.tenantId),
    check('scheduling_reminder_rules_minutes', sql`${t.minutesBefore} between 5 and 20160`),
  ],
)

/**
 * One reminder of one appointment under one rule: planned (`pending`, `due_at`) while the
 * appointment is confirmed, `void` once it is not, `sent` with its outbox message, or `skipped`
 * (no consent, no address). Unique per (appointment, rule): a doubled plan is one row.
 */
export const schedulingReminders = pgTable(
  'scheduling_reminders',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    appointmentId: text('appointment_id')
      .notNull()
      .references(() => appointments.id, { onDelete: 'cascade' }),
    ruleId: text('rule_id')
      .notNull()
      .references(() => schedulingReminderRules.id, { onDelete: 'cascade' }),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    status: text('status', { enum: REMINDER_STATUSES }).notNull(),
    channel: text('channel'),
    messageId: text('message_id'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('scheduling_reminders_key').on(t.appointmentId, t.ruleId),
    index('scheduling_reminders_tenant_id_idx').on(t.tenantId),
    index('scheduling_reminders_due_idx').on(t.dueAt).where(sql`status = 'pending'`),
    check('scheduling_reminders_status', sql`${t.status} in ('pending', 'sent', 'void', 'skipped')`),
  ],
)

/**
 * The tenant's scheduling settings (0041): the approved WhatsApp template, from the attendance
 * module's store, that carries reminders. None: reminders go by e-mail.
 */
export const schedulingSettings = pgTable('scheduling_settings', {
  tenantId: text('tenant_id')
    .primaryKey()
    .references(() => tenants.id),
  reminderTemplateId: text('reminder_template_id').references(() => attendanceTemplates.id, {
    onDelete: 'set null',
  }),
  ...timestamps,
})
