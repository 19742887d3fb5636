import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { users } from './identity.ts'
import { tenants } from './tenancy.ts'

export const REPORT_FREQUENCIES = ['weekly', 'monthly'] as const
export const REPORT_PERIODS = ['previous_week', 'previous_month', 'last_n_days'] as const
export const REPORT_COMPARISONS = ['previous_period', 'previous_year'] as const
export const REPORT_LANGUAGES = ['pt-BR', 'en'] as const
export const REPORT_FORMATS = ['attachment', 'link'] as const
export const REPORT_RUN_KINDS = ['scheduled', 'preview'] as const
/**
 * queued → rendering → sent (handed to the outbox, one e-mail per recipient), or → held (data
 * incomplete and the schedule holds for review) → sent on release / skipped; failed when the
 * run cannot be rendered (its owner gone, an error through every retry).
 */
export const REPORT_RUN_STATUSES = ['queued', 'rendering', 'held', 'sent', 'skipped', 'failed'] as const

export type ReportFrequency = (typeof REPORT_FREQUENCIES)[number]
export type ReportPeriod = (typeof REPORT_PERIODS)[number]
export type ReportComparison = (typeof REPORT_COMPARISONS)[number]
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number]
export type ReportFormat = (typeof REPORT_FORMATS)[number]
export type ReportRunKind = (typeof REPORT_RUN_KINDS)[number]
export type ReportRunStatus = (typeof REPORT_RUN_STATUSES)[number]

/**
 * A scheduled metrics report (module `metrics`): what it covers (connections or platforms; both
 * null is every connection), when it runs (weekly on an ISO weekday or monthly on a day, at a local
 * time in a time zone), which period it reports and against what, in which language, to whom.
 * `next_run_at` is the next local run time as an instant, advanced by the cron tick when it
 * creates a run. `created_by` is the member whose permissions the report is rendered with.
 */
export const reportSchedules = pgTable(
  'report_schedules',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    connectionIds: text('connection_ids').array(),
    platforms: text('platforms').array(),
    frequency: text('frequency', { enum: REPORT_FREQUENCIES }).notNull(),
    /** ISO weekday, 1 = Monday (weekly). */
    weekday: smallint('weekday'),
    /** Day of the month, 1–28 so every month has it (monthly). */
    monthDay: smallint('month_day'),
    /** `HH:MM`, local to `time_zone`. */
    localTime: text('local_time').notNull(),
    timeZone: text('time_zone').notNull(),
    period: text('period', { enum: REPORT_PERIODS }).notNull(),
    periodDays: smallint('period_days'),
    comparison: text('comparison', { enum: REPORT_COMPARISONS }).notNull().default('previous_period'),
    language: text('language', { enum: REPORT_LANGUAGES }).notNull().default('pt-BR'),
    recipients: text('recipients').array().notNull(),
    format: text('format', { enum: REPORT_FORMATS }).notNull().default('attachment'),
    holdForReview: boolean('hold_for_review').notNull().default(false),
    active: boolean('active').notNull().default(true),
    /**
     * Secret key of the recipients' unsubscribe links (HMAC of schedule and address under it);
     * random per schedule, set by the database, never shown or returned by the API.
     */
    unsubscribeKey: text('unsubscribe_key')
      .notNull()
      .default(sql`replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')`),
    nextRunAt: timestamp('next_run_at', { withTimezone: true }).notNull(),
    createdBy: text('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('report_schedules_tenant_id_idx').on(t.tenantId),
    index('report_schedules_due_idx').on(t.nextRunAt).where(sql`${t.active}`),
    check('report_schedules_weekday', sql`${t.weekday} between 1 and 7`),
    check('report_schedules_month_day', sql`${t.monthDay} between 1 and 28`),
    check('report_schedules_period_days', sql`${t.periodDays} between 1 and 366`),
  ],
)

/**
 * One rendering of a schedule for one period. Scheduled runs are unique per (schedule, period
 * start): a doubled cron tick creates one. `hold_reasons` says why a run waits for review.
 * The PDF is in the FILES bucket at `file_key`.
 */
export const reportRuns = pgTable(
  'report_runs',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    scheduleId: text('schedule_id')
      .notNull()
      .references(() => reportSchedules.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: REPORT_RUN_KINDS }).notNull().default('scheduled'),
    periodStart: date('period_start').notNull(),
    periodEnd: date('period_end').notNull(),
    /** Who asked for a preview (it goes to them alone). */
    requestedBy: text('requested_by').references(() => users.id),
    status: text('status', { enum: REPORT_RUN_STATUSES }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    holdReasons: jsonb('hold_reasons').$type<string[]>().notNull().default([]),
    fileKey: text('file_key'),
    fileSize: integer('file_size'),
    pages: integer('pages'),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    renderedAt: timestamp('rendered_at', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    index('report_runs_tenant_id_idx').on(t.tenantId, t.createdAt),
    index('report_runs_schedule_idx').on(t.scheduleId, t.createdAt),
    uniqueIndex('report_runs_period_key').on(t.scheduleId, t.periodStart).where(sql`${t.kind} = 'scheduled'`),
  ],
)
