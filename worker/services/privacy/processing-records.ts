import { authorizeOperator } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'

/**
 * The records of processing (LGPD Art. 37): what personal data Integra processes, why, on which
 * legal basis (Art. 7), for how long and with which sub-processors. Configuration, not data: a
 * change here is reviewed like code, and `GET /api/v1/admin/processing-records` serves it.
 */

export type LegalBasis =
  | 'consent (Art. 7 I)'
  | 'legal obligation (Art. 7 II)'
  | 'contract (Art. 7 V)'
  | 'exercise of rights (Art. 7 VI)'
  | 'legitimate interest (Art. 7 IX)'

export type SubProcessor = {
  name: string
  service: string
  /** Where the data is processed or stored. */
  location: string
}

export type ProcessingActivity = {
  id: string
  purpose: string
  dataSubjects: string[]
  dataCategories: string[]
  legalBasis: LegalBasis
  retention: string
  subProcessors: SubProcessor[]
  /** Tables (or stores) where the data lives, so an auditor can follow it into the system. */
  storage: string[]
}

/** Purposes a consent record may name (`POST /api/v1/consent`); the collection gate reads the first. */
export const CONSENT_PURPOSES = ['metrics_collection'] as const
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number]

/** Raw webhook events are kept this long (Meta retries a delivery for at most 7 days). */
export const WEBHOOK_EVENTS_RETENTION_DAYS = 30
/** Deduplication claims of webhook events (Meta retries a delivery for at most 7 days). */
export const WEBHOOK_SEEN_RETENTION_DAYS = 30
/** Login attempts only matter for 15 minutes (rate limit); a month is kept for incident review. */
export const LOGIN_ATTEMPTS_RETENTION_DAYS = 30
/**
 * Queue messages that exhausted their retries, kept for operators to inspect and replay. A
 * webhook's raw event can land here (a WhatsApp status names a phone number), so not forever.
 */
export const DEAD_LETTERS_RETENTION_DAYS = 30
/** A finished export is offered for this long; the bucket's lifecycle rule deletes it then. */
export const EXPORT_RETENTION_DAYS = 7

const CLOUDFLARE: SubProcessor = {
  name: 'Cloudflare, Inc.',
  service: 'Workers (compute), KV (encrypted tokens), Queues (jobs), R2 (export archives), logs',
  location: 'global edge network',
}
const NEON: SubProcessor = {
  name: 'Neon (Databricks, Inc.)',
  service: 'managed Postgres (all relational data)',
  location: "the project's configured region",
}
const PLATFORMS: SubProcessor[] = [
  { name: 'Meta Platforms, Inc.', service: 'Instagram Graph API', location: 'United States' },
  { name: 'Meta Platforms, Inc.', service: 'Facebook Pages (Graph API)', location: 'United States' },
  { name: 'Meta Platforms, Inc.', service: 'WhatsApp Business Platform', location: 'United States' },
  { name: 'X Corp.', service: 'X API v2', location: 'United States' },
  { name: 'TikTok Pte. Ltd.', service: 'TikTok Display API', location: 'Singapore / United States' },
]

