import { z } from 'zod'

type SnakeKey<K extends string> = K extends `${infer Head}${infer Tail}`
  ? Head extends Lowercase<Head>
    ? `${Head}${SnakeKey<Tail>}`
    : `_${Lowercase<Head>}${SnakeKey<Tail>}`
  : K

export type Snake<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Snake<U>[]
    : T extends object
      ? { [K in keyof T as K extends string ? SnakeKey<K> : K]: Snake<T[K]> }
      : T

/**
 * The API speaks snake_case JSON (as the platforms it talks to do) while TypeScript and drizzle
 * speak camelCase: responses pass through here once, at the route.
 */
export function snake<T>(value: T): Snake<T> {
  if (Array.isArray(value)) return value.map(snake) as Snake<T>
  if (value instanceof Date) return value.toISOString() as Snake<T>
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        snake(inner),
      ]),
    ) as Snake<T>
  }
  return value as Snake<T>
}

/** Shared request fields. */
export const emailField = z
  .email()
  .max(254)
  .transform((value) => value.trim().toLowerCase())
/** New passwords: long enough to resist guessing (NIST 800-63B asks for length, not composition). */
export const newPasswordField = z.string().min(12, 'at least 12 characters').max(256)
/**
 * The password typed again before an act that cannot easily be undone (erasures): an object, so
 * a TOTP code can join it as `totp` when two-factor sign-in lands, without a new field name.
 */
export const reauthField = z.object({
  password: z.string().min(1).max(256).describe('Your password, typed again.'),
})
export const idParam = (prefix: string) =>
  z.object({ id: z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{20}$`), `must be a ${prefix}_… id`) })

/** Cursor pagination: `limit` (1–100, default 50) and an opaque `cursor` from the previous page. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
})

/** The caller's text for a LIKE pattern, its `%`, `_` and `\` taken literally. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** The list shape of every collection endpoint. */
export type Page<T> = { data: T[]; next_cursor: string | null }

/**
 * The portal origin that links sent by e-mail point to: PORTAL_BASE_URL, or the request's own
 * origin (whose Host TRUSTED_HOSTS has already vetted).
 */
export const portalOrigin = (config: { PORTAL_BASE_URL?: string }, requestUrl: string): string =>
  (config.PORTAL_BASE_URL ?? new URL(requestUrl).origin).replace(/\/+$/, '')
