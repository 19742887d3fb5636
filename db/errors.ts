/**
 * The name of the unique constraint a failed query violated (Postgres 23505), looking through the
 * driver's and drizzle's wrappers (`cause`); '' if the server named none, null for any other error.
 */
export function uniqueViolation(error: unknown): string | null {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, constraint, cause } = current as { code?: unknown; constraint?: unknown; cause?: unknown }
    if (code === '23505') return typeof constraint === 'string' ? constraint : ''
    current = cause
  }
  return null
}

/**
 * For `.catch(...)` on a write: a unique violation of one of the named constraints becomes the
 * matching error (a 409 in the API), so a race lost to a concurrent request never surfaces as a
 * 500. Anything else is rethrown unchanged.
 */
export function onUniqueViolation(conflicts: Record<string, () => Error>) {
  return (error: unknown): never => {
    const constraint = uniqueViolation(error)
    const conflict = constraint ? conflicts[constraint] : undefined
    throw conflict ? conflict() : error
  }
}

/**
 * Whether a failed query violated an exclusion constraint (Postgres 23P01), looking through the
 * driver's and drizzle's wrappers: the scheduling module's "this range is taken".
 */
export function isExclusionViolation(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown }
    if (code === '23P01') return true
    current = cause
  }
  return false
}
