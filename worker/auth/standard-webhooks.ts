import { base64url } from 'jose'

/**
 * Incoming webhooks in the Standard Webhooks style (https://www.standardwebhooks.com):
 * `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
 * Several secrets are accepted at once so a sender's secret can be rotated without downtime.
 */

const DEFAULT_TOLERANCE_SECONDS = 300
const SECRET_PREFIX = 'whsec_'
/** Padded standard base64, as Standard Webhooks senders emit it; anything looser is refused. */
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/

const encoder = new TextEncoder()

/** Standard base64 through jose's strict decoder; throws on anything that is not base64. */
function decodeBase64(value: string): Uint8Array {
  if (!value || !BASE64_PATTERN.test(value)) throw new TypeError('not base64')
  return base64url.decode(value.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'))
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * Parses a comma-separated list of secrets, each `whsec_<base64>` (the key is the decoded bytes,
 * as Standard Webhooks senders use it) or any other string (its UTF-8 bytes). Errors name the
 * entry by position and never echo it.
 */
export function parseWebhookSecrets(value: string): Uint8Array[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  if (entries.length === 0) throw new Error('webhook secrets: expected at least one secret')
  return entries.map((entry, index) => {
    if (!entry.startsWith(SECRET_PREFIX)) return encoder.encode(entry)
    try {
      return decodeBase64(entry.slice(SECRET_PREFIX.length))
    } catch {
      throw new Error(`webhook secrets: entry ${index + 1} starts with whsec_ but is not valid base64`)
    }
  })
}

async function hmac(secret: Uint8Array, id: string, timestamp: string, body: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${id}.${timestamp}.${body}`)))
}

/** The `v1,<base64>` value for the `webhook-signature` header (tests and the dev fake sender). */
export async function signStandardWebhook(
  id: string,
  timestamp: number,
  body: string,
  secret: Uint8Array,
): Promise<string> {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new Error('signStandardWebhook: timestamp must be unix seconds')
  }
  return `v1,${encodeBase64(await hmac(secret, id, String(timestamp), body))}`
}

/** The v1 signatures of a header value, decoded; entries of other versions or bad base64 are skipped. */
function parseSignatures(header: string): Uint8Array[] {
  const signatures: Uint8Array[] = []
  for (const part of header.split(' ')) {
    const comma = part.indexOf(',')
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue
    try {
      signatures.push(decodeBase64(part.slice(comma + 1)))
    } catch {
      // A garbled entry cannot match; another entry in the same header still may.
    }
  }
  return signatures
}

export type WebhookVerification =
  | { ok: true }
  | { ok: false; reason: 'missing_headers' | 'stale_timestamp' | 'bad_signature' }

/**
 * Verifies one delivery. The timestamp window (both directions) stops replays of captured
 * deliveries; the signature covers id, timestamp and the raw body. Never throws. A timestamp
 * that is not unix seconds counts as a missing header, as in the reference libraries.
 */
export async function verifyStandardWebhook(
  input: { id: string | null; timestamp: string | null; signature: string | null; body: string },
  secrets: Uint8Array[],
  options: { toleranceSeconds?: number; now?: Date } = {},
): Promise<WebhookVerification> {
  const { id, timestamp, signature, body } = input
  if (!id || !timestamp || !signature || !TIMESTAMP_PATTERN.test(timestamp)) {
    return { ok: false, reason: 'missing_headers' }
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000)
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (Math.abs(now - Number(timestamp)) > tolerance) return { ok: false, reason: 'stale_timestamp' }

  const candidates = parseSignatures(signature)
  if (candidates.length === 0) return { ok: false, reason: 'bad_signature' }
  for (const secret of secrets) {
    let expected: Uint8Array
    try {
      expected = await hmac(secret, id, timestamp, body)
    } catch {
      // e.g. an empty key, which WebCrypto refuses: that secret matches nothing, the others may.
      continue
    }
    for (const candidate of candidates) {
      // The length is public (always 32); timingSafeEqual then reads every byte.
      if (candidate.length === expected.length && crypto.subtle.timingSafeEqual(candidate, expected)) {
        return { ok: true }
      }
    }
  }
  return { ok: false, reason: 'bad_signature' }
}
