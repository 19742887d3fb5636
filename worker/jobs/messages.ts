import { z } from 'zod'

/**
 * Every message on the jobs queue, versioned by `v` so a deploy can still read messages queued
 * by the previous one. Producers build them with these types; the consumer parses with the schema.
 */
export const cronTickMessage = z.object({
  type: z.literal('cron.tick'),
  v: z.literal(1),
  cron: z.string().max(100),
  /** The controller's scheduledTime (ms): identical for a duplicate firing of the same slot. */
  scheduledTime: z.number().int().nonnegative(),
})

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/)

/** Collect one connection: scheduled by the cron fan-out, manual (collect now) or a backfill window. */
export const collectMessage = z.object({
  type: z.literal('collect.connection'),
  v: z.literal(1),
  tenantId: z.string(),
  connectionId: z.string(),
  kind: z.enum(['scheduled', 'manual', 'backfill']),
  /** Backfill windows carry their range; scheduled runs re-collect the last days (platforms lag). */
  from: day.optional(),
  to: day.optional(),
})

/**
 * One Meta webhook delivery (Instagram, WhatsApp) whose signature the edge verified, for one
 * tenant. The body travels as received; one too large for a queue message is sealed in KV and
 * `bodyKey` names it (worker/services/meta-webhooks/meta-ingest.ts).
 */
export const metaWebhookMessage = z.object({
  type: z.literal('meta.webhook'),
  v: z.literal(1),
  tenantId: z.string(),
  /** When the edge accepted it (ms); raw events keep it. */
  receivedAt: z.number().int().nonnegative(),
  body: z.string().optional(),
  bodyKey: z.string().max(200).optional(),
})

/** Build one portability archive (LGPD Art. 18 V) requested with `POST /api/v1/exports`. */
export const exportMessage = z.object({
  type: z.literal('privacy.export'),
  v: z.literal(1),
  tenantId: z.string(),
  exportId: z.string(),
})

/**
 * Carry out an erasure (a tenant or one connection) whose grace period is over, sent by the cron
 * tick; resumable, so a redelivery continues where it stopped, and a no-op once it is done.
 */
export const erasureMessage = z.object({
  type: z.literal('privacy.erase'),
  v: z.literal(1),
  tenantId: z.string(),
  requestId: z.string(),
})

/** Sync one calendar source (iCal feed): scheduled by the cron fan-out or "sync now". */
export const calendarSyncMessage = z.object({
  type: z.literal('calendar.sync'),
  v: z.literal(1),
  tenantId: z.string(),
  sourceId: z.string(),
  kind: z.enum(['scheduled', 'manual']),
})

/**
 * Alert a new calendar conflict to the tenant's Telegram chat. Sent by deploys before the outbox:
 * the alert is now written to the outbox with the conflict, and this only enqueues it there.
 */
export const calendarAlertMessage = z.object({
  type: z.literal('calendar.alert'),
  v: z.literal(1),
  tenantId: z.string(),
  conflictId: z.string(),
})

/**
 * Send one outbox message (worker/services/messaging/): claimed before the provider is called, so
 * a redelivery, or a second job for the same message, sends nothing.
 */
export const messagingSendMessage = z.object({
  type: z.literal('messaging.send'),
  v: z.literal(1),
  tenantId: z.string(),
  messageId: z.string(),
})

/** Sync one attendance number's WhatsApp templates from its WABA (worker/services/attendance/templates.ts). */
export const attendanceTemplatesSyncMessage = z.object({
  type: z.literal('attendance.templates_sync'),
  v: z.literal(1),
  tenantId: z.string(),
  numberId: z.string(),
})

/**
 * Send a password reset link if `email` belongs to an active member (docs/security.md, "Account
 * recovery"). Queued for every request alike, so the request's answer says nothing of the address.
 */
export const passwordResetMessage = z.object({
  type: z.literal('auth.password_reset'),
  v: z.literal(1),
  email: z.string().max(254),
  /** The portal origin the link points to (PORTAL_BASE_URL, or the request's own). */
  origin: z.url(),
  /** The request's id: one link per request, however often the job is delivered. */
  requestId: z.string().max(100),
  ip: z.string().max(100).nullable().optional(),
})

/**
 * Render one scheduled-report run (or a preview) and e-mail it (worker/services/reports/run.ts):
 * claimed before rendering, so a redelivery or a second job renders and sends nothing more.
 */
export const reportRunMessage = z.object({
  type: z.literal('reports.run'),
  v: z.literal(1),
  tenantId: z.string(),
  runId: z.string(),
})

export const jobMessage = z.discriminatedUnion('type', [
  cronTickMessage,
  collectMessage,
  metaWebhookMessage,
  exportMessage,
  erasureMessage,
  calendarSyncMessage,
  calendarAlertMessage,
  messagingSendMessage,
  attendanceTemplatesSyncMessage,
  passwordResetMessage,
  reportRunMessage,
])

export type JobMessage = z.infer<typeof jobMessage>
export type JobType = JobMessage['type']
export type JobOf<T extends JobType> = Extract<JobMessage, { type: T }>
