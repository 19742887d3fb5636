import { type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { ApiError } from '../../errors.ts'
import { decodeCursor, encodeCursor } from '../../http.ts'

/**
 * `created_at` to the microsecond, as text. Postgres keeps microseconds and a JS Date only
 * milliseconds: a cursor built from a Date would skip or repeat rows written in the same
 * millisecond, so the sort key travels in the cursor exactly as the database holds it.
 */
export const sortKey = (createdAt: AnyPgColumn) =>
  sql<string>`to_char(${createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

const SORT_KEY_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** The keyset condition "after the cursor" for `(created_at, id)` in the given order; none on page one. */
export function afterCursor(
  columns: { createdAt: AnyPgColumn; id: AnyPgColumn },
  cursor: string | undefined,
  order: 'asc' | 'desc',
): SQL | undefined {
  const key = decodeCursor(cursor, 2)
  if (!key) return undefined
  const [at, id] = key
  if (typeof at !== 'string' || typeof id !== 'string' || !SORT_KEY_PATTERN.test(at)) {
    throw new ApiError(400, 'VALIDATION_FAILED', 'The cursor is not valid.', {
      fields: [{ path: 'query.cursor', message: 'not a cursor from a previous page' }],
    })
  }
  return order === 'desc'
    ? sql`(${columns.createdAt}, ${columns.id}) < (${at}::timestamptz, ${id})`
    : sql`(${columns.createdAt}, ${columns.id}) > (${at}::timestamptz, ${id})`
}

/**
 * Cuts a page from `limit + 1` rows fetched with `sortKey` as `sortKey`: the extra row only
 * says that another page exists. The sort key is dropped from what callers return.
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
