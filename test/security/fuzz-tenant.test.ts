import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../../worker/env.ts'
import { fuzzFile, SKIPPED, SUITES, type Suite, suiteOf } from '../helpers/fuzz.ts'

// Issue 9: property tests of the rest of the tenant API (connections, privacy, messages, audit). The
// routes come from the served OpenAPI document, so a new route is fuzzed without touching this file.
const operations = await fuzzFile('tenant', env as unknown as Bindings)

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
    const counts = Object.fromEntries(SUITES.map((suite) => [suite, 0])) as Record<Suite, number>
    for (const op of operations) if (!(op.key in SKIPPED)) counts[suiteOf(op)]++
    // Every suite has its file and at least one operation; together with the skipped they are all.
    for (const suite of SUITES)
      expect({ suite, operations: counts[suite] > 0 }).toEqual({ suite, operations: true })
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0)
    expect(total + Object.keys(SKIPPED).length).toBe(keys.size)
  })
})