export const PROCESSING_ACTIVITIES: readonly ProcessingActivity[] = [
  {
    id: 'accounts',
    purpose: 'Accounts and access to the platform: sign-in, roles, sessions, API keys',
    dataSubjects: ["tenant members (customers' staff)", 'operators of the central'],
    dataCategories: [
      'name',
      'e-mail',
      'role',
      'password hash (PBKDF2)',
      'session IP address and user agent',
      'API key hashes',
      'hashes of single-use e-mailed links (password reset, invitation) and their use',
      'two-factor sign-in: the TOTP secret (encrypted, AES-256-GCM), hashes of recovery codes and of sign-in challenges',
    ],
    legalBasis: 'contract (Art. 7 V)',
    retention: 'while the account exists; sessions at most 30 days; erased with the tenant',
    subProcessors: [CLOUDFLARE, NEON],
    storage: [
      'users',
      'operators',
      'sessions',
      'refresh_tokens',
      'api_keys',
      'account_tokens',
      'recovery_codes',
      'login_challenges',
    ],
  },
  {
    id: 'metrics_collection',
    purpose: "Collecting the metrics of the tenant's social accounts and showing their history",
    dataSubjects: ['holders of the connected social accounts'],
    dataCategories: [
      'platform account id and display name',
      'OAuth tokens (encrypted, AES-256-GCM)',
      'aggregated account metrics (reach, followers, messages…)',
    ],
    legalBasis: 'consent (Art. 7 I)',
    retention: "the plan's retention_days for metric points (daily purge); tokens until disconnected",
    subProcessors: [CLOUDFLARE, NEON, ...PLATFORMS],
    storage: ['connections', 'metric_points', 'collection_runs', 'KV vault/<tenant>/…'],
  },
  {
    id: 'webhook_events',
    purpose: 'Receiving platform webhooks (message statuses, comments, mentions) to count them',
    dataSubjects: ['holders of the connected social accounts', 'people who interact with them'],
    dataCategories: ['platform object ids', 'raw event payloads'],
    legalBasis: 'consent (Art. 7 I)',
    retention: `raw events ${WEBHOOK_EVENTS_RETENTION_DAYS} days, deduplication claims ${WEBHOOK_SEEN_RETENTION_DAYS} days, events that failed processing (dead letters) ${DEAD_LETTERS_RETENTION_DAYS} days; daily counters while the tenant exists`,
    subProcessors: [CLOUDFLARE, NEON, ...PLATFORMS.filter((p) => p.name.startsWith('Meta'))],
    storage: ['webhook_events', 'meta_webhook_counters', 'meta_webhook_seen', 'job_dead_letters'],
  },
  {
    id: 'calendar',
    purpose: 'Synchronising rental calendars (module calendar) and alerting on double bookings',
    dataSubjects: ['guests of the rental properties', 'tenant members who receive alerts'],
    dataCategories: [
      'guest name, when a feed or the tenant gives it',
      'stay dates and booking notes',
      'iCal feed URLs (encrypted)',
      'Telegram chat id for alerts (bot token encrypted)',
    ],
    legalBasis: 'contract (Art. 7 V)',
    retention: 'while the tenant exists; erased with it',
    subProcessors: [
      CLOUDFLARE,
      NEON,
      { name: 'Airbnb, Inc.', service: 'iCal calendar feeds (read)', location: 'United States' },
      { name: 'Booking.com B.V.', service: 'iCal calendar feeds (read)', location: 'Netherlands' },
      {
        name: 'Vrbo (Expedia Group, Inc.)',
        service: 'iCal calendar feeds (read)',
        location: 'United States',
      },
      {
        name: 'Telegram Messenger Inc.',
        service: 'Bot API (conflict alerts)',
        location: 'United Arab Emirates',
      },
    ],
    storage: [
      'properties',
      'calendar_sources',
      'bookings',
      'calendar_conflicts',
      'calendar_sync_runs',
      'calendar_alert_settings',
      'KV vault/<tenant>/…',
    ],
  },
  {
    id: 'customers',
    purpose:
      'Knowing the tenant’s customers as one person across modules (the attendance inbox, scheduling, commerce): who they are and how to reach them',
    dataSubjects: ['the tenant’s customers'],
    dataCategories: ['name', 'phone number (E.164)', 'e-mail address'],
    legalBasis: 'contract (Art. 7 V)',
    retention: 'while the tenant exists; erased with the tenant',
    subProcessors: [CLOUDFLARE, NEON],
    storage: ['customers'],
  },
  {
    id: 'commerce',
    purpose:
      'Selling the tenant’s products (module commerce): taking orders at the storefront, charging them by PIX, delivering or handing them over, and telling the customer how the order goes',
    dataSubjects: ['the tenant’s customers who order'],
    dataCategories: [
      'name, phone number and e-mail given at checkout',
      'delivery address and its coordinates',
      'what was ordered, amounts, order history',
      'payment status and the provider’s payment id (no card data)',
      // Campaigns and coupons: the discounts an order got and how often the customer used each.
      'coupons and discounts used, per order and per customer',
    ],
    legalBasis: 'contract (Art. 7 V)',
    retention:
      'while the tenant exists; unpaid orders expire after 10 minutes but are kept as cancelled; on the tenant’s erasure, orders, their items and payments are kept for the fiscal record with the customer’s name, phone, e-mail, address and notes blanked; the rest is erased',
    subProcessors: [
      CLOUDFLARE,
      NEON,
      { name: 'Mercado Pago (MercadoLibre, Inc.)', service: 'PIX payments', location: 'Brazil / Argentina' },
      // The delivery CEP (never the name or number) is looked up to price the shipping; cached in KV.
      { name: 'ViaCEP', service: 'CEP → street, district, city (delivery CEP only)', location: 'Brazil' },
      {
        name: 'OpenStreetMap Foundation (Nominatim)',
        service: 'CEP → coordinates for the delivery fee (CEP, city, state only)',
        location: 'United Kingdom / European Union',
      },
    ],
    storage: [
      'commerce_orders',
      'commerce_order_items',
      'commerce_order_events',
      'commerce_payments',
      'commerce_deliveries',
      'commerce_addresses',
      'commerce_campaign_redemptions',
      'commerce_campaign_customer_uses',
      'customers',
    ],
  },
  {
    id: 'scheduling',
    purpose:
      'Booking the tenant’s customers with its professionals (module scheduling): the public booking page, appointments, and reminders when the customer agreed to them',
    dataSubjects: [
      'the tenant’s customers',
      'visitors of the public booking page',
      'the tenant’s professionals',
    ],
    dataCategories: [
      'appointment times, service, professional, status and notes',
      'consent to reminders, with its time and source',
      'reminders sent or skipped per appointment (a WhatsApp template to the customer’s phone when the tenant chose one, else e-mail, through the messaging outbox)',
      'a digest of the visitor’s IP address while a slot is held (bounds holds per visitor)',
      'professionals’ names, time zones and working hours',
    ],
    legalBasis: 'contract (Art. 7 V)',
    retention:
      'while the tenant exists; erased with the tenant; held slots not confirmed are cancelled after 10 minutes',
    subProcessors: [CLOUDFLARE, NEON],
    storage: [
      'appointments',
      'scheduling_customer_facts',
      'scheduling_services',
      'scheduling_professionals',
      'scheduling_service_professionals',
      'scheduling_plan_intervals',
      'scheduling_exceptions',
      'scheduling_blocked_periods',
      'scheduling_reminder_rules',
      'scheduling_reminders',
      'scheduling_settings',
    ],
  },
  {
    id: 'scheduled_reports',
    purpose:
      'Sending the tenant’s clients the PDF reports of their accounts’ metrics on the schedules the tenant sets (module metrics)',
    dataSubjects: ['the tenant’s clients who receive reports', 'tenant members who schedule them'],
    dataCategories: [
      'recipients’ e-mail addresses',
      'the accounts’ aggregated metrics in the PDF (no personal data of the accounts’ audiences)',
      'who scheduled or previewed a report, and when runs were sent',
      'who unsubscribed from a report, and when (the address, in the audit log)',
    ],
    legalBasis: 'contract (Art. 7 V)',
    retention: 'while the tenant exists; PDFs kept in the FILES bucket and erased with the tenant',
    subProcessors: [CLOUDFLARE, NEON],
    storage: ['report_schedules', 'report_runs', 'audit_log'],
  },
  {
    id: 'outbound_messaging',
    purpose:
      'Sending the messages the tenant’s modules ask for (reminders, confirmations, alerts) by WhatsApp, e-mail and Telegram, and keeping what was sent, its status and errors',
    dataSubjects: ['the tenant’s customers', 'tenant members who receive alerts'],
    dataCategories: [
      'phone number, e-mail address or chat id of the recipient',
      'the message content (text, template parameters, subject and body)',
      'delivery status, provider message id, pricing category',
    ],
    legalBasis: 'contract (Art. 7 V)',
    retention: 'while the tenant exists; erased with the tenant',
    subProcessors: [
      CLOUDFLARE,
      NEON,
      {
        name: 'Meta Platforms, Inc.',
        service: 'WhatsApp Business Cloud API (sending)',
        location: 'United States',
      },
      { name: 'Resend, Inc.', service: 'transactional e-mail', location: 'United States' },
      { name: 'Telegram Messenger Inc.', service: 'Bot API (alerts)', location: 'United Arab Emirates' },
    ],
    storage: ['outbound_messages'],
  },
  {
    id: 'attendance',
    purpose:
      'Answering the tenant’s customers on WhatsApp (module attendance): the shared inbox of conversations, the team’s replies and notes, assignment and response-time reports',
    dataSubjects: ['the tenant’s customers who write on WhatsApp', 'tenant members who answer them'],
    dataCategories: [
      'WhatsApp profile name, phone number (wa_id) and business-scoped user id (BSUID)',
      'the messages exchanged (text, media ids and types, template parameters) and internal notes',
      'opt-in time and source; conversation status, assignee and times',
    ],
    legalBasis: 'contract (Art. 7 V)',
    retention:
      'while the tenant exists; one contact is erased on request with its conversations, messages and replies (counts kept in the audit trail); all erased with the tenant',
    subProcessors: [
      CLOUDFLARE,
      NEON,
      {
        name: 'Meta Platforms, Inc.',
        service: 'WhatsApp Business Cloud API (receiving and sending messages, templates)',
        location: 'United States',
      },
    ],
    storage: [
      'attendance_numbers',
      'attendance_contacts',
      'attendance_conversations',
      'attendance_messages',
      'attendance_templates',
      'attendance_usage',
      'attendance_teams',
      'attendance_team_members',
      'attendance_agents',
      // Business hours and the away message (0044).
      'attendance_settings',
    ],
  },
  {
    id: 'consent_records',
    purpose: 'Proving consent and its revocation (Art. 8 §2: the burden of proof is on the controller)',
    dataSubjects: ['tenant members who give or revoke consent'],
    dataCategories: ['member id', 'IP address', 'user agent', 'policy version', 'time'],
    legalBasis: 'legal obligation (Art. 7 II)',
    retention: 'append-only while the tenant exists; erased with the tenant or the connection',
    subProcessors: [CLOUDFLARE, NEON],
    storage: ['consents'],
  },
  {
    id: 'security_audit',
    purpose: 'Security and accountability: audit trail, login and password-reset rate limiting',
    dataSubjects: ['tenant members', 'operators', 'anyone attempting to sign in'],
    dataCategories: ['actor id', 'IP address', 'user agent', 'action', 'hash of the e-mail tried'],
    legalBasis: 'legitimate interest (Art. 7 IX)',
    retention: `audit trail while the tenant exists; login attempts and reset requests ${LOGIN_ATTEMPTS_RETENTION_DAYS} days`,
    subProcessors: [CLOUDFLARE, NEON],
    storage: ['audit_log', 'login_attempts', 'password_reset_requests'],
  },
  {
    id: 'licensing',
    purpose: 'Licenses and billing events of the tenant',
    dataSubjects: ['the tenant (business customer)'],
    dataCategories: ['tenant name and slug', 'plan, license status and validity', 'billing reference'],
    legalBasis: 'contract (Art. 7 V)',
    retention: 'while the tenant exists; the erasure keeps only an anonymous tombstone',
    subProcessors: [CLOUDFLARE, NEON],
    storage: ['tenants', 'licenses', 'webhook_deliveries'],
  },
  {
    id: 'data_subject_rights',
    purpose: 'Answering data subject requests: portability exports and erasure',
    dataSubjects: ['tenant members', 'holders of the connected social accounts'],
    dataCategories: [
      "a complete copy of the tenant's data (export archive)",
      'erasure receipts (ids, counts)',
    ],
    legalBasis: 'exercise of rights (Art. 7 VI)',
    retention: `export archives ${EXPORT_RETENTION_DAYS} days; erasure receipts kept (no personal data)`,
    subProcessors: [CLOUDFLARE, NEON],
    storage: ['data_exports', 'R2 exports/<tenant>/…', 'erasure_requests', 'erasure_receipts'],
  },
]

/** The records, operators only. */
export function listProcessingRecords(ctx: ServiceContext): readonly ProcessingActivity[] {
  authorizeOperator(ctx.principal)
  return PROCESSING_ACTIVITIES
}

const CSV_COLUMNS = [
  'id',
  'purpose',
  'data_subjects',
  'data_categories',
  'legal_basis',
  'retention',
  'sub_processors',
  'storage',
] as const

/** RFC 4180: every field quoted, quotes doubled; lists joined with "; ". */
export function processingRecordsCsv(activities: readonly ProcessingActivity[]): string {
  const field = (value: string) => `"${value.replaceAll('"', '""')}"`
  const rows = activities.map((a) =>
    [
      a.id,
      a.purpose,
      a.dataSubjects.join('; '),
      a.dataCategories.join('; '),
      a.legalBasis,
      a.retention,
      a.subProcessors.map((s) => `${s.name}: ${s.service} (${s.location})`).join('; '),
      a.storage.join('; '),
    ]
      .map(field)
      .join(','),
  )
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`
}
