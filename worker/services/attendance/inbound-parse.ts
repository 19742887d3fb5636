import { z } from 'zod'
import { ATTENDANCE_MESSAGE_TYPES, type AttendanceMessageType } from '../../../db/schema/index.ts'

/**
 * Inbound WhatsApp messages and template status changes in Meta's webhook shapes (Cloud API
 * `messages` and `message_template_status_update` fields), for the attendance module. Parsing
 * never throws: what cannot be read is left to be kept raw by the caller.
 */

/** One inbound message, with who sent it and to which business number. */
export type WhatsappInbound = {
  phoneNumberId: string
  wamid: string
  /** The business-scoped user id (`user_id`), present in message webhooks since April 2026. */
  bsuid: string | null
  /** The sender's phone digits (`from` / `wa_id`); absent for a user known only by username. */
  waId: string | null
  profileName: string | null
  type: AttendanceMessageType
  /** The text, a media caption, a button's text: what a person reads. */
  body: string | null
  replyTo: string | null
  /** Media id and MIME type, a location, a reaction: what the type carries besides text. */
  details: Record<string, unknown> | null
  /** Meta's timestamp, ISO. */
  at: string
}

export type TemplateStatusUpdate = {
  wabaId: string
  name: string
  language: string
  status: string
  reason: string | null
}

const unixSeconds = z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()])
const short = z.string().min(1).max(256)

const contact = z.object({
  wa_id: short.optional(),
  user_id: short.optional(),
  profile: z.object({ name: z.string().max(256).optional() }).optional(),
})

const media = z.object({
  id: short.optional(),
  mime_type: z.string().max(128).optional(),
  caption: z.string().max(4096).optional(),
  filename: z.string().max(512).optional(),
})

const message = z.object({
  id: short,
  from: short.optional(),
  from_user_id: short.optional(),
  timestamp: unixSeconds,
  type: z.string().max(64),
  text: z.object({ body: z.string().max(65536) }).optional(),
  context: z.object({ id: short.optional() }).optional(),
  image: media.optional(),
  audio: media.optional(),
  video: media.optional(),
  document: media.optional(),
  sticker: media.optional(),
  button: z.object({ text: z.string().max(1024).optional() }).optional(),
  reaction: z.object({ message_id: short.optional(), emoji: z.string().max(32).optional() }).optional(),
  location: z
    .object({ latitude: z.number(), longitude: z.number(), name: z.string().max(512).optional() })
    .optional(),
})

const messagesValue = z.object({
  metadata: z.object({ phone_number_id: short }),
  contacts: z.array(z.unknown()).max(1000).optional(),
  messages: z.array(z.unknown()).min(1).max(1000),
})

const templateValue = z.object({
  event: z.string().min(1).max(64),
  message_template_name: z.string().min(1).max(512),
  message_template_language: z.string().min(1).max(16),
  reason: z.string().max(500).nullable().optional(),
})

const KNOWN_TYPES: ReadonlySet<string> = new Set(ATTENDANCE_MESSAGE_TYPES)
const MEDIA = ['image', 'audio', 'video', 'document', 'sticker'] as const
const EARLIEST = Date.UTC(2000, 0, 1) / 1000
const LATEST = Date.UTC(2100, 0, 1) / 1000

/**
 * The inbound messages of one `messages` change, or null when the change has none (a status
 * change) or is not readable. `invalid` says some message was left out (the change is kept raw).
 */
export function parseInboundMessages(
  value: unknown,
): { messages: WhatsappInbound[]; invalid: boolean } | null {
  const parsed = messagesValue.safeParse(value)
  if (!parsed.success) return null
  const contacts = (parsed.data.contacts ?? []).flatMap((item) => {
    const c = contact.safeParse(item)
    return c.success ? [c.data] : []
  })
  const messages: WhatsappInbound[] = []
  let invalid = false
  for (const item of parsed.data.messages) {
    const m = message.safeParse(item)
    const seconds = m.success ? Number(m.data.timestamp) : Number.NaN
    if (!m.success || !(seconds >= EARLIEST && seconds < LATEST)) {
      invalid = true
      continue
    }
    const data = m.data
    // The sender's contact entry: by phone when there is one, else the change's only contact.
    const sender =
      contacts.find((c) => data.from !== undefined && c.wa_id === data.from) ??
      (contacts.length === 1 ? contacts[0] : undefined)
    const bsuid = data.from_user_id ?? sender?.user_id ?? null
    const waId = data.from ?? sender?.wa_id ?? null
    if (!bsuid && !waId) {
      invalid = true
      continue
    }
    const type = (KNOWN_TYPES.has(data.type) ? data.type : 'unsupported') as AttendanceMessageType
    const mediaOf = MEDIA.find((kind) => kind === data.type)
    const attached = mediaOf ? data[mediaOf] : undefined
    messages.push({
      phoneNumberId: parsed.data.metadata.phone_number_id,
      wamid: data.id,
      bsuid,
      waId: waId && /^\d{6,20}$/.test(waId) ? waId : null,
      profileName: sender?.profile?.name?.trim() || null,
      type,
      body: data.text?.body ?? attached?.caption ?? data.button?.text ?? data.reaction?.emoji ?? null,
      replyTo: data.context?.id ?? data.reaction?.message_id ?? null,
      details: attached
        ? {
            mediaId: attached.id ?? null,
            mimeType: attached.mime_type ?? null,
            filename: attached.filename ?? null,
          }
        : data.location
          ? { location: data.location }
          : type === 'unsupported'
            ? { originalType: data.type }
            : null,
      at: new Date(seconds * 1000).toISOString(),
    })
  }
  return { messages, invalid }
}

/** A `message_template_status_update` change (APPROVED, REJECTED, PAUSED, DISABLED…), or null. */
export function parseTemplateStatus(wabaId: string, value: unknown): TemplateStatusUpdate | null {
  const parsed = templateValue.safeParse(value)
  if (!parsed.success) return null
  return {
    wabaId,
    name: parsed.data.message_template_name,
    language: parsed.data.message_template_language,
    status: parsed.data.event.toUpperCase(),
    reason: parsed.data.reason ?? null,
  }
}
