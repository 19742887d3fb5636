import type { KeyValueStore } from '../ports.ts'

/**
 * Deno KV refuses a value whose serialized form is over 64 KiB. A string is stored as its UTF-8
 * bytes plus a few bytes of framing, so one part carries at most 60 000 bytes of text: well under
 * the limit whatever the framing costs.
 */
export const KV_PART_BYTES = 60_000
/**
 * The most parts one value may take (about 1 MiB). The largest values the app writes are Meta
 * webhook bodies spilled past the queue's limit (256 KiB of JSON, about 342 KiB sealed); vault
 * ciphertexts are well under one part (a sealed token is a few hundred bytes, see docs/deno.md).
 */
export const KV_MAX_PARTS = 17

/** A value too large even in parts: said plainly instead of Deno KV's generic "value too large". */
export class KvValueTooLarge extends Error {
  constructor(key: string, bytes: number) {
    super(
      `Deno KV value for "${key}" is ${bytes} bytes; at most ${KV_PART_BYTES * KV_MAX_PARTS} bytes (${KV_MAX_PARTS} parts of ${KV_PART_BYTES}) are stored`,
    )
    this.name = 'KvValueTooLarge'
  }
}

/** How a value is kept: inline when it fits one entry, or as `parts` entries under PARTS. */
type Stored = { text: string } | { parts: number }
const PARTS = 'parts'

/** Splits text into pieces of at most `KV_PART_BYTES` UTF-8 bytes, never inside a character. */
function split(text: string): string[] {
  const pieces: string[] = []
  let piece = ''
  let bytes = 0
  for (const char of text) {
    const size = char.length === 2 ? 4 : char.charCodeAt(0) < 0x80 ? 1 : char.charCodeAt(0) < 0x800 ? 2 : 3
    if (bytes + size > KV_PART_BYTES) {
      pieces.push(piece)
      piece = ''
      bytes = 0
    }
    piece += char
    bytes += size
  }
  pieces.push(piece)
  return pieces
}

/**
 * Writes `text` under `key` in one atomic commit: inline when small, else as parts beside a
 * header entry. Readers see the old value or the new one, never a mix.
 */
export async function setText(
  kv: Deno.Kv,
  key: Deno.KvKey,
  text: string,
  options: { expireIn?: number; previousParts?: number } = {},
): Promise<void> {
  const bytes = new TextEncoder().encode(text).length
  const atomic = kv.atomic()
  let parts = 0
  if (bytes <= KV_PART_BYTES) {
    atomic.set(key, { text } satisfies Stored, options)
  } else {
    const pieces = split(text)
    if (pieces.length > KV_MAX_PARTS) throw new KvValueTooLarge(key.join('/'), bytes)
    parts = pieces.length
    for (const [i, piece] of pieces.entries()) atomic.set([PARTS, ...key, i], piece, options)
    atomic.set(key, { parts } satisfies Stored, options)
  }
  // Parts of a longer previous value would linger otherwise.
  for (let i = parts; i < (options.previousParts ?? 0); i++) atomic.delete([PARTS, ...key, i])
  const result = await atomic.commit()
  if (!result.ok) throw new Error(`Deno KV refused the write of ${key.join('/')}`)
}

/** The text under `key` and how many parts it took, or null. */
export async function getText(kv: Deno.Kv, key: Deno.KvKey): Promise<{ text: string; parts: number } | null> {
  const head = await kv.get<Stored>(key)
  if (!head.value) return null
  if ('text' in head.value) return { text: head.value.text, parts: 0 }
  const count = head.value.parts
  const keys = Array.from({ length: count }, (_, i) => [PARTS, ...key, i])
  const pieces: string[] = []
  // getMany takes at most 10 keys a call.
  for (let i = 0; i < keys.length; i += 10) {
    const entries = await kv.getMany<string[]>(keys.slice(i, i + 10))
    for (const entry of entries) {
      // A part expired or was deleted between the two reads: the value is gone.
      if (typeof entry.value !== 'string') return null
      pieces.push(entry.value)
    }
  }
  return { text: pieces.join(''), parts: count }
}

/** Deletes the value under `key` and its parts. */
export async function deleteText(kv: Deno.Kv, key: Deno.KvKey): Promise<void> {
  const head = await kv.get<Stored>(key)
  const parts = head.value && 'parts' in head.value ? head.value.parts : 0
  const atomic = kv.atomic().delete(key)
  for (let i = 0; i < parts; i++) atomic.delete([PARTS, ...key, i])
  await atomic.commit()
}

/**
 * The KeyValueStore port on Deno KV: keys live under `[namespace, key]`, so Workers KV's flat
 * string keys (`tenant/…/…`) keep their meaning and `list(prefix)` is a key range. Workers KV's
 * `expirationTtl` (seconds) becomes Deno KV's `expireIn` (milliseconds).
 */
export function denoKvStore(kv: Deno.Kv, namespace: string): KeyValueStore {
  return {
    async get(key) {
      return (await getText(kv, [namespace, key]))?.text ?? null
    },
    async put(key, value, options) {
      const previous = await kv.get<Stored>([namespace, key])
      await setText(kv, [namespace, key], value, {
        expireIn: options?.expirationTtl ? options.expirationTtl * 1000 : undefined,
        previousParts: previous.value && 'parts' in previous.value ? previous.value.parts : 0,
      })
    },
    delete: (key) => deleteText(kv, [namespace, key]),
    async list(prefix) {
      const keys: string[] = []
      // Strings order by their UTF-8 bytes; U+FFFF sorts after every character a key uses.
      for await (const entry of kv.list({ start: [namespace, prefix], end: [namespace, `${prefix}\uffff`] }))
        keys.push(String(entry.key[1]))
      return keys
    },
  }
}

/**
 * The API rate limit (`API_RATE_LIMITER`, 600 a minute per key in wrangler.toml) on KV atomic
 * sums: one counter per key and fixed window, added to and read back. Unlike Workers' limiter,
 * which is per location and approximate, this one is exact across every process sharing the KV
 * store. A sum cannot carry an expiry, so each call also deletes the key's counter from two
 * windows ago: a caller's old counters go as soon as it comes back.
 */
export function kvRateLimiter(
  kv: Deno.Kv,
  { limit, periodSeconds }: { limit: number; periodSeconds: number },
  now: () => number = Date.now,
): { limit(options: { key: string }): Promise<{ success: boolean }> } {
  return {
    async limit({ key }) {
      const window = Math.floor(now() / (periodSeconds * 1000))
      const counter = ['ratelimit', key, window]
      await kv
        .atomic()
        .sum(counter, 1n)
        .delete(['ratelimit', key, window - 2])
        .commit()
      const count = (await kv.get<Deno.KvU64>(counter)).value?.value ?? 0n
      return { success: count <= BigInt(limit) }
    },
  }
}
