import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Bindings } from '../../worker/env.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { fuzzSuite, loadOperations, prepareTenantSide, SKIPPED, suiteOf } from '../helpers/fuzz.ts'

// Issue 9: property tests of the tenant API (auth, team, connections, privacy). The routes come
// from the served OpenAPI document, so a new route is fuzzed without touching this file.
const operations = await loadOperations(env as unknown as Bindings)

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

describe('the fuzz suites cover the whole document', () => {
  it('give every operation to a suite, or skip it with a stated reason that names a real operation', () => {
    const keys = new Set(operations.map((op) => op.key))
    expect(keys.size).toBeGreaterThanOrEqual(95)
    for (const [key, reason] of Object.entries(SKIPPED)) {
      expect({ key, known: keys.has(key), reason: reason.trim().length > 10 }).toEqual({
        key,
        known: true,
        reason: true,
      })
    }
    const counts = { tenant: 0, modules: 0, admin: 0 }
    for (const op of operations) if (!(op.key in SKIPPED)) counts[suiteOf(op)]++
    expect(counts.tenant + counts.modules + counts.admin + Object.keys(SKIPPED).length).toBe(keys.size)
  })
})

fuzzSuite('tenant', operations, () => prepareTenantSide(db))
