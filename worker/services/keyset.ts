import { type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { decodeCursor, encodeCursor, invalidCursor } from '../http.ts'

// Keyset pagination on `(created_at, id)` for the admin and tenant lists: select `sortKey`, filter
// with `afterCursor`, order by both columns in that same direction, fetch `limit + 1`, `cutPage`.

/**
 * `created_at` to the microsecond, as ISO text in UTC. Postgres keeps microseconds and a JS Date
 * only milliseconds, and rows written in one transaction share a timestamp: a cursor built from a
 * Date would skip or repeat rows, so the sort key travels in the cursor exactly as the database
 * holds it.
 */
export const sortKey = (createdAt: AnyPgColumn) =>
  sql<string>`to_char(${createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

const SORT_KEY_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/**
 * The keyset condition "after the cursor" for a list ordered by `(created_at, id)` in `order`;
 * none on page one.
 */
export function afterCursor(
  columns: { createdAt: AnyPgColumn; id: AnyPgColumn },
  cursor: string | undefined,
  order: 'asc' | 'desc',
): SQL | undefined {
  const key = decodeCursor(cursor, 2)
  if (!key) return undefined
  const [at, id] = key
  if (typeof at !== 'string' || typeof id !== 'string' || !SORT_KEY_PATTERN.test(at)) throw invalidCursor()
  return order === 'desc'
    ? sql`(${columns.createdAt}, ${columns.id}) < (${at}::timestamptz, ${id})`
    : sql`(${columns.createdAt}, ${columns.id}) > (${at}::timestamptz, ${id})`
}

/**
 * Cuts a page from the `limit + 1` rows a list fetched with `sortKey` selected as `sortKey`: the
 * extra row only says that another page exists. The sort key is dropped from what callers return.
 */
export function cutPage<T extends { id: string; sortKey: string }>(
  rows: T[],
  limit: number,
): { data: Omit<T, 'sortKey'>[]; nextCursor: string | null } {
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    data: page.map(({ sortKey: _, ...row }) => row),
    nextCursor: rows.length > limit && last ? encodeCursor([last.sortKey, last.id]) : null,
  }
}
