import { GRAPH_VERSION, metaRetryAfterSeconds } from '../meta.ts'
import type { ConnectorError } from '../types.ts'
import {
  type Channel,
  errorText,
  SendError,
  type WhatsappContent,
  type WhatsappSender,
  whatsappContent,
} from './types.ts'

type GraphError = {
  error?: {
    message?: string
    code?: number
    error_subcode?: number
    error_data?: { details?: string }
  }
}

const TEMPLATE_CODES = new Set([132000, 132001, 132005, 132007, 132012, 132015, 132016, 132068, 132069])
const RECIPIENT_CODES = new Set([131021, 131026, 131030])
const APP_THROTTLE_CODES = new Set([4, 17, 32, 613])
const OUTAGE_CODES = new Set([1, 2, 131000, 131016])

/**
 * Classifies a Cloud API error (its `error.code`, else the HTTP status), as the collection
 * connectors do for Graph: 131047 (outside the customer-service window) is final and says to send
 * a template; 130429 (the number's throughput) and 131056 (too many to one user) are retried after
 * a short wait; a spam-rate limit (131048) after an hour; 5xx and Meta's "try again" codes with
 * backoff; 190 and 401 are a dead token. Also how a `failed` status webhook's error is recorded.
 */
export function whatsappSendError(code: number, httpStatus: number, message: string, response?: Response) {
  const platformCode = String(code || httpStatus)
  const text = errorText(message)
  if (code === 131047)
    return new SendError(
      'permanent',
      'WINDOW_CLOSED',
      `Outside the 24-hour customer-service window: send an approved template instead (${text}).`,
      { platformCode },
    )
  if (code === 190 || httpStatus === 401)
    return new SendError('token_invalid', 'TOKEN_INVALID', `WhatsApp rejected the token (${text})`, {
      platformCode,
    })
  if (code === 130429)
    return new SendError('throttled', 'THROTTLED', text, { platformCode, retryAfterSeconds: 2 })
  if (code === 131056)
    return new SendError('throttled', 'THROTTLED', text, { platformCode, retryAfterSeconds: 10 })
  if (code === 131048)
    return new SendError('throttled', 'THROTTLED', text, { platformCode, retryAfterSeconds: 3600 })
  if (APP_THROTTLE_CODES.has(code) || (code >= 80001 && code <= 80014) || httpStatus === 429)
    return new SendError('throttled', 'THROTTLED', text, {
      platformCode,
      retryAfterSeconds: response ? metaRetryAfterSeconds(response) : 300,
    })
  if (TEMPLATE_CODES.has(code)) return new SendError('permanent', 'TEMPLATE_INVALID', text, { platformCode })
  if (RECIPIENT_CODES.has(code))
    return new SendError('permanent', 'RECIPIENT_INVALID', text, { platformCode })
  if (OUTAGE_CODES.has(code) || httpStatus >= 500)
    return new SendError('transient', 'PROVIDER_UNAVAILABLE', text, { platformCode })
  return new SendError('permanent', 'REJECTED', text, { platformCode })
}

async function errorOf(response: Response): Promise<SendError> {
  const body = (await response.json().catch(() => ({}))) as GraphError
  const details = body.error?.error_data?.details
  const message = [body.error?.message ?? `HTTP ${response.status}`, details].filter(Boolean).join(': ')
  return whatsappSendError(body.error?.code ?? 0, response.status, message, response)
}

/** The Cloud API body of one message (`POST /{phone-number-id}/messages`). */
export function whatsappBody(to: string, content: WhatsappContent): Record<string, unknown> {
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to }
  if (content.type === 'text') {
    return {
      ...base,
      type: 'text',
      text: { body: content.text, preview_url: content.previewUrl ?? false },
      ...(content.replyTo ? { context: { message_id: content.replyTo } } : {}),
    }
  }
  const parameters = content.parameters.map((parameter) =>
    typeof parameter === 'string'
      ? { type: 'text', text: parameter }
      : { type: 'text', parameter_name: parameter.name, text: parameter.text },
  )
  return {
    ...base,
    type: 'template',
    template: {
      name: content.name,
      language: { policy: 'deterministic', code: content.language },
      ...(parameters.length ? { components: [{ type: 'body', parameters }] } : {}),
    },
  }
}

/**
 * WhatsApp Business Cloud API: text or template from one business number, with the tenant's
 * WhatsApp connection token as a bearer (never in the URL, so never in a log). The answer carries
 * the message's wamid, the key of its status webhooks; pricing arrives with those.
 */
export const whatsappChannel: Channel<WhatsappContent, WhatsappSender> = {
  name: 'whatsapp',
  content: whatsappContent,
  dedupesByKey: false,
  async send(http, sender, envelope, content) {
    let response: Response
    try {
      response = await http.fetch(`${GRAPH_VERSION}/${encodeURIComponent(sender.phoneNumberId)}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sender.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(whatsappBody(envelope.recipient, content)),
      })
    } catch (error) {
      throw new SendError('transient', 'PROVIDER_UNAVAILABLE', (error as ConnectorError).message)
    }
    if (!response.ok) throw await errorOf(response)
    const answer = (await response.json().catch(() => ({}))) as { messages?: { id?: string }[] }
    const id = answer.messages?.[0]?.id
    // Accepted without an id: it may have gone; the wamid is what ties its statuses to it.
    if (!id)
      throw new SendError('permanent', 'OUTCOME_UNKNOWN', 'WhatsApp accepted the message without an id')
    return { providerMessageId: id, costCategory: null }
  },
}
