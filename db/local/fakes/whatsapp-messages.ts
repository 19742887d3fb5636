import type { Hono } from 'hono'
import { lastInboundAt } from './whatsapp-inbox.ts'

/**
 * The Cloud API's `POST /{phone-number-id}/messages` (text and template) in Meta's documented
 * shapes, plus control endpoints. Tokens are checked by the WhatsApp fake's middleware (bearer).
 *
 * - The customer-service window is open for every recipient unless closed with
 *   `POST /whatsapp/__control/window {to, open}`, or the recipient wrote through the inbox control
 *   (`/whatsapp/__control/inbound`, whatsapp-inbox.ts) more than 24 hours ago: free text to a
 *   closed window answers 131047.
 * - `POST /whatsapp/__control/fail {to, code, times?}` makes the next `times` (default 1) sends to
 *   `to` fail with `code`: 130429 (throughput), 131056 (pair rate), 131026 (undeliverable), 500.
 * - Templates: `hello_world` (en_US, no parameters), `appointment_reminder` (pt_BR, 2) and
 *   `order_update` (pt_BR, 1) exist and are approved; another name answers 132001, another
 *   language 132001, a wrong number of body parameters 132000.
 * - `GET /whatsapp/__control/messages?to=…` lists what was accepted (tests count platform calls),
 *   never the token.
 * Tests use recipients of their own (random numbers), so parallel files never see each other's.
 */

type Sent = {
  wamid: string
  phoneNumberId: string
  to: string
  type: string
  text?: string
  template?: { name: string; language: string; parameters: string[] }
  context?: string
  at: number
}

const sent: Sent[] = []
const closedWindows = new Set<string>()
const failures = new Map<string, { code: number; times: number }>()
let sequence = 0

const TEMPLATES: Record<string, { language: string; parameters: number }> = {
  hello_world: { language: 'en_US', parameters: 0 },
  appointment_reminder: { language: 'pt_BR', parameters: 2 },
  order_update: { language: 'pt_BR', parameters: 1 },
}

const DETAILS: Record<number, [message: string, details: string]> = {
  130429: ['(#130429) Rate limit hit', 'Cloud API message throughput has been reached.'],
  131056: [
    '(#131056) (Business Account, Consumer Account) pair rate limit hit',
    'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.',
  ],
  131047: [
    '(#131047) Re-engagement message',
    'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  ],
  131026: ['(#131026) Message undeliverable', 'Unable to deliver message.'],
  132000: ['(#132000) Number of parameters does not match the expected number of params', ''],
  132001: ['(#132001) Template name does not exist in the translation', ''],
  100: ['(#100) Invalid parameter', ''],
}

function cloudError(code: number, details?: string) {
  const [message, defaultDetails] = DETAILS[code] ?? [`(#${code}) Error`, '']
  return {
    error: {
      message,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details: details ?? defaultDetails },
      fbtrace_id: `Fake${(++sequence).toString(36)}`,
    },
  }
}

const wamid = () =>
  `wamid.${btoa(`fake-${Date.now()}-${++sequence}-${crypto.randomUUID()}`).replaceAll('=', '')}`

type MessageBody = {
  messaging_product?: string
  to?: string
  type?: string
  text?: { body?: string }
  context?: { message_id?: string }
  template?: {
    name?: string
    language?: { code?: string }
    components?: { type?: string; parameters?: { type?: string; text?: string }[] }[]
  }
}

export function registerFakeWhatsappMessages(app: Hono) {
  app.post('/__control/window', async (c) => {
    const { to, open } = (await c.req.json()) as { to: string; open: boolean }
    if (open) closedWindows.delete(to)
    else closedWindows.add(to)
    return c.json({ ok: true })
  })

  app.post('/__control/fail', async (c) => {
    const { to, code, times } = (await c.req.json()) as { to: string; code: number; times?: number }
    failures.set(to, { code, times: times ?? 1 })
    return c.json({ ok: true })
  })

  app.get('/__control/messages', (c) => {
    const to = c.req.query('to')
    return c.json({ messages: sent.filter((m) => !to || m.to === to) })
  })

  app.post('/:version/:phone/messages', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as MessageBody
    const to = body.to ?? ''
    if (body.messaging_product !== 'whatsapp' || !/^\d{8,15}$/.test(to))
      return c.json(cloudError(100, 'messaging_product must be whatsapp and to a phone number'), 400)
    const failure = failures.get(to)
    if (failure) {
      if (--failure.times <= 0) failures.delete(to)
      return c.json(
        cloudError(failure.code),
        failure.code >= 500 && failure.code < 600 ? (failure.code as 500) : 400,
      )
    }
    const message: Sent = {
      wamid: wamid(),
      phoneNumberId: c.req.param('phone'),
      to,
      type: body.type ?? '',
      at: Date.now(),
      ...(body.context?.message_id ? { context: body.context.message_id } : {}),
    }
    if (body.type === 'text') {
      if (!body.text?.body) return c.json(cloudError(100, 'text.body is required'), 400)
      const wrote = lastInboundAt.get(to)
      if (closedWindows.has(to) || (wrote !== undefined && Date.now() - wrote > 24 * 3600_000))
        return c.json(cloudError(131047), 400)
      message.text = body.text.body
    } else if (body.type === 'template') {
      const name = body.template?.name ?? ''
      const language = body.template?.language?.code ?? ''
      const template = TEMPLATES[name]
      if (!template || template.language !== language)
        return c.json(cloudError(132001, `template name (${name}) does not exist in ${language}`), 400)
      const parameters = (body.template?.components ?? [])
        .filter((component) => component.type === 'body')
        .flatMap((component) => component.parameters ?? [])
        .map((parameter) => parameter.text ?? '')
      if (parameters.length !== template.parameters)
        return c.json(
          cloudError(
            132000,
            `body: number of localizable_params (${parameters.length}) does not match the expected number of params (${template.parameters})`,
          ),
          400,
        )
      message.template = { name, language, parameters }
    } else {
      return c.json(cloudError(100, `type ${body.type} is not supported by this fake`), 400)
    }
    sent.push(message)
    return c.json({
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id: message.wamid }],
    })
  })
}
