import { ApiError } from '../../errors.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { openFromEdge, SecretUnreadableError } from '../../vault/vault.ts'

/**
 * The public side of a tenant's Meta webhook, resolved with NO Postgres statement: Meta retries
 * for hours (WhatsApp for days) and wants a median answer under 250 ms, so events must keep being
 * accepted while the database is slow or down. The tenant id and its secrets come from the
 * tenant's edge copy in KV (`edge/meta-webhook/<slug>`, sealed under a key derived from the vault
 * master key; see `Vault.putEdgeCopy` for why crypto-shredding still holds), cached per isolate.
 */

/** The vault owner id of the secrets and the name of their edge copy. */
export const META_WEBHOOK_OWNER = 'meta-webhook'
export const metaEdgeKvKey = (slug: string) => `edge/meta-webhook/${slug}`

/** What the edge copy holds (JSON), sealed. */
export type MetaWebhookSecrets = { app_secret: string; verify_token: string }

export type MetaEndpoint = {
  tenantId: string
  /** Non-extractable HMAC-SHA256 key: the plaintext app secret is not kept around. */
  appSecret: CryptoKey
  /** SHA-256 of the verify token, so comparing it takes the same time whatever its length. */
  verifyTokenDigest: Uint8Array
}

/**
 * A setting saved in this isolate applies at once (the save forgets the entry); elsewhere it
 * applies within this TTL plus KV's own propagation (about 60 s). Unknown slugs are cached too,
 * so a flood of requests for one costs one KV read a minute.
 */
const CACHE_TTL_MS = 60_000
const CACHE_MAX_ENTRIES = 1_000
const cache = new Map<string, { expiresAt: number; endpoint: Promise<MetaEndpoint | null> }>()

const SLUG = /^[a-z0-9](-?[a-z0-9])*$/
const encoder = new TextEncoder()

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}

async function load(services: Services, slug: string): Promise<MetaEndpoint | null> {
  let opened: Awaited<ReturnType<typeof openFromEdge>>
  try {
    opened = await openFromEdge(services.tokens, services.config.VAULT_MASTER_KEYS, metaEdgeKvKey(slug))
  } catch (error) {
    if (!(error instanceof SecretUnreadableError)) throw error
    // Our fault (a master key dropped before `Vault.rewrap`), not the sender's: Meta retries a 503.
    log('error', 'meta webhook secrets unreadable', { slug, error_message: error.message })
    throw new ApiError(503, 'WEBHOOK_UNAVAILABLE', 'This webhook cannot be verified right now.', {
      headers: { 'Retry-After': '60' },
    })
  }
  if (!opened) return null
  const secrets = JSON.parse(opened.plaintext) as MetaWebhookSecrets
  return {
    tenantId: opened.tenantId,
    appSecret: await crypto.subtle.importKey(
      'raw',
      encoder.encode(secrets.app_secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    ),
    verifyTokenDigest: await sha256(secrets.verify_token),
  }
}

/** The tenant's endpoint by slug, or null when the slug is unknown or has no settings. */
export function resolveMetaEndpoint(services: Services, slug: string): Promise<MetaEndpoint | null> {
  if (slug.length > 48 || !SLUG.test(slug)) return Promise.resolve(null)
  const now = Date.now()
  const hit = cache.get(slug)
  if (hit && hit.expiresAt > now) return hit.endpoint
  const endpoint = load(services, slug)
  cache.delete(slug)
  if (cache.size >= CACHE_MAX_ENTRIES) {
    const oldest = cache.keys().next().value
    if (oldest !== undefined) cache.delete(oldest)
  }
  const entry = { expiresAt: now + CACHE_TTL_MS, endpoint }
  cache.set(slug, entry)
  // A failed read is not remembered: the next request tries KV again.
  endpoint.catch(() => {
    if (cache.get(slug) === entry) cache.delete(slug)
  })
  return endpoint
}

/** Drops the cached endpoint of `slug` (after its settings change in this isolate). */
export function forgetMetaEndpoint(slug: string): void {
  cache.delete(slug)
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i

function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

/**
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` checked over the RAW bytes: Meta
 * signs its escaped-unicode serialisation, so parsing and re-serialising would change them.
 * Both sides are 32 bytes, compared in constant time.
 */
export async function verifyMetaSignature(
  endpoint: MetaEndpoint,
  header: string | undefined,
  body: ArrayBuffer,
): Promise<boolean> {
  const match = SIGNATURE.exec(header?.trim() ?? '')
  if (!match?.[1]) return false
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', endpoint.appSecret, body))
  return crypto.subtle.timingSafeEqual(expected, hexBytes(match[1]))
}

/** The verification handshake's token, compared in constant time (as digests of equal length). */
export async function verifyTokenMatches(endpoint: MetaEndpoint, token: string): Promise<boolean> {
  return crypto.subtle.timingSafeEqual(await sha256(token), endpoint.verifyTokenDigest)
}
