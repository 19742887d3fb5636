import { bodyLimit } from 'hono/body-limit'
import type { App } from '../../env.ts'
import { ApiError } from '../../errors.ts'
import {
  type MetaEndpoint,
  resolveMetaEndpoint,
  verifyMetaSignature,
  verifyTokenMatches,
} from '../../services/meta-webhooks/meta-endpoint.ts'
import { enqueueMetaDelivery, META_BODY_LIMIT_BYTES } from '../../services/meta-webhooks/meta-ingest.ts'

const limit = bodyLimit({
  maxSize: META_BODY_LIMIT_BYTES,
  onError: () => {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The body exceeds ${META_BODY_LIMIT_BYTES} bytes.`)
  },
})

/** Meta's challenge is a number; anything echoed back stays short, printable ASCII. */
const CHALLENGE = /^[\x21-\x7e]{1,512}$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

const unknownEndpoint = () => new ApiError(404, 'NOT_FOUND', 'No Meta webhook is configured at this address.')

function required(endpoint: MetaEndpoint | null): MetaEndpoint {
  if (!endpoint) throw unknownEndpoint()
  return endpoint
}

export function registerMetaWebhook(app: App) {
  const path = '/webhooks/meta/:tenantSlug'

  /** The subscription handshake: the challenge comes back as text when the verify token matches. */
  app.get(path, async (c) => {
    const endpoint = required(await resolveMetaEndpoint(c.var.caller.services, c.req.param('tenantSlug')))
    const challenge = c.req.query('hub.challenge') ?? ''
    const token = c.req.query('hub.verify_token') ?? ''
    const matches =
      c.req.query('hub.mode') === 'subscribe' &&
      CHALLENGE.test(challenge) &&
      (await verifyTokenMatches(endpoint, token))
    if (!matches) throw new ApiError(403, 'VERIFICATION_FAILED', 'The verify token does not match.')
    c.set('tenantId', endpoint.tenantId)
    return c.text(challenge, 200)
  })

  /**
   * Events from Instagram and WhatsApp. Signature first, over the raw bytes, before anything in
   * the body is read; then the body is queued as received and Meta gets its 200. No Postgres
   * statement runs here (see services/meta-webhooks/meta-endpoint.ts): the database can be down.
   */
  app.post(path, limit, async (c) => {
    const services = c.var.caller.services
    const [endpoint, raw] = await Promise.all([
      resolveMetaEndpoint(services, c.req.param('tenantSlug')).then(required),
      c.req.arrayBuffer(),
    ])
    if (!(await verifyMetaSignature(endpoint, c.req.header('x-hub-signature-256'), raw))) {
      throw new ApiError(401, 'INVALID_SIGNATURE', 'The X-Hub-Signature-256 header is missing or not valid.')
    }
    c.set('tenantId', endpoint.tenantId)
    let body: string
    try {
      body = utf8.decode(raw)
      JSON.parse(body)
    } catch {
      throw new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.')
    }
    await enqueueMetaDelivery(services, { tenantId: endpoint.tenantId, body, receivedAt: Date.now() })
    return c.json({ status: 'queued' }, 200)
  })
}
