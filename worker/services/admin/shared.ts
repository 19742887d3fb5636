import { type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { ApiError } from '../../errors.ts'
import { decodeCursor, encodeCursor } from '../../http.ts'

/**
 * The Postgres error behind a failed query (drizzle wraps the driver's error in `cause`), or
 * null when the failure did not come from the server.
 */
function postgresError(error: unknown): { code: string; constraint?: string } | null {
  let current: unknown = error
  for (let depth = 0; current && depth < 5; depth++) {
    const candidate = current as { code?: unknown; constraint?: unknown; cause?: unknown }
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return {
        code: candidate.code,
        constraint: typeof candidate.constraint === 'string' ? candidate.constraint : undefined,
      }
    }
    current = candidate.cause
  }
  return null
}

/**
 * For `.catch(...)` on a write: a unique violation (23505) of one of the named constraints
 * becomes the matching 409, so a race lost to a concurrent request never surfaces as a 500.
 * Anything else is rethrown unchanged.
 */
export function onUniqueViolation(conflicts: Record<string, () => ApiError>) {
  return (error: unknown): never => {
    const pg = postgresError(error)
    const conflict = pg?.code === '23505' && pg.constraint ? conflicts[pg.constraint] : undefined
    throw conflict ? conflict() : error
  }
}

export const notFound = (what: string) => new ApiError(404, 'NOT_FOUND', `No such ${what}.`)

/** A 400 raised by a service for a field whose value is well-formed but not acceptable. */
export function invalidField(path: string, message: string): ApiError {
  return new ApiError(400, 'VALIDATION_FAILED', 'The request has invalid fields.', {
    fields: [{ path, message }],
  })
}

/** The caller's text for a LIKE pattern, its `%`, `_` and `\` taken literally. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/**
 * `created_at` to the microsecond, as ISO text in UTC, for cursors: a JS Date keeps milliseconds
 * only, and rows written in one transaction share a timestamp, so the cursor must keep all of it.
 */
export const cursorTime = (createdAt: AnyPgColumn) =>
  sql<string>`to_char(${createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** The keyset condition for newest-first lists: rows strictly after the cursor's (created_at, id). */
export function afterCursor(
  createdAt: AnyPgColumn,
  id: AnyPgColumn,
  cursor: string | undefined,
): SQL | undefined {
  const key = decodeCursor(cursor, 2)
  if (!key) return undefined
  const [at, lastId] = key
  if (typeof at !== 'string' || typeof lastId !== 'string' || !CURSOR_TIME.test(at)) {
    throw invalidField('query.cursor', 'not a cursor from a previous page')
  }
  return sql`(${createdAt}, ${id}) < (${at}::timestamptz, ${lastId})`
}

/** Cuts the `limit + 1` rows a list fetched into a page and the cursor of the next one. */
export function toPage<T extends { id: string; cursorAt: string }>(
  rows: T[],
  limit: number,
): { data: Omit<T, 'cursorAt'>[]; nextCursor: string | null } {
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    data: page.map(({ cursorAt: _, ...row }) => row),
    nextCursor: rows.length > limit && last ? encodeCursor([last.cursorAt, last.id]) : null,
  }
}
