/**
 * The name of the unique constraint a Postgres error (23505) violated, looking through the
 * driver's and drizzle's wrappers; null for any other error. Services turn it into a 409 with a
 * clear code instead of letting a driver error become a 500.
 */
export function uniqueViolation(error: unknown): string | null {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, constraint, cause } = current as { code?: unknown; constraint?: unknown; cause?: unknown }
    if (code === '23505') return typeof constraint === 'string' ? constraint : ''
    current = cause
  }
  return null
}
