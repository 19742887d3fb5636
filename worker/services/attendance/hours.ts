import { eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import {
  attendanceMessages,
  attendanceSettings,
  type InboxHoursException,
  type InboxWeeklyHours,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { insertOutboundMessage } from '../messaging/outbox.ts'
import { addDays, weekdayOf, zonedDate, zonedInstant } from '../scheduling/zones.ts'
import type { AttendanceEvent } from './events.ts'

/**
 * Business hours and the away message (docs/attendance.md). The hours are a week of intervals plus
 * dated exceptions in the tenant's zone; a customer who writes while the business is closed (or
 * while "away now" is on) gets the away message once per conversation and closed period: the
 * period is named by the instant it began, and that name is part of the outbox idempotency key, so
 * a redelivered webhook, or a second message in the same night, sends nothing more.
 */

export type HoursSettings = {
  timeZone: string
  weekly: InboxWeeklyHours[]
  exceptions: InboxHoursException[]
  awayMessage: string | null
  awayNow: boolean
  awaySince: Date | null
}

const DEFAULTS: HoursSettings = {
  timeZone: 'America/Sao_Paulo',
  weekly: [],
  exceptions: [],
  awayMessage: null,
  awayNow: false,
  awaySince: null,
}

/** How far back a closing time is looked for: a business closed longer is one long period. */
const LOOKBACK_DAYS = 14

/** The open intervals of one local date, as instants: the date's exception, else its weekday's. */
function intervalsOn(settings: HoursSettings, date: string): [number, number][] {
  const exception = settings.exceptions.find((e) => e.date === date)
  const minutes: [number, number][] = exception
    ? exception.start !== undefined && exception.end !== undefined
      ? [[exception.start, exception.end]]
      : []
    : settings.weekly.filter((w) => w.weekday === weekdayOf(date)).map((w) => [w.start, w.end])
  return minutes.map(([start, end]) => [
    zonedInstant(date, start, settings.timeZone).getTime(),
    zonedInstant(date, end, settings.timeZone).getTime(),
  ])
}

/**
 * The closed period `at` falls in, as a stable name, or null when the business answers then.
 * No weekly hours at all means no hours were set: always open, unless the away switch is on.
 */
export function closedPeriodAt(settings: HoursSettings, at: Date): string | null {
  if (settings.awayNow) return `away-${settings.awaySince?.toISOString() ?? 'on'}`
  if (settings.weekly.length === 0 && settings.exceptions.length === 0) return null
  const instant = at.getTime()
  const today = zonedDate(at, settings.timeZone)
  // Walking back day by day, the first interval that ended before `at` is the last closing time.
  for (let back = -1; back <= LOOKBACK_DAYS; back++) {
    const intervals = intervalsOn(settings, addDays(today, -back))
    if (intervals.some(([start, end]) => start <= instant && instant < end)) return null
    if (back < 0) continue
    const ended = intervals.map(([, end]) => end).filter((end) => end <= instant)
    if (ended.length > 0) return `closed-${new Date(Math.max(...ended)).toISOString()}`
  }
  return `closed-before-${addDays(today, -LOOKBACK_DAYS)}`
}

/** The stored settings of a tenant, or the defaults (no hours, no away message). */
async function settingsOf(tx: Tx, tenantId: string): Promise<HoursSettings> {
  const [row] = await tx.select().from(attendanceSettings).where(eq(attendanceSettings.tenantId, tenantId))
  return row ?? DEFAULTS
}

/** The inbox's hours and away message, and whether the business answers right now. */
export async function getHours(ctx: ServiceContext) {
  authorize(ctx.principal, 'attendance.read')
  const settings = await settingsOf(ctx.tx, ctx.principal.tenantId)
  return { ...settings, openNow: closedPeriodAt(settings, ctx.now) === null }
}

export type HoursInput = Omit<HoursSettings, 'awaySince'>

/** Replaces the hours, exceptions and away message; turning the switch on starts a closed period. */
export async function setHours(ctx: ServiceContext, input: HoursInput) {
  authorize(ctx.principal, 'attendance.manage')
  const tenantId = ctx.principal.tenantId
  const s = attendanceSettings
  const values = {
    timeZone: input.timeZone,
    weekly: input.weekly,
    exceptions: input.exceptions,
    awayMessage: input.awayMessage,
    awayNow: input.awayNow,
  }
  // The switch's period begins when it is turned on, not when the form is saved again.
  const awaySince = input.awayNow
    ? sql`coalesce(${s.awaySince}, ${ctx.now.toISOString()}::timestamptz)`
    : null
  await ctx.tx
    .insert(s)
    .values({ tenantId, ...values, awaySince: input.awayNow ? ctx.now : null })
    .onConflictDoUpdate({ target: s.tenantId, set: { ...values, awaySince, updatedAt: sql`now()` } })
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.hours_set',
    tenantId,
    target: { type: 'tenant', id: tenantId },
    data: { intervals: input.weekly.length, exceptions: input.exceptions.length, awayNow: input.awayNow },
  })
  return getHours(ctx)
}

/** A message just stored by the inbound job, with what an away reply to it needs. */
export type FreshInbound = {
  conversationId: string
  sentAt: Date
  waId: string | null
  connectionId: string
  phoneNumberId: string
}

/**
 * Answers the customers who wrote while the business was closed, in the webhook job's
 * transaction: one outbox row per conversation and closed period (its idempotency key), and its
 * line in the thread. Nothing runs unless an away message is set. A contact without a phone
 * number (BSUID only) is skipped: the outbox sends to phone numbers. Answers the outbox ids to
 * send once the transaction commits, and the thread's events.
 */
export async function sendAwayReplies(
  tx: Tx,
  tenantId: string,
  settings: HoursSettings | null,
  fresh: FreshInbound[],
): Promise<{ sends: string[]; events: AttendanceEvent[] }> {
  const text = settings?.awayMessage
  if (!settings || !text) return { sends: [], events: [] }
  const due = new Map<string, { message: FreshInbound; period: string }>()
  for (const message of fresh) {
    const period = closedPeriodAt(settings, message.sentAt)
    if (period === null || !message.waId || due.has(message.conversationId)) continue
    due.set(message.conversationId, { message, period })
  }
  const rows: (typeof attendanceMessages.$inferInsert)[] = []
  for (const [conversationId, { message, period }] of due) {
    const enqueued = await insertOutboundMessage(tx, tenantId, {
      channel: 'whatsapp',
      purpose: 'attendance.away',
      idempotencyKey: `attendance:away:${conversationId}:${period}`,
      to: message.waId ?? '',
      from: { connectionId: message.connectionId, phoneNumberId: message.phoneNumberId },
      // The customer has just written: the window is open.
      window: 'open',
      content: { type: 'text', text },
    })
    if (!enqueued.created) continue
    rows.push({
      id: newId('amg'),
      tenantId,
      conversationId,
      direction: 'out',
      type: 'text',
      body: text,
      details: { automatic: 'away' },
      outboundMessageId: enqueued.id,
      sentAt: new Date(message.sentAt.getTime() + 1),
    })
  }
  if (rows.length === 0) return { sends: [], events: [] }
  await tx.insert(attendanceMessages).values(rows)
  return {
    sends: rows.map((row) => row.outboundMessageId ?? ''),
    events: rows.map((row) => ({
      type: 'message.created',
      conversationId: row.conversationId,
      messageId: row.id,
      direction: 'out',
    })),
  }
}
