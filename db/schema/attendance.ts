import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { connections } from './connections.ts'
import { customers } from './customers.ts'
import { users } from './identity.ts'
import { outboundMessages } from './messaging.ts'
import { tenants } from './tenancy.ts'

// The WhatsApp attendance module (issue 14, docs/attendance.md): a tenant's business numbers, the
// people who write to them, one conversation per number and person, and its messages.

/**
 * `open`: the team's turn (a new or unanswered message); `pending`: waiting for the customer;
 * `snoozed`: hidden until `snoozed_until`; `resolved`: done. Any inbound message reopens it.
 */
export const CONVERSATION_STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const
export const ATTENDANCE_DIRECTIONS = ['in', 'out', 'note'] as const
export const ATTENDANCE_MESSAGE_TYPES = [
  'text',
  'image',
  'audio',
  'document',
  'video',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'button',
  'reaction',
  'template',
  'note',
  'unsupported',
] as const
export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number]
export type AttendanceDirection = (typeof ATTENDANCE_DIRECTIONS)[number]
export type AttendanceMessageType = (typeof ATTENDANCE_MESSAGE_TYPES)[number]

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}

/**
 * A WhatsApp Business number of the tenant. It sends with the token of an existing WhatsApp
 * `connections` row (the WABA, `external_account_id`) and receives through the tenant's signed
 * Meta webhook, routed by `phone_number_id`.
 */
export const attendanceNumbers = pgTable(
  'attendance_numbers',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id),
    /** Meta's id of the number (`metadata.phone_number_id` in webhooks). */
    phoneNumberId: text('phone_number_id').notNull(),
    /** The WhatsApp Business Account the number belongs to (its templates live there). */
    wabaId: text('waba_id').notNull(),
    /** The number as people read it (`+55 11 4000-1000`). */
    displayNumber: text('display_number').notNull(),
    label: text('label'),
    /** The team whose members a new conversation on this number goes to, in turn (0036). */
    teamId: text('team_id').references(() => attendanceTeams.id, { onDelete: 'set null' }),
    ...timestamps,
  },
  (t) => [uniqueIndex('attendance_numbers_phone_key').on(t.tenantId, t.phoneNumberId)],
)

/**
 * A group of members who answer (migration 0036). A number may belong to one team; its new
 * conversations go to the team's available members in turn. `rr_next` counts the turns taken:
 * bumped in the statement that assigns, so concurrent conversations each get their own turn.
 */
export const attendanceTeams = pgTable(
  'attendance_teams',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    rrNext: bigint('rr_next', { mode: 'number' }).notNull().default(0),
    /** Off: the team keeps its members but hands no conversation out in turn (0044). */
    roundRobin: boolean('round_robin').notNull().default(true),
    ...timestamps,
  },
  (t) => [uniqueIndex('attendance_teams_name_key').on(t.tenantId, sql`lower(${t.name})`)],
)

export const attendanceTeamMembers = pgTable(
  'attendance_team_members',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    teamId: text('team_id')
      .notNull()
      .references(() => attendanceTeams.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.userId] }),
    index('attendance_team_members_tenant_idx').on(t.tenantId),
    index('attendance_team_members_user_idx').on(t.userId),
  ],
)

/** A member's presence in the inbox: one marked away is skipped by the rotation. */
export const attendanceAgents = pgTable(
  'attendance_agents',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    userId: text('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    away: boolean('away').notNull().default(false),
    updatedAt: timestamps.updatedAt,
  },
  (t) => [index('attendance_agents_tenant_idx').on(t.tenantId)],
)

/**
 * A person who wrote to one of the tenant's numbers. `contact_key` is the identity the webhooks
 * give: the business-scoped user id (`user_id`, BSUID) when present (every message webhook since
 * April 2026), else `wa:<wa_id>`. A user known only by username has a BSUID and no `wa_id`; one
 * with a phone number is also a shared customer (`customer_id`).
 */
export const attendanceContacts = pgTable(
  'attendance_contacts',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    contactKey: text('contact_key').notNull(),
    bsuid: text('bsuid'),
    /** The WhatsApp id: the phone number's digits with country code, when Meta sends it. */
    waId: text('wa_id'),
    profileName: text('profile_name'),
    /** A name the team gave; shown before the profile name. */
    name: text('name'),
    customerId: text('customer_id').references(() => customers.id),
    /** The customer agreed to be written to: when, and how (`inbound_message`, `form`, `manual`…). */
    optedInAt: timestamp('opted_in_at', { withTimezone: true }),
    optInSource: text('opt_in_source'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('attendance_contacts_key').on(t.tenantId, t.contactKey),
    index('attendance_contacts_wa_id_idx').on(t.tenantId, t.waId).where(sql`wa_id is not null`),
    index('attendance_contacts_customer_idx')
      .on(t.tenantId, t.customerId)
      .where(sql`customer_id is not null`),
  ],
)

/**
 * One conversation per number and contact: a resolved one is reopened by the next inbound message.
 * The 24-hour customer-service window is `last_inbound_at` + 24 h, computed on the server.
 */
