import { z } from 'zod'
import type { MessageChannel } from '../../../db/schema/index.ts'
import { ConnectorError, type FailureKind, type PlatformHttp } from '../types.ts'

/**
 * Why a message failed, as the outbox records it (`error_code`) and the API shows it: stable
 * codes, the same whatever the channel; the provider's own code is kept beside it.
 */
export const SEND_ERROR_CODES = [
  /** WhatsApp: outside the 24-hour customer-service window only an approved template may go. */
  'WINDOW_CLOSED',
  /** The template does not exist, is not approved, or its parameters do not match it. */
  'TEMPLATE_INVALID',
  /** The number, address or chat cannot receive it (unknown, blocked the bot, undeliverable). */
  'RECIPIENT_INVALID',
  /** Rate limited (per number, per recipient, per account) more often than the retries allow. */
  'THROTTLED',
  /** The provider was down or did not answer in time, through every retry. */
  'PROVIDER_UNAVAILABLE',
  /** The provider refused the credential: the connection needs reconnecting, the key replacing. */
  'TOKEN_INVALID',
  /** Nothing to send it with: no such connection, no bot token, no e-mail provider configured. */
  'NOT_CONFIGURED',
  /** The provider refused the message for another reason (its code and message are kept). */
  'REJECTED',
  /** The send started and never recorded an outcome: it may or may not have gone (not resent). */
  'OUTCOME_UNKNOWN',
] as const
export type SendErrorCode = (typeof SEND_ERROR_CODES)[number]

/**
 * A classified failure to send: `kind` decides what happens (throttled and transient are retried
 * with backoff, token_invalid and permanent fail the message at once), `code` is what is recorded.
 */
export class SendError extends ConnectorError {
  readonly code: SendErrorCode
  constructor(
    kind: FailureKind,
    code: SendErrorCode,
    message: string,
    options: { retryAfterSeconds?: number; platformCode?: string } = {},
  ) {
    super(kind, message, options)
    this.name = 'SendError'
    this.code = code
  }
}

/** Bodies are capped well under every provider's limit (WhatsApp text: 4096, Telegram: 4096). */
const body = z.string().trim().min(1).max(4096)

/** One positional (`"Maria"`) or named (`{ name: "first_name", text: "Maria" }`) template parameter. */
export const templateParameter = z.union([
  z.string().min(1).max(1024),
  z.object({ name: z.string().regex(/^[a-z0-9_]{1,64}$/), text: z.string().min(1).max(1024) }),
])

/** What a WhatsApp message says: free text (inside the window) or an approved template. */
export const whatsappContent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    text: body,
    previewUrl: z.boolean().optional(),
    /** The wamid this answers (shown as a reply). */
    replyTo: z.string().min(1).max(256).optional(),
  }),
  z.object({
    type: z.literal('template'),
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'a template name: lower case, digits and _'),
    /** Meta's language code, e.g. `pt_BR`, `en_US`. */
    language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a language code like pt_BR'),
    parameters: z.array(templateParameter).max(100).default([]),
  }),
])
export type WhatsappContent = z.infer<typeof whatsappContent>

/**
 * Attachments travel inside the e-mail, so their total is kept where every inbox accepts it
 * (5 MiB, also Cloudflare Email Service's limit per message); a larger file is sent as a link.
 */
export const MAX_EMAIL_ATTACHMENT_BYTES = 5 * 1024 * 1024

/** A stored file (FILES bucket) to attach: read by the send job, never copied into the row. */
export const emailAttachment = z.object({
  key: z.string().regex(/^tenants\/[A-Za-z0-9_]+\/[A-Za-z0-9._/-]{1,300}$/, 'a stored file of the tenant'),
  /** The name the recipient sees; no path separators or control characters. */
  filename: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine(
      (name) => !/[/\\]/.test(name) && ![...name].some((char) => char < ' '),
      'a file name without slashes',
    ),
  contentType: z
    .string()
    .max(120)
    .regex(/^[a-z]+\/[a-z0-9.+-]+$/, 'a media type like application/pdf'),
  size: z.number().int().positive().max(MAX_EMAIL_ATTACHMENT_BYTES),
})
export type EmailAttachment = z.infer<typeof emailAttachment>

export const emailContent = z.object({
  subject: z.string().trim().min(1).max(998),
  text: z.string().min(1).max(200_000),
  html: z.string().min(1).max(500_000).optional(),
  replyTo: z.email().max(254).optional(),
  /**
   * Extra headers, as Resend's `headers` object: the scheduled reports' RFC 8058 one-click
   * unsubscribe (`List-Unsubscribe`, `List-Unsubscribe-Post`). One line each: no CR or LF.
   */
  headers: z
    .record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,60}$/, 'a header name'),
      z
        .string()
        .max(2000)
        .refine((value) => !/[\r\n]/.test(value), 'one line'),
    )
    .optional(),
  attachments: z
    .array(emailAttachment)
    .min(1)
    .max(10)
    .refine(
      (files) => files.reduce((total, file) => total + file.size, 0) <= MAX_EMAIL_ATTACHMENT_BYTES,
      'attachments over 5 MiB in total: send a link instead',
    )
    .optional(),
})
export type EmailContent = z.infer<typeof emailContent>

export const telegramContent = z.object({ text: body })
export type TelegramContent = z.infer<typeof telegramContent>

/** What each channel's `send` receives besides the content. */
export type Envelope = {
  /** The outbox row's id: providers that dedupe on a key of ours get it (Resend's Idempotency-Key). */
  messageId: string
  recipient: string
  /** The content's attachments read from storage, in its order (e-mail only). */
  attachments?: ReadyAttachment[]
}

/** An attachment's bytes as the provider takes them. */
export type ReadyAttachment = { filename: string; contentType: string; base64: string }

/** What the provider said when it accepted the message. */
export type Accepted = { providerMessageId: string; costCategory: string | null }

/** The credentials and sender of each channel, resolved by the outbox for one message. */
export type WhatsappSender = { accessToken: string; phoneNumberId: string }
export type EmailSender = { apiKey: string; from: string }
export type TelegramSender = { botToken: string }

/**
 * One way out. A channel knows its provider's documented HTTP shapes and classifies its answers
 * into SendError; it knows nothing of tenants, transactions or the outbox.
 */
export interface Channel<Content, Sender> {
  name: MessageChannel
  content: z.ZodType<Content>
  /**
   * The provider dedupes on our key for long enough (Resend: 24 h): a send whose outcome was
   * never recorded may be sent again safely. Without it, such a send is failed OUTCOME_UNKNOWN.
   */
  dedupesByKey: boolean
  send(http: PlatformHttp, sender: Sender, envelope: Envelope, content: Content): Promise<Accepted>
}

/** Error bodies and descriptions are cut to this before they are stored. */
export const MAX_ERROR_MESSAGE = 500
export const errorText = (text: string) => text.slice(0, MAX_ERROR_MESSAGE)
