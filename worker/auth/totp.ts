/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 6 digits, 30-second
 * steps, what every authenticator app reads from an `otpauth://` URI. The building block of
 * two-factor sign-in; the flows that use it (enrolment, the login challenge, recovery codes) are
 * `worker/services/auth/two-factor.ts` and `login.ts`.
 */

export const TOTP_DIGITS = 6
export const TOTP_STEP_SECONDS = 30
/** Codes of the step before and after are accepted too: phones' clocks drift, people type slowly. */
export const TOTP_WINDOW = 1

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32 without padding, as authenticator apps expect the secret. */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/** Decodes base32 as people type it (any case, spaces and padding ignored); null when it is not base32. */
export function base32Decode(text: string): Uint8Array | null {
  const clean = text.replace(/[\s=]/g, '').toUpperCase()
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const char of clean) {
    const index = BASE32.indexOf(char)
    if (index < 0) return null
    value = ((value << 5) | index) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return new Uint8Array(out)
}

/** A new secret: 160 random bits, the HMAC-SHA-1 key length RFC 4226 recommends. */
export const newTotpSecret = (): Uint8Array => crypto.getRandomValues(new Uint8Array(20))

/** The step a moment falls in (seconds since the epoch / 30). */
export const totpStep = (at: Date): number => Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS)

/** HOTP (RFC 4226 §5.3): the code of one counter value, `digits` long. */
export async function hotp(secret: Uint8Array, counter: number, digits = TOTP_DIGITS): Promise<string> {
  const message = new Uint8Array(8)
  // The counter as a 64-bit big-endian integer; steps fit in 53 bits for millennia.
  new DataView(message.buffer).setBigUint64(0, BigInt(counter))
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message))
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f
  const binary =
    (((mac[offset] ?? 0) & 0x7f) << 24) |
    ((mac[offset + 1] ?? 0) << 16) |
    ((mac[offset + 2] ?? 0) << 8) |
    (mac[offset + 3] ?? 0)
  return String(binary % 10 ** digits).padStart(digits, '0')
}

/** The TOTP code at a moment. */
export const totp = (secret: Uint8Array, at: Date, digits = TOTP_DIGITS) => hotp(secret, totpStep(at), digits)

/**
 * Checks a typed code against the steps around `at` (±TOTP_WINDOW). Answers the step that matched,
 * or null. `lastUsedStep` is the step of the code last accepted for this secret: that step and any
 * earlier one are refused, so a code seen over someone's shoulder cannot be used again in its window.
 * The caller stores the answered step before it lets the person in.
 */
export async function verifyTotp(
  secret: Uint8Array,
  code: string,
  at: Date,
  lastUsedStep: number | null = null,
): Promise<number | null> {
  const typed = code.replace(/\s/g, '')
  if (!/^\d{6}$/.test(typed)) return null
  const now = totpStep(at)
  let matched: number | null = null
  // Every candidate is computed and compared whole, so timing says nothing about which one matched.
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step++) {
    const expected = await hotp(secret, step)
    let diff = 0
    for (let i = 0; i < TOTP_DIGITS; i++) diff |= expected.charCodeAt(i) ^ typed.charCodeAt(i)
    if (diff === 0 && matched === null) matched = step
  }
  if (matched === null || (lastUsedStep !== null && matched <= lastUsedStep)) return null
  return matched
}

/** The `otpauth://` URI authenticator apps import (Key URI Format), issuer "Integra". */
export function otpauthUri(secret: Uint8Array, account: string, issuer = 'Integra'): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`
  const params = new URLSearchParams({
    secret: base32Encode(secret),
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  })
  return `otpauth://totp/${label}?${params.toString()}`
}
