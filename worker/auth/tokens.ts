/** Random opaque secrets and their SHA-256 digests (high-entropy secrets need no slow hash). */
export function randomSecret(bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes))
  return btoa(String.fromCharCode(...raw))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** Constant-time comparison of two strings of hex or base64 digests. */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a)
  const right = new TextEncoder().encode(b)
  let diff = left.length ^ right.length
  for (let i = 0; i < Math.max(left.length, right.length); i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0)
  return diff === 0
}

/** `ik_<20 base32 chars of the key id>_<43 base64url chars of secret>`: the id finds it, the secret proves it. */
const API_KEY_PATTERN = /^ik_([0-9a-z]{20})_([A-Za-z0-9_-]{43})$/

export function formatApiKey(keyId: string, secret: string): string {
  return `ik_${keyId.slice('key_'.length)}_${secret}`
}

export function parseApiKey(token: string): { keyId: string; secret: string } | null {
  const match = API_KEY_PATTERN.exec(token)
  return match ? { keyId: `key_${match[1]}`, secret: match[2] as string } : null
}
