import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { as, createMember, createTenant, login } from '../helpers/fixtures.ts'
import { fuzzEnv, problemsOf } from '../helpers/fuzz.ts'

/**
 * The cases the property tests (fuzz-*.test.ts) found, kept as plain examples: each answered a
 * 5xx before its fix. Generated inputs change with the arbitraries; these stay.
 */
let db: TestDatabase
let call: ReturnType<typeof as>
let memberId: string
let connectionId: string

beforeAll(async () => {
  const plain = await createTestDatabase()
  db = { ...plain, env: { ...plain.env, ...fuzzEnv(plain.env) } }
  const tenant = await createTenant(db, { modules: ['metrics', 'calendar'] })
  const owner = await createMember(db, tenant.tenantId, 'owner')
  memberId = (await createMember(db, tenant.tenantId, 'viewer')).id
  connectionId = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'instagram', '1')`,
    [connectionId, tenant.tenantId],
  )
  call = as(db, (await login(db, owner.email)).access_token)
})

async function answer(response: Response) {
  const text = await response.text()
  const body = JSON.parse(text) as { error?: { code?: string; fields?: { path: string }[] } }
  return {
    status: response.status,
    code: body.error?.code,
    field: body.error?.fields?.[0]?.path,
    problems: problemsOf(response, text),
  }
}

describe('inputs the fuzzer found', () => {
  it('refuses text Postgres cannot store (NUL, unpaired surrogates) with a 400, not a driver error', async () => {
    const cases: [string, RequestInit & { json: unknown }, string][] = [
      // jsonb (the audit row) refuses \ud800.
      [
        '/api/v1/consent',
        {
          method: 'POST',
          json: {
            subject: 'tenant',
            purpose: 'metrics_collection',
            policy_version: '\ud800a',
            granted: true,
          },
        },
        'json.policy_version',
      ],
      // text refuses \u0000.
      [`/api/v1/users/${memberId}`, { method: 'PATCH', json: { name: '\u0000a' } }, 'json.name'],
      ['/api/v1/api-keys', { method: 'POST', json: { name: '\u0000', role: 'viewer' } }, 'json.name'],
      [`/api/v1/connections/${connectionId}`, { method: 'PATCH', json: { label: 'a\u0000' } }, 'json.label'],
    ]
    for (const [path, init, field] of cases) {
      expect([path, await answer(await call(path, init))]).toEqual([
        path,
        { status: 400, code: 'VALIDATION_FAILED', field, problems: [] },
      ])
    }
  })

  it('refuses a platform token with whitespace inside as invalid input, not as a platform outage (503)', async () => {
    const response = await call('/api/v1/connections', {
      method: 'POST',
      json: { platform: 'x', external_account_id: 'x', access_token: 'aaaaaa\na' },
    })
    expect(await answer(response)).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'json.access_token',
      problems: [],
    })
  })
})

describe('calendar dates the fuzzer found', () => {
  it('refuses a date that is no date at all with a 400 (it threw RangeError: a 500)', async () => {
    for (const query of ['from=0000-30-00', `from=${'x'.repeat(20)}`]) {
      const response = await call(`/api/v1/calendar/statistics?${query}`)
      expect([query, (await answer(response)).status]).toEqual([query, 400])
    }
  })
})
