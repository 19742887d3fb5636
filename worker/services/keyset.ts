import { type SQL, type SQLWrapper, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import type { IdPrefix } from '../../db/ids.ts'
import { isStoredDate, isStoredDateTime } from '../dates.ts'
import { invalidField } from '../errors.ts'

// Keyset pagination, the one way every list pages: the list names its sort key (`keys`), filters
// with `afterCursor`, orders by the same columns in `order`, fetches `limit + 1` rows and answers
// `nextPage`. A cursor is the last row's sort key; each of its values is checked against its
// column's kind before any query, so a forged cursor is a 400 and never a cast error (a 500).

/** What one value of a cursor must be, and the type Postgres compares it as. */
export type KeyKind = { accepts: (value: unknown) => value is string; cast?: 'date' | 'timestamptz' }
/** One column of a list's sort key. */
export type Key = { column: SQLWrapper; kind: KeyKind }

/** As `sortKey` writes it: hours 00–23 (Date.parse and Postgres also read 24:00 and more). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z$/
const isText = (value: unknown): value is string => typeof value === 'string'
/** Text Postgres stores: no NUL, no unpaired surrogate. */
const isStorable = (value: unknown): value is string =>
  isText(value) && value.length <= 200 && !value.includes('\u0000') && value.isWellFormed()

/** The kinds of sort-key columns the lists use. */
export const key = {
  /** A timestamp to the microsecond, as `sortKey` writes it. */
  timestamp: (column: SQLWrapper): Key => ({
    column,
    kind: {
      accepts: (value): value is string => isText(value) && TIMESTAMP.test(value) && isStoredDateTime(value),
      cast: 'timestamptz',
    },
  }),
  /** A calendar day `YYYY-MM-DD`. */
  date: (column: SQLWrapper): Key => ({
    column,
    kind: { accepts: (value): value is string => isText(value) && isStoredDate(value), cast: 'date' },
  }),
  /** An id of its table's prefix (`prp_…`). */
  id: (column: SQLWrapper, prefix: IdPrefix): Key => {
    const pattern = new RegExp(`^${prefix}_[0-9a-z]{20}$`)
    return { column, kind: { accepts: (value): value is string => isText(value) && pattern.test(value) } }
  },
  /** One of a column's fixed values (an enum). */
  oneOf: (column: SQLWrapper, values: readonly string[]): Key => ({
    column,
    kind: { accepts: (value): value is string => isText(value) && values.includes(value) },
  }),
  /** Free text (a metric name). */
  text: (column: SQLWrapper): Key => ({ column, kind: { accepts: isStorable } }),
}

/**
 * `created_at` to the microsecond, as ISO text in UTC. Postgres keeps microseconds and a JS Date
 * only milliseconds, and rows written in one transaction share a timestamp: a cursor built from a
 * Date would skip or repeat rows, so the sort key travels in the cursor exactly as the database
 * holds it.
 */
export const sortKey = (createdAt: AnyPgColumn) =>
  sql<string>`to_char(${createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/** The sort key of the admin and tenant lists: `(created_at, id)`, selected with `sortKey`. */
export const byCreatedAt = (
  table: { createdAt: AnyPgColumn; id: AnyPgColumn },
  prefix: IdPrefix,
): readonly Key[] => [key.timestamp(table.createdAt), key.id(table.id, prefix)]

/** An opaque cursor: base64url of the JSON of a row's sort key. */
export function encodeCursor(values: readonly string[]): string {
  return btoa(JSON.stringify(values)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** The 400 for a cursor this API did not issue. */
export const invalidCursor = () =>
  invalidField('query.cursor', 'not a cursor from a previous page', 'The cursor is not valid.')

/**
 * The sort key a cursor holds, each value accepted by its kind; null without a cursor. Anything
 * else (not base64, not JSON, the wrong length, a value of the wrong type or kind) is a 400.
 */
export function decodeCursor(cursor: string | undefined, kinds: readonly KeyKind[]): string[] | null {
  if (!cursor) return null
  let value: unknown
  try {
    value = JSON.parse(atob(cursor.replaceAll('-', '+').replaceAll('_', '/')))
  } catch {
    throw invalidCursor()
  }
  if (!Array.isArray(value) || value.length !== kinds.length) throw invalidCursor()
  const values: string[] = []
  for (const [i, kind] of kinds.entries()) {
    const item: unknown = value[i]
    if (!kind.accepts(item)) throw invalidCursor()
    values.push(item)
  }
  return values
}

/**
 * The rows past `values` in a list ordered by `keys` in `order`: one row comparison, the values
 * bound as parameters and cast to their column's type.
 */
export function pastKey(keys: readonly Key[], values: readonly string[], order: 'asc' | 'desc'): SQL {
  const columns = sql.join(
    keys.map((k) => sql`${k.column}`),
    sql`, `,
  )
  const bound = sql.join(
    keys.map((k, i) => (k.kind.cast ? sql`${values[i]}::${sql.raw(k.kind.cast)}` : sql`${values[i]}`)),
    sql`, `,
  )
  return order === 'desc' ? sql`(${columns}) < (${bound})` : sql`(${columns}) > (${bound})`
}

/** The condition "after the cursor" for a list ordered by `keys` in `order`; none on page one. */
export function afterCursor(keys: readonly Key[], cursor: string | undefined, order: 'asc' | 'desc') {
  const values = decodeCursor(
    cursor,
    keys.map((k) => k.kind),
  )
  return values ? pastKey(keys, values, order) : undefined
}

/**
 * One page from the `limit + 1` rows a list fetched: the extra row only says that another page
 * exists, whose cursor is the sort key (`keyOf`) of this page's last row.
 */
export function nextPage<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => readonly string[],
): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit)
  const last = data.at(-1)
  return { data, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null }
}

/** `nextPage` for the lists ordered `byCreatedAt`: the selected `sortKey` is dropped from the rows. */
export function cutPage<T extends { id: string; sortKey: string }>(
  rows: T[],
  limit: number,
): { data: Omit<T, 'sortKey'>[]; nextCursor: string | null } {
  const page = nextPage(rows, limit, (row) => [row.sortKey, row.id])
  return { ...page, data: page.data.map(({ sortKey: _, ...row }) => row) }
}
