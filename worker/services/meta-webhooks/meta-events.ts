import { z } from 'zod'
import type { MetaWebhookPlatform } from '../../../db/schema/index.ts'
import {
  parseInboundMessages,
  parseTemplateStatus,
  type TemplateStatusUpdate,
  type WhatsappInbound,
} from '../attendance/inbound-parse.ts'

/**
 * Splits one Meta delivery (`{object, entry: [{id, time, changes: [{field, value}]}]}`) into what
 * is counted and what is kept raw. Counted: WhatsApp message statuses (`field: messages`,
 * `value.statuses[]`) and Instagram `comments` and `mentions`. Inbound WhatsApp messages
 * (`value.messages[]`) and template status changes go to the attendance inbox, which keeps raw the
 * messages no number of the tenant takes. Everything else (story insights, Messenger-style
 * `messaging` items, objects we do not know) is kept raw, one unit per change, for a bounded time.
 */

/** One event to count once: its identity (`platform`, `objectId`, `event`) is the dedupe key. */
export type CountedEvent = {
  platform: MetaWebhookPlatform
  /** The entry id: the WABA or the Instagram account, a connection's external_account_id. */
  accountId: string
  /** The WhatsApp business number (`value.metadata.phone_number_id`); empty for Instagram. */
  phoneNumberId: string
  /** wamid, comment id or media id. */
  objectId: string
  /** The status (`sent`, …) or `comment` / `mention`. */
  event: string
  metric: string
  /** UTC day of the event, `YYYY-MM-DD`. */
  day: string
  /** WhatsApp pricing category when Meta reported one. */
  category: string | null
}

export type RawEvent = { object: string | null; field: string | null; payload: unknown }

/**
 * A WhatsApp status of a message (its wamid), for the outbox: it moves a message Integra sent
 * forward (worker/services/messaging/statuses.ts). Also counted like any other status.
 */
export type WhatsappStatusUpdate = {
  wamid: string
  status: (typeof WHATSAPP_STATUSES)[number]
  /** WhatsApp pricing category when Meta reported one. */
  category: string | null
  /** A `failed` status's first error (Meta's code and title). */
  error: { code: number; message: string } | null
}

/**
 * An inbound WhatsApp message for the attendance module, with the raw unit of its change: kept raw
 * only when no attendance number of the tenant takes it (meta-record.ts).
 */
export type InboundUnit = { message: WhatsappInbound; unit: RawEvent }

export type MetaDelivery = {
  counted: CountedEvent[]
  raw: RawEvent[]
  statuses: WhatsappStatusUpdate[]
  inbound: InboundUnit[]
  templates: TemplateStatusUpdate[]
}

export const WHATSAPP_STATUSES = ['sent', 'delivered', 'read', 'failed', 'played'] as const

const unixSeconds = z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()])

/** Meta's status shape; `recipient_id` (a phone number) is deliberately not read or stored. */
const whatsappStatus = z.object({
  id: z.string().min(1).max(256),
  status: z.enum(WHATSAPP_STATUSES),
  timestamp: unixSeconds,
  pricing: z
    .object({ category: z.string().min(1).max(64).optional(), pricing_model: z.string().optional() })
    .optional(),
  /** A failed status says why (`[{ code: 131047, title, message, error_data: { details } }]`). */
  errors: z
    .array(
      z.object({
        code: z.number().int(),
        title: z.string().max(500).optional(),
        message: z.string().max(500).optional(),
        error_data: z.object({ details: z.string().max(500).optional() }).optional(),
      }),
    )
    .optional(),
})

const statusesValue = z.object({
  metadata: z.object({ phone_number_id: z.string().min(1).max(64) }),
  statuses: z.array(z.unknown()).min(1),
})

const commentValue = z.object({ id: z.string().min(1).max(128) })
const mentionValue = z.union([
  z.object({ comment_id: z.string().min(1).max(128) }),
  z.object({ media_id: z.string().min(1).max(128) }),
])

const objectRecord = z.record(z.string(), z.unknown())

const EARLIEST = Date.UTC(2000, 0, 1)
const LATEST = Date.UTC(2100, 0, 1)

/**
 * Seconds (Meta's usual unit) or milliseconds (some Graph objects), as a UTC day; null outside
 * 2000–2099, which no real event has and which would otherwise fail the whole delivery in SQL.
 */
function dayOf(time: unknown): string | null {
  if (typeof time !== 'number' && !(typeof time === 'string' && /^\d{1,13}$/.test(time))) return null
  const value = Number(time)
  const ms = value > 1e12 ? value : value * 1000
  if (!Number.isFinite(ms) || ms < EARLIEST || ms >= LATEST) return null
  return new Date(ms).toISOString().slice(0, 10)
}

type Entry = { accountId: string; day: string }

