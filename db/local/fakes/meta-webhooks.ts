import { Hono } from 'hono'
import { signedMetaRequest, whatsappStatusBody } from './meta-webhook.ts'

/**
 * Meta as a webhook sender: `POST /meta/__control/deliver {url, app_secret, body?}` signs `body`
 * (a JSON object; by default one WhatsApp delivery status) as Meta does, posts it to `url` and
 * answers the receiver's status. `npm run dev` uses it to send a delivery to the edge ingress; the
 * app secret is the one the tenant saved in its Meta webhook settings.
 */
export const fakeMetaWebhooks = new Hono()

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
  const raw =
    body === undefined
      ? whatsappStatusBody('106540352242922', [{ wamid: `wamid.FAKE${Date.now()}`, status: 'delivered' }])
      : JSON.stringify(body)
  const answer = await fetch(url, await signedMetaRequest(secret, raw))
  return c.json({ status: answer.status })
})
