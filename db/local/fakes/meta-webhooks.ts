import { createHmac } from 'node:crypto'
import { Hono } from 'hono'

/**
 * Meta as a webhook sender: `POST /meta/__control/deliver {url, app_secret, body?}` signs `body`
 * (a JSON object; by default one WhatsApp delivery status, in the documented shape) as Meta does,
 * `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>`, posts it to
 * `url` and answers the receiver's status. `npm run dev` uses it to send a delivery to the edge
 * ingress; the app secret is the one the tenant saved in its Meta webhook settings.
 */
export const fakeMetaWebhooks = new Hono()

const statusDelivery = () => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
            statuses: [
              {
                id: `wamid.FAKE${Date.now()}`,
                status: 'delivered',
                timestamp: String(Math.floor(Date.now() / 1000)),
                recipient_id: '16505551234',
              },
            ],
          },
        },
      ],
    },
  ],
})

fakeMetaWebhooks.post('/__control/deliver', async (c) => {
  const {
    url,
    app_secret: secret,
    body,
  } = (await c.req.json()) as {
    url?: string
    app_secret?: string
    body?: unknown
  }
  if (!url || !secret) return c.json({ error: 'url and app_secret are required' }, 400)
  const raw = JSON.stringify(body ?? statusDelivery())
  const signature = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`
  const answer = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body: raw,
  })
  return c.json({ status: answer.status })
})
