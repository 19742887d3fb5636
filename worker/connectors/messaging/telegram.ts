import type { ConnectorError } from '../types.ts'
import {
  type Channel,
  errorText,
  SendError,
  type TelegramContent,
  type TelegramSender,
  telegramContent,
} from './types.ts'

type TelegramAnswer = {
  ok?: boolean
  description?: string
  error_code?: number
  result?: { message_id?: number }
  parameters?: { retry_after?: number }
}

/**
 * Telegram Bot API `POST /bot<token>/sendMessage`. The token is part of the path, so neither the
 * URL nor Telegram's answer is ever logged or stored; only Telegram's error description is. 401
 * is a revoked bot; 400 "chat not found" and 403 "bot was blocked by the user" are the recipient;
 * 429 waits Telegram's own `retry_after`; 5xx and timeouts are retried with backoff.
 */
export const telegramChannel: Channel<TelegramContent, TelegramSender> = {
  name: 'telegram',
  content: telegramContent,
  dedupesByKey: false,
  async send(http, sender, envelope, content) {
    let response: Response
    try {
      // `./`: a relative path whose first segment has a colon would otherwise parse as a URL scheme.
      response = await http.fetch(`./bot${sender.botToken}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          chat_id: envelope.recipient,
          text: content.text,
          disable_web_page_preview: true,
        }),
      })
    } catch (error) {
      throw new SendError(
        'transient',
        'PROVIDER_UNAVAILABLE',
        (error as ConnectorError).message.replace('platform', 'Telegram'),
      )
    }
    const body = (await response.json().catch(() => null)) as TelegramAnswer | null
    if (response.ok && body?.ok && body.result?.message_id !== undefined)
      return { providerMessageId: String(body.result.message_id), costCategory: null }
    const description = errorText(body?.description ?? `HTTP ${response.status}`)
    const platformCode = String(body?.error_code ?? response.status)
    if (response.status === 401)
      throw new SendError('token_invalid', 'TOKEN_INVALID', description, { platformCode })
    if (response.status === 429)
      throw new SendError('throttled', 'THROTTLED', description, {
        platformCode,
        retryAfterSeconds: body?.parameters?.retry_after ?? 0,
      })
    if (response.status >= 500)
      throw new SendError('transient', 'PROVIDER_UNAVAILABLE', description, { platformCode })
    if (response.status === 400 || response.status === 403)
      throw new SendError('permanent', 'RECIPIENT_INVALID', description, { platformCode })
    throw new SendError('permanent', 'REJECTED', description, { platformCode })
  },
}
