import { env } from 'cloudflare:workers'
import { beforeAll } from 'vitest'
import type { Bindings } from '../../worker/env.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { fuzzSuite, loadOperations, prepareAdminSide } from '../helpers/fuzz.ts'

// Issue 9: property tests of the admin central, as an operator. The routes come
// from the served OpenAPI document, so a new route is fuzzed without touching this file.
const operations = await loadOperations(env as unknown as Bindings)

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

fuzzSuite('admin', operations, () => prepareAdminSide(db))