function whatsappStatuses(
  entry: Entry,
  value: unknown,
): { counted: CountedEvent[]; updates: WhatsappStatusUpdate[]; invalid: boolean } | null {
  const parsed = statusesValue.safeParse(value)
  if (!parsed.success) return null
  const counted: CountedEvent[] = []
  const updates: WhatsappStatusUpdate[] = []
  let invalid = false
  for (const item of parsed.data.statuses) {
    const status = whatsappStatus.safeParse(item)
    const day = status.success ? dayOf(status.data.timestamp) : null
    if (!status.success || !day) {
      invalid = true
      continue
    }
    const category = status.data.pricing?.category?.toLowerCase() ?? null
    const error = status.data.errors?.[0]
    updates.push({
      wamid: status.data.id,
      status: status.data.status,
      category: category === 'all' ? null : category,
      error: error
        ? {
            code: error.code,
            message: [error.title ?? error.message ?? `error ${error.code}`, error.error_data?.details]
              .filter(Boolean)
              .join(': '),
          }
        : null,
    })
    counted.push({
      platform: 'whatsapp',
      accountId: entry.accountId,
      phoneNumberId: parsed.data.metadata.phone_number_id,
      objectId: status.data.id,
      event: status.data.status,
      metric: status.data.status,
      day,
      // 'all' is the total row's name; a category of that name would be counted twice.
      category: category === 'all' ? null : category,
    })
  }
  return { counted, updates, invalid }
}

function instagramEvent(entry: Entry, field: unknown, value: unknown): CountedEvent | null {
  const base = {
    platform: 'instagram' as const,
    accountId: entry.accountId,
    phoneNumberId: '',
    day: entry.day,
  }
  if (field === 'comments') {
    const comment = commentValue.safeParse(value)
    return comment.success
      ? { ...base, objectId: comment.data.id, event: 'comment', metric: 'comments', category: null }
      : null
  }
  if (field === 'mentions') {
    const mention = mentionValue.safeParse(value)
    if (!mention.success) return null
    // A mention in a comment names the comment; one in a caption only the media.
    const objectId = 'comment_id' in mention.data ? mention.data.comment_id : mention.data.media_id
    return { ...base, objectId, event: 'mention', metric: 'mentions', category: null }
  }
  return null
}

/** Parses a verified delivery; never throws (what cannot be read is kept raw). */
export function parseMetaDelivery(body: string, receivedAt: Date): MetaDelivery {
  const counted: CountedEvent[] = []
  const raw: RawEvent[] = []
  const updates: WhatsappStatusUpdate[] = []
  const inbound: InboundUnit[] = []
  const templates: TemplateStatusUpdate[] = []
  const empty = { counted, statuses: updates, inbound, templates }
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return { ...empty, raw: [{ object: null, field: null, payload: { unparsed: body } }] }
  }
  const root = objectRecord.safeParse(json)
  const entries = root.success ? root.data.entry : undefined
  if (!root.success || !Array.isArray(entries)) {
    const object = root.success && typeof root.data.object === 'string' ? root.data.object : null
    return { ...empty, raw: [{ object, field: null, payload: json }] }
  }
  const object = typeof root.data.object === 'string' ? root.data.object : ''
  for (const item of entries) {
    const parsedEntry = objectRecord.safeParse(item)
    if (!parsedEntry.success) {
      raw.push({ object, field: null, payload: item })
      continue
    }
    const { id, time, changes, ...rest } = parsedEntry.data
    const entry: Entry = {
      accountId: typeof id === 'string' || typeof id === 'number' ? String(id) : '',
      day: dayOf(time) ?? receivedAt.toISOString().slice(0, 10),
    }
    const unitOf = (field: string | null, unit: Record<string, unknown>): RawEvent => ({
      object,
      field,
      payload: { entry_id: id ?? null, time: time ?? null, ...unit },
    })
    const keep = (field: string | null, unit: Record<string, unknown>) => raw.push(unitOf(field, unit))

    for (const change of Array.isArray(changes) ? changes : changes === undefined ? [] : [changes]) {
      const parsedChange = objectRecord.safeParse(change)
      const field = parsedChange.success ? parsedChange.data.field : undefined
      const value = parsedChange.success ? parsedChange.data.value : undefined
      const fieldName = typeof field === 'string' ? field : null
      if (entry.accountId && object === 'whatsapp_business_account' && field === 'messages') {
        const statuses = whatsappStatuses(entry, value)
        if (statuses) {
          counted.push(...statuses.counted)
          updates.push(...statuses.updates)
          // A status we cannot read (a new status name, say) keeps its whole change for later.
          if (statuses.invalid) keep(fieldName, { change })
          continue
        }
        // Messages customers wrote: the attendance inbox's (kept raw if no number of ours takes them).
        const messages = parseInboundMessages(value)
        if (messages && !messages.invalid) {
          const unit = unitOf(fieldName, { change })
          for (const message of messages.messages) inbound.push({ message, unit })
          continue
        }
      }
      if (
        entry.accountId &&
        object === 'whatsapp_business_account' &&
        field === 'message_template_status_update'
      ) {
        const template = parseTemplateStatus(entry.accountId, value)
        if (template) {
          templates.push(template)
          continue
        }
      }
      if (entry.accountId && object === 'instagram') {
        const event = instagramEvent(entry, field, value)
        if (event) {
          counted.push(event)
          continue
        }
      }
      keep(fieldName, { change })
    }
    // Other arrays of an entry (`messaging`, `standby`): each item is one raw unit.
    for (const [key, value] of Object.entries(rest)) {
      for (const unit of Array.isArray(value) ? value : [value]) keep(key, { [key]: unit })
    }
  }
  return { counted, raw, statuses: updates, inbound, templates }
}
