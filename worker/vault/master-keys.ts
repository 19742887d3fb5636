import { base64url } from 'jose'

/** A vault master key: wraps the tenants' data keys. Parsed from configuration, apart from the vault itself. */
export type MasterKey = { kid: string; key: Uint8Array }

const KID = /^[A-Za-z0-9_-]{1,32}$/

/** `kid:base64url(32 bytes),…`, newest first: the first wraps new keys, all unwrap. */
export function parseMasterKeys(value: string): MasterKey[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  if (entries.length === 0) throw new Error('vault master keys: expected at least one kid:key entry')
  return entries.map((entry, index) => {
    const [kid, encoded] = entry.split(':')
    let key: Uint8Array | undefined
    try {
      key = encoded ? base64url.decode(encoded) : undefined
    } catch {}
    if (!kid || !KID.test(kid) || key?.length !== 32) {
      throw new Error(`vault master keys: entry ${index + 1} must be kid:base64url of 32 bytes`)
    }
    return { kid, key }
  })
}
