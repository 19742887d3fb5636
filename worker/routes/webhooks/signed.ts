import type { Context } from 'hono'
import type { z } from 'zod'
import { parseWebhookSecrets, verifyStandardWebhook } from '../../auth/standard-webhooks.ts'
import { ConfigError } from '../../config.ts'
import type { AppEnv } from '../../env.ts'
import { ApiError } from '../../errors.ts'

/** Longer than any provider's message id; the id is stored as the idempotency key. */
const MAX_DELIVERY_ID_LENGTH = 200
const TOLERANCE_SECONDS = 5 * 60

/**
 * A Standard Webhooks delivery (billing, payments): the secrets of `variable` (several accepted,
 * newest first; none configured switches the endpoint off), the signature over the raw bytes with a
 * 5-minute tolerance, the delivery id, and only then the body parsed with `schema`. Nothing is read
 * from an unauthenticated body; every refusal is the shared envelope.
 */
export async function readSignedEvent<S extends z.ZodType>(
  c: Context<AppEnv>,
  variable: 'BILLING_WEBHOOK_SECRETS' | 'PAYMENTS_WEBHOOK_SECRETS',
  schema: S,
): Promise<{ deliveryId: string; event: z.output<S> }> {
  const configured = c.var.caller.services.config[variable]
  if (!configured.trim()) throw new ApiError(503, 'WEBHOOK_NOT_CONFIGURED', 'This webhook is not configured.')
  let secrets: Uint8Array[]
  try {
    secrets = parseWebhookSecrets(configured)
  } catch {
    // The message names the entry but is still about a secret: report the variable only.
    throw new ConfigError([variable])
  }
  const body = await c.req.text()
  const deliveryId = c.req.header('webhook-id') ?? null
  const verdict = await verifyStandardWebhook(
    {
      id: deliveryId,
      timestamp: c.req.header('webhook-timestamp') ?? null,
      signature: c.req.header('webhook-signature') ?? null,
      body,
    },
    secrets,
    { toleranceSeconds: TOLERANCE_SECONDS },
  )
  if (!verdict.ok) {
    throw verdict.reason === 'stale_timestamp'
      ? new ApiError(401, 'STALE_TIMESTAMP', 'The webhook timestamp is outside the 5-minute tolerance.')
      : new ApiError(401, 'INVALID_SIGNATURE', 'The webhook signature is missing or not valid.')
  }
  if (!deliveryId || deliveryId.length > MAX_DELIVERY_ID_LENGTH) {
    throw new ApiError(
      400,
      'INVALID_WEBHOOK_ID',
      `webhook-id must be 1 to ${MAX_DELIVERY_ID_LENGTH} characters.`,
    )
  }
  return { deliveryId, event: parseEvent(body, schema) }
}

/** JSON.parse, then the event schema; both failures are the sender's and answer 400. */
function parseEvent<S extends z.ZodType>(body: string, schema: S): z.output<S> {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    throw new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.')
  }
  const result = schema.safeParse(json)
  if (!result.success) {
    throw new ApiError(400, 'VALIDATION_FAILED', 'The event has invalid fields.', {
      fields: result.error.issues.map((issue) => ({
        path: ['json', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    })
  }
  return result.data
}
