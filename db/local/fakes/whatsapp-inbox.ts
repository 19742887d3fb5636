import type { Hono } from 'hono'
import { signedMetaRequest } from './meta-webhook.ts'

/**
 * The inbox side of the fake WhatsApp Cloud API, in Meta's documented shapes:
 *
 * - `GET /{version}/{waba-id}/message_templates?limit=&after=`: the WABA's templates, paged with
 *   `paging.cursors.after` and `paging.next` (bearer token checked by the WhatsApp fake's middleware).
 * - `POST /whatsapp/__control/webhook {phone_number_id, waba_id, url, app_secret}`: where the fake
 *   delivers what its customers write to that number (the tenant's Meta webhook and its secret).
 * - `POST /whatsapp/__control/inbound {phone_number_id, from?, user_id?, name?, text, timestamp?}`:
 *   a fake customer writes to the number; the fake POSTs a correctly signed webhook
 *   (`X-Hub-Signature-256`, HMAC-SHA256 of the raw body with the app secret) to the registered URL,
 *   exactly as Meta would, and remembers the customer's last message for the 24-hour window
 *   (`lastInboundAt`, read by the send endpoint: free text more than 24 h after it answers 131047).
 */

/** The templates every fake WABA has: three approved (the send endpoint accepts them) and one pending. */
export const FAKE_TEMPLATES = [
  { name: 'hello_world', language: 'en_US', category: 'UTILITY', status: 'APPROVED', body: 'Hello World' },
  {
    name: 'appointment_reminder',
    language: 'pt_BR',
    category: 'UTILITY',
    status: 'APPROVED',
    body: 'Olá {{1}}, lembrete do seu horário às {{2}}.',
  },
  {
    name: 'order_update',
    language: 'pt_BR',
    category: 'UTILITY',
    status: 'APPROVED',
    body: 'Seu pedido {{1}} foi atualizado.',
  },
  {
    name: 'promo_dezembro',
    language: 'pt_BR',
    category: 'MARKETING',
    status: 'PENDING',
    body: 'Promoção de dezembro: {{1}}% de desconto.',
  },
] as const

const webhooks = new Map<string, { url: string; appSecret: string; wabaId: string }>()
/** Customer's number → when they last wrote (ms): the customer-service window of the send endpoint. */
export const lastInboundAt = new Map<string, number>()
let sequence = 0

export type FakeInbound = {
  phoneNumberId: string
  wabaId: string
  /** The customer's phone digits; absent for a user known only by username (BSUID). */
  from?: string
  userId?: string
  name?: string
  text: string
  /** Unix seconds; now when absent (an older one makes a conversation outside the window). */
  timestamp?: number
  wamid?: string
}

/** One inbound text message as Meta's webhook carries it (WhatsApp Cloud API, `messages` field). */
export function inboundWebhookBody(message: FakeInbound): string {
  const wamid = message.wamid ?? `wamid.in.${Date.now().toString(36)}.${(++sequence).toString(36)}`
  const userId = message.userId ?? (message.from ? `BR.${message.from.slice(-12)}` : undefined)
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: message.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '5511400010000', phone_number_id: message.phoneNumberId },
              contacts: [
                {
                  profile: { name: message.name ?? 'Cliente' },
                  ...(message.from ? { wa_id: message.from } : {}),
                  ...(userId ? { user_id: userId } : {}),
                },
              ],
              messages: [
                {
                  ...(message.from ? { from: message.from } : {}),
                  ...(userId ? { from_user_id: userId } : {}),
                  id: wamid,
                  timestamp: String(message.timestamp ?? Math.floor(Date.now() / 1000)),
                  type: 'text',
                  text: { body: message.text },
                },
              ],
            },
          },
        ],
      },
    ],
  })
}

const PAGE = 2

export function registerFakeWhatsappInbox(app: Hono) {
  app.post('/__control/webhook', async (c) => {
    const body = (await c.req.json()) as {
      phone_number_id: string
      waba_id: string
      url: string
      app_secret: string
    }
    webhooks.set(body.phone_number_id, { url: body.url, appSecret: body.app_secret, wabaId: body.waba_id })
    return c.json({ ok: true })
  })

  app.post('/__control/inbound', async (c) => {
    const body = (await c.req.json()) as {
      phone_number_id: string
      from?: string
      user_id?: string
      name?: string
      text?: string
      timestamp?: number
    }
    const target = webhooks.get(body.phone_number_id)
    if (!target) return c.json({ error: `no webhook registered for ${body.phone_number_id}` }, 404)
    if (!body.from && !body.user_id) return c.json({ error: 'from or user_id is required' }, 400)
    const payload = inboundWebhookBody({
      phoneNumberId: body.phone_number_id,
      wabaId: target.wabaId,
      from: body.from,
      userId: body.user_id,
      name: body.name,
      text: body.text ?? 'Olá!',
      timestamp: body.timestamp,
    })
    if (body.from) lastInboundAt.set(body.from, (body.timestamp ?? Date.now() / 1000) * 1000)
    const response = await fetch(target.url, await signedMetaRequest(target.appSecret, payload))
    return c.json({
      delivered: response.status,
      wamid: JSON.parse(payload).entry[0].changes[0].value.messages[0].id,
    })
  })

  app.get('/:version/:waba/message_templates', (c) => {
    const limit = Math.min(100, Math.max(1, Number(c.req.query('limit') ?? PAGE) || PAGE))
    const start = Number(atob(c.req.query('after') ?? btoa('0'))) || 0
    const page = FAKE_TEMPLATES.slice(start, start + limit)
    const next = start + limit < FAKE_TEMPLATES.length ? btoa(String(start + limit)) : null
    return c.json({
      data: page.map((t, i) => ({
        id: `${c.req.param('waba')}${String(start + i).padStart(3, '0')}`,
        name: t.name,
        language: t.language,
        status: t.status,
        category: t.category,
        parameter_format: 'POSITIONAL',
        components: [{ type: 'BODY', text: t.body }],
      })),
      paging: {
        cursors: { before: btoa(String(start)), after: btoa(String(start + page.length)) },
        ...(next ? { next: `${new URL(c.req.url).pathname}?limit=${limit}&after=${next}` } : {}),
      },
    })
  })
}
