import type { ConnectorError } from '../types.ts'
import {
  type Channel,
  type EmailContent,
  type EmailSender,
  emailContent,
  errorText,
  SendError,
} from './types.ts'

/** Resend's error body: `{ statusCode, name, message }` (https://resend.com/docs/api-reference/errors). */
type ResendError = { statusCode?: number; name?: string; message?: string }

const QUOTA_NAMES = new Set(['daily_quota_exceeded', 'monthly_quota_exceeded'])
const KEY_NAMES = new Set(['missing_api_key', 'invalid_api_key', 'restricted_api_key'])

/** `Retry-After` (seconds) when Resend sends it, else 0 (the consumer's backoff decides). */
const retryAfter = (response: Response) => {
  const value = Number(response.headers.get('retry-after'))
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0
}

/**
 * E-mail through Resend's HTTP API (`POST /emails`), the platform's own API key as a bearer. The
 * outbox row's id travels as `Idempotency-Key`: Resend answers a repeat of the same key within 24
 * hours with the first answer and sends nothing, so an e-mail whose send never recorded its
 * outcome can be tried again safely (`dedupesByKey`). Errors by Resend's `name`: a bad key is a
 * dead credential; rate limits wait `Retry-After`, exhausted quotas an hour; a concurrent request
 * with the same key is retried; 5xx and timeouts are retried with backoff; the rest is final.
 */
export const emailChannel: Channel<EmailContent, EmailSender> = {
  name: 'email',
  content: emailContent,
  dedupesByKey: true,
  async send(http, sender, envelope, content) {
    let response: Response
    try {
      response = await http.fetch('emails', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sender.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': envelope.messageId,
        },
        body: JSON.stringify({
          from: sender.from,
          to: [envelope.recipient],
          subject: content.subject,
          text: content.text,
          ...(content.html ? { html: content.html } : {}),
          ...(content.replyTo ? { reply_to: content.replyTo } : {}),
          ...(content.headers ? { headers: content.headers } : {}),
          // Resend's shape: https://resend.com/docs/api-reference/emails/send-email (attachments).
          ...(envelope.attachments?.length
            ? {
                attachments: envelope.attachments.map((file) => ({
                  filename: file.filename,
                  content: file.base64,
                  content_type: file.contentType,
                })),
              }
            : {}),
        }),
      })
    } catch (error) {
      throw new SendError(
        'transient',
        'PROVIDER_UNAVAILABLE',
        (error as ConnectorError).message.replace('platform', 'the e-mail provider'),
      )
    }
    if (response.ok) {
      const body = (await response.json().catch(() => ({}))) as { id?: string }
      if (!body.id)
        throw new SendError('permanent', 'OUTCOME_UNKNOWN', 'Resend accepted the e-mail without an id')
      return { providerMessageId: body.id, costCategory: null }
    }
    const body = (await response.json().catch(() => ({}))) as ResendError
    const name = body.name ?? ''
    const platformCode = name || String(response.status)
    const message = errorText(body.message ?? `HTTP ${response.status}`)
    if (KEY_NAMES.has(name) || response.status === 401)
      throw new SendError('token_invalid', 'TOKEN_INVALID', message, { platformCode })
    if (QUOTA_NAMES.has(name))
      throw new SendError('throttled', 'THROTTLED', message, { platformCode, retryAfterSeconds: 3600 })
    if (response.status === 429)
      throw new SendError('throttled', 'THROTTLED', message, {
        platformCode,
        retryAfterSeconds: retryAfter(response),
      })
    if (name === 'concurrent_idempotent_requests' || response.status >= 500)
      throw new SendError('transient', 'PROVIDER_UNAVAILABLE', message, { platformCode })
    const recipient = /\bto\b|recipient/i.test(message)
    throw new SendError('permanent', recipient ? 'RECIPIENT_INVALID' : 'REJECTED', message, { platformCode })
  },
}