export const attendanceConversations = pgTable(
  'attendance_conversations',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    numberId: text('number_id')
      .notNull()
      .references(() => attendanceNumbers.id, { onDelete: 'cascade' }),
    contactId: text('contact_id')
      .notNull()
      .references(() => attendanceContacts.id, { onDelete: 'cascade' }),
    status: text('status', { enum: CONVERSATION_STATUSES }).notNull().default('open'),
    assigneeId: text('assignee_id').references(() => users.id),
    lastInboundAt: timestamp('last_inbound_at', { withTimezone: true }),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }).notNull().defaultNow(),
    /** The first inbound message nobody has answered yet; null when the team spoke last. */
    waitingSince: timestamp('waiting_since', { withTimezone: true }),
    /** When the current episode (since it was opened or reopened) began. */
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull().defaultNow(),
    /** The team's first answer in the current episode. */
    firstReplyAt: timestamp('first_reply_at', { withTimezone: true }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    snoozedUntil: timestamp('snoozed_until', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('attendance_conversations_pair_key').on(t.tenantId, t.numberId, t.contactId),
    // The inbox list: newest activity first.
    index('attendance_conversations_tenant_id_idx').on(t.tenantId, t.lastMessageAt, t.id),
  ],
)

/**
 * A message of a conversation: inbound (with Meta's `wamid`, unique per tenant, so a redelivered
 * webhook stores nothing new), outbound (pointing at its outbox row, where its status lives) or an
 * internal note of the team (never sent).
 */
export const attendanceMessages = pgTable(
  'attendance_messages',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => attendanceConversations.id, { onDelete: 'cascade' }),
    direction: text('direction', { enum: ATTENDANCE_DIRECTIONS }).notNull(),
    type: text('type', { enum: ATTENDANCE_MESSAGE_TYPES }).notNull(),
    body: text('body'),
    /** Inbound only: Meta's message id. */
    wamid: text('wamid'),
    /** The wamid this message answers (Meta's `context.id`, or the one an agent replied to). */
    replyTo: text('reply_to'),
    /** Template name, language and parameters; media id and MIME type; what an inbound type carried. */
    details: jsonb('details').$type<Record<string, unknown>>(),
    outboundMessageId: text('outbound_message_id').references(() => outboundMessages.id),
    /** The member who sent it or wrote the note. */
    authorId: text('author_id').references(() => users.id),
    /** When it happened: Meta's timestamp for inbound, the request's time otherwise. */
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('attendance_messages_wamid_key').on(t.tenantId, t.wamid).where(sql`wamid is not null`),
    uniqueIndex('attendance_messages_outbound_key')
      .on(t.tenantId, t.outboundMessageId)
      .where(sql`outbound_message_id is not null`),
    index('attendance_messages_tenant_id_idx').on(t.tenantId, t.conversationId, t.sentAt, t.id),
  ],
)

/**
 * Message templates of a WABA, synced from `GET /{waba-id}/message_templates` and kept current by
 * the `message_template_status_update` webhook. `parameters` lists the body's placeholders: names
 * for named templates, `1`, `2`… for positional ones.
 */
export const attendanceTemplates = pgTable(
  'attendance_templates',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    wabaId: text('waba_id').notNull(),
    /** Meta's template id. */
    externalId: text('external_id'),
    name: text('name').notNull(),
    language: text('language').notNull(),
    category: text('category').notNull(),
    status: text('status').notNull(),
    body: text('body'),
    parameters: jsonb('parameters').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    syncedAt: timestamp('synced_at', { withTimezone: true }).notNull().defaultNow(),
    ...timestamps,
  },
  (t) => [uniqueIndex('attendance_templates_key').on(t.tenantId, t.wabaId, t.name, t.language)],
)

/**
 * Messages the team sent this month (UTC), against the plan's `attendance_messages_limit`: the
 * conditional increment is what refuses the one past the limit, even when sends race.
 */
export const attendanceUsage = pgTable(
  'attendance_usage',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    /** First day of the month, `YYYY-MM-01`. */
    month: text('month').notNull(),
    sent: integer('sent').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('attendance_usage_key').on(t.tenantId, t.month)],
)

/** An interval of a weekday (0 = Sunday) the business answers, in minutes of its local day. */
export type InboxWeeklyHours = { weekday: number; start: number; end: number }
/** A date that differs from the week: closed all day (`start`/`end` absent) or other hours. */
export type InboxHoursException = { date: string; start?: number; end?: number }

/**
 * The inbox's business hours and away message, one row per tenant (migration 0044): weekly hours
 * and dated exceptions in `time_zone`; a customer who writes outside them (or while `away_now` is
 * on) gets `away_message` once per conversation and closed period, through the outbox.
 */
export const attendanceSettings = pgTable(
  'attendance_settings',
  {
    tenantId: text('tenant_id')
      .primaryKey()
      .references(() => tenants.id),
    timeZone: text('time_zone').notNull().default('America/Sao_Paulo'),
    weekly: jsonb('weekly').$type<InboxWeeklyHours[]>().notNull().default(sql`'[]'::jsonb`),
    exceptions: jsonb('exceptions').$type<InboxHoursException[]>().notNull().default(sql`'[]'::jsonb`),
    /** Null: no away message is sent. */
    awayMessage: text('away_message'),
    awayNow: boolean('away_now').notNull().default(false),
    /** When the switch was turned on: the closed period it opened, for the once-per-period key. */
    awaySince: timestamp('away_since', { withTimezone: true }),
    updatedAt: timestamps.updatedAt,
  },
  (t) => [check('attendance_settings_away_since', sql`not ${t.awayNow} or ${t.awaySince} is not null`)],
)
