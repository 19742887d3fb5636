import { env } from 'cloudflare:workers'
import type { Bindings } from '../../worker/env.ts'
import { fuzzFile } from '../helpers/fuzz.ts'

// Issue 9: property tests of sign-in, the team, API keys and the tenant's settings. The routes
// come from the served OpenAPI document (test/helpers/fuzz.ts suiteOf), so a new route is fuzzed
// without touching this file.
await fuzzFile('accounts', env as unknown as Bindings)
