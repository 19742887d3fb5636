import { timingSafeEqual } from '../../auth/tokens.ts'

/**
 * Mercado Pago's webhook signature (`x-signature: ts=<ts>,v1=<hex>`), as documented in its
 * "Notifications → Webhooks → validate origin" guide: the HMAC-SHA256, in hex, under the
 * application's secret signature, of the manifest `id:<data.id>;request-id:<x-request-id>;ts:<ts>;`
 * where `data.id` is the notification URL's query parameter (lower-cased when alphanumeric) and a
 * part whose value is missing is left out. The body is not signed: only what the manifest names is
 * trusted, and the payment's status is read back from the API (`GET /v1/payments/{id}`).
 */
export type SignatureInput = {
  signature: string | null
  requestId: string | null
  dataId: string | null
}

export type SignatureVerdict =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale' }

const encoder = new TextEncoder()

/** The manifest the provider signs; parts without a value are left out, as its guide says. */
export function signatureManifest(input: { dataId: string | null; requestId: string | null; ts: string }) {
  const id = input.dataId && /^[a-z0-9]+$/i.test(input.dataId) ? input.dataId.toLowerCase() : input.dataId
  return `${id ? `id:${id};` : ''}${input.requestId ? `request-id:${input.requestId};` : ''}ts:${input.ts};`
}

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(text)))
  return [...mac].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** `x-signature` for a notification (the fake provider and tests sign with it). */
export async function signMercadoPago(
  secret: string,
  input: { dataId: string | null; requestId: string | null; ts: string },
): Promise<string> {
  return `ts=${input.ts},v1=${await hmacHex(secret, signatureManifest(input))}`
}

/**
 * Checks `x-signature` against every configured secret (rotation: the old secret stays listed
 * while the dashboard's new one rolls out), in constant time, and refuses a timestamp further than
 * `toleranceSeconds` from now either way (a captured notification replayed later). The provider's
 * `ts` is in milliseconds in some of its products and seconds in others: both are read.
 */
export async function verifyMercadoPago(
  input: SignatureInput,
  secrets: readonly string[],
  options: { toleranceSeconds: number; now?: number },
): Promise<SignatureVerdict> {
  if (!input.signature) return { ok: false, reason: 'missing' }
  const parts = new Map(
    input.signature.split(',').map((part) => {
      const [key = '', ...value] = part.split('=')
      return [key.trim(), value.join('=').trim()] as const
    }),
  )
  const ts = parts.get('ts') ?? ''
  const v1 = parts.get('v1') ?? ''
  if (!/^\d{1,16}$/.test(ts) || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed' }
  let matched = false
  for (const secret of secrets)
    if (timingSafeEqual(await hmacHex(secret, signatureManifest({ ...input, ts })), v1)) matched = true
  if (!matched) return { ok: false, reason: 'mismatch' }
  const raw = Number(ts)
  const seconds = raw > 1e11 ? raw / 1000 : raw
  const now = (options.now ?? Date.now()) / 1000
  if (Math.abs(now - seconds) > options.toleranceSeconds) return { ok: false, reason: 'stale' }
  return { ok: true, timestamp: seconds }
}

/** The configured secrets: comma-separated, newest first; blanks ignored. */
export const mercadoPagoSecrets = (configured: string) =>
  configured
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean)
