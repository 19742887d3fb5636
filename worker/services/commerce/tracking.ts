import { parseWebhookSecrets } from '../../auth/standard-webhooks.ts'
import { timingSafeEqual } from '../../auth/tokens.ts'
import type { Config } from '../../config.ts'

const encoder = new TextEncoder()

function keys(config: Config): Uint8Array[] {
  return config.ORDER_TRACKING_SECRETS.trim() ? parseWebhookSecrets(config.ORDER_TRACKING_SECRETS) : []
}

async function sign(key: Uint8Array, orderId: string): Promise<string> {
  const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', hmac, encoder.encode(`commerce.order:${orderId}`)),
  )
  let binary = ''
  for (const byte of mac) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/**
 * The token of an order's public tracking link: an HMAC of the order id under its own secret
 * (ORDER_TRACKING_SECRETS, newest first), so a link opens that order and no other, and rotating
 * the secret (keeping the old one second for a while) revokes nothing at once. Null when tracking
 * is not configured.
 */
export async function trackingToken(config: Config, orderId: string): Promise<string | null> {
  const [key] = keys(config)
  return key ? sign(key, orderId) : null
}

/** Whether `token` opens `orderId` under any configured secret (compared in constant time). */
export async function verifyTrackingToken(config: Config, orderId: string, token: string): Promise<boolean> {
  for (const key of keys(config)) if (timingSafeEqual(await sign(key, orderId), token)) return true
  return false
}
