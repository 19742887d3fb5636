import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import { uniqueAccount } from '../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import {
  as,
  createMember,
  createOperator,
  createTenant,
  login,
  type TenantFixture,
} from '../helpers/fixtures.ts'
import { fuzzEnv, problemsOf } from '../helpers/fuzz.ts'
import { portalClient } from '../helpers/portal.ts'

/**
 * The cases the property tests (fuzz-*.test.ts) found, kept as plain examples: each answered a
 * 5xx before its fix. Generated inputs change with the arbitraries; these stay.
 */
let db: TestDatabase
let call: ReturnType<typeof as>
let operator: ReturnType<typeof as>
let tenant: TenantFixture
let ownerEmail: string
let operatorEmail: string
let memberId: string
let connectionId: string

beforeAll(async () => {
  const plain = await createTestDatabase()
  db = { ...plain, env: { ...plain.env, ...fuzzEnv(plain.env) } }
  tenant = await createTenant(db, { modules: ['metrics', 'calendar'] })
  const owner = await createMember(db, tenant.tenantId, 'owner')
  memberId = (await createMember(db, tenant.tenantId, 'viewer')).id
  connectionId = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'instagram', '1')`,
    [connectionId, tenant.tenantId],
  )
  call = as(db, (await login(db, owner.email)).access_token)
  ownerEmail = owner.email
  operatorEmail = (await createOperator(db)).email
  operator = as(db, (await login(db, operatorEmail)).access_token)
})

async function answer(response: Response) {
  const text = await response.text()
  const json = response.headers.get('content-type')?.startsWith('application/json')
  const body = (json ? JSON.parse(text) : {}) as { error?: { code?: string; fields?: { path: string }[] } }
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

type Request = [ReturnType<typeof as>, string, RequestInit & { json?: unknown }]

/**
 * One line per request, `status code method path`, so a failing list shows every request that is
 * not a 400 VALIDATION_FAILED in the envelope (`problems` names what else is wrong).
 */
async function answersTo(requests: Request[]): Promise<string[]> {
  const lines = []
  for (const [caller, path, init] of requests) {
    const { status, code, problems } = await answer(await caller(path, init))
    lines.push([status, code, ...problems, init.method ?? 'GET', path].join(' '))
  }
  return lines
}
const allRefused = (requests: Request[]) =>
  requests.map(([, path, init]) => ['400 VALIDATION_FAILED', init.method ?? 'GET', path].join(' '))

describe('dates Postgres cannot store (issue 23: the probe answered 500)', () => {
  it('refuses year 0 and years past 9999 in every date and date-time input with a 400', async () => {
    const property = (await (
      await call('/api/v1/calendar/properties', { method: 'POST', json: { name: 'Dates', timezone: 'UTC' } })
    ).json()) as { id: string }
    const booking = (await (
      await call('/api/v1/calendar/bookings', {
        method: 'POST',
        json: { property_id: property.id, check_in: '2026-03-01', check_out: '2026-03-04' },
      })
    ).json()) as { booking: { id: string } }
    const metrics = ['', '/points', '/summary', '/export', '/webhooks'].flatMap((path) =>
      [
        'from=0000-01-01&to=0000-12-31',
        'from=0000-12-20&to=0001-01-10',
        'from=9999-12-20&to=10000-01-10',
        'from=infinity&to=2026-01-01',
        'to=0000-12-31',
      ].map(
        (period): Request => [
          call,
          `/api/v1/metrics${path}?${period}${path === '/export' ? '&format=csv' : ''}`,
          {},
        ],
      ),
    )
    const bookingBody = (checkIn: string, checkOut: string) => ({
      property_id: property.id,
      check_in: checkIn,
      check_out: checkOut,
    })
    const requests: Request[] = [
      ...metrics,
      [call, '/api/v1/calendar/bookings?from=0000-01-01&to=0000-12-31', {}],
      [call, '/api/v1/calendar/bookings?to=0000-12-31', {}],
      [call, '/api/v1/calendar/bookings?from=10000-01-01', {}],
      [call, '/api/v1/calendar/statistics?from=0000-01-01&to=0000-12-31', {}],
      [call, '/api/v1/calendar/statistics?from=0000-12-20&to=0001-01-10', {}],
      [call, '/api/v1/calendar/bookings', { method: 'POST', json: bookingBody('0000-02-29', '0000-03-02') }],
      [call, '/api/v1/calendar/bookings', { method: 'POST', json: bookingBody('0000-12-30', '0001-01-02') }],
      [
        call,
        `/api/v1/calendar/bookings/${booking.booking.id}`,
        { method: 'PATCH', json: { check_in: '0000-12-30', check_out: '0001-01-02' } },
      ],
      [call, '/api/v1/audit?from=0000-01-01T00:00:00Z', {}],
      [call, '/api/v1/audit?to=0000-12-31T23:59:59Z', {}],
      // An offset that moves the instant out of range: 0001-01-01 in UTC+1 is year 0 in UTC.
      [call, '/api/v1/audit?from=0001-01-01T00:30:00%2B01:00', {}],
      [call, '/api/v1/audit?to=9999-12-31T23:30:00-01:00', {}],
      [operator, '/api/v1/admin/audit?from=0000-01-01T00:00:00Z', {}],
      [
        operator,
        '/api/v1/admin/licenses',
        {
          method: 'POST',
          json: {
            tenant_id: tenant.tenantId,
            plan_id: tenant.planId,
            valid_from: '0000-06-01T00:00:00Z',
            valid_until: '2030-01-01T00:00:00Z',
          },
        },
      ],
      [
        operator,
        `/api/v1/admin/licenses/${tenant.licenseId}/renew`,
        { method: 'POST', json: { valid_until: '9999-12-31T23:30:00-01:00' } },
      ],
      [
        call,
        '/api/v1/connections',
        {
          method: 'POST',
          json: {
            platform: 'instagram',
            external_account_id: uniqueAccount('178414'),
            access_token: `fake-ig-${crypto.randomUUID()}`,
            expires_at: '0000-06-01T00:00:00Z',
          },
        },
      ],
    ]
    expect(await answersTo(requests)).toEqual(allRefused(requests))
  })
})

describe('the first and last days Postgres stores', () => {
  it('answers reads at year 1 and year 9999, and refuses a comparison with the period before year 1', async () => {
    const periods = [
      'from=0001-01-01&to=0001-01-10',
      // The default 30 days would start in year 0: they start on 0001-01-01.
      'to=0001-01-05',
      'from=9999-12-20&to=9999-12-31',
      'from=0001-01-01&to=0001-01-01',
    ]
    // The summary always compares with the period before; here that period is in year 0.
    const compares = (path: string, period: string) => path === '/summary' && !period.startsWith('from=9999')
    const expected = [
      ...['', '/points', '/summary', '/export', '/webhooks'].flatMap((path) =>
        periods.map(
          (period) =>
            `${compares(path, period) ? 400 : 200} /api/v1/metrics${path}?${period}${path === '/export' ? '&format=csv' : ''}`,
        ),
      ),
      '400 /api/v1/metrics?from=0001-01-01&to=0001-01-10&compare=previous_period&granularity=week',
      '200 /api/v1/metrics?from=0001-01-11&to=0001-01-20&compare=previous_period&granularity=week',
      '200 /api/v1/metrics?from=9999-11-01&to=9999-12-31&granularity=month',
      '200 /api/v1/calendar/bookings?from=0001-01-01&to=9999-12-31',
      '200 /api/v1/calendar/statistics?from=0001-01-01&to=0001-01-10',
      '200 /api/v1/calendar/statistics?from=9999-12-01&to=9999-12-31',
      '200 /api/v1/audit?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.999Z',
    ]
    const answers = []
    for (const line of expected) {
      const path = line.slice(4)
      const { status, problems } = await answer(await call(path))
      answers.push([status, ...problems, path].join(' '))
    }
    expect(answers).toEqual(expected)
  })
})

describe('portal filters at the edges of the stored dates', () => {
  it('answers the member and operator pages without a 5xx for year 0, year 1 and year 9999', async () => {
    const member = portalClient(db)
    await member.login(ownerEmail)
    const operatorPortal = portalClient(db)
    await operatorPortal.login(operatorEmail, 'admin')
    const pages: [ReturnType<typeof portalClient>, string][] = [
      ...['/app', '/app/metrics', '/app/metrics/export'].flatMap(
        (page): [ReturnType<typeof portalClient>, string][] =>
          [
            '0000-01-01&to=0000-12-31',
            '0000-12-20&to=0001-01-10',
            '0001-01-01&to=0001-01-10',
            '9999-12-01&to=9999-12-31',
          ].map((period) => [member, `${page}?period=custom&from=${period}`]),
      ),
      [member, '/app/calendar/statistics?period=month&month=0000-01'],
      [operatorPortal, '/admin/audit?from=0000-01-01&to=0000-12-31'],
      [operatorPortal, '/admin/audit?from=9999-12-31&to=9999-12-31'],
    ]
    const answers = []
    for (const [client, path] of pages)
      answers.push(`${(await client.request(path)).status < 500 ? 'fine' : 500} ${path}`)
    expect(answers).toEqual(pages.map(([, path]) => `fine ${path}`))
  })
})

/** A cursor as the API writes one: base64url of the JSON of the last row's sort key. */
const cursorOf = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
const zeros = (prefix: string) => `${prefix}_${'0'.repeat(20)}`
const LAST_MICROSECOND = '9999-12-31T23:59:59.999999Z'

/** Every keyset list, with a cursor of the right shape that names no row (the last instant or day). */
const lists = (): [who: 'owner' | 'operator', path: string, valid: unknown[]][] => [
  ['owner', '/api/v1/users', [LAST_MICROSECOND, zeros('usr')]],
  ['owner', '/api/v1/api-keys', [LAST_MICROSECOND, zeros('key')]],
  ['owner', '/api/v1/audit', [LAST_MICROSECOND, zeros('aud')]],
  ['owner', '/api/v1/connections', [zeros('con')]],
  ['owner', '/api/v1/consent', [LAST_MICROSECOND, zeros('cns')]],
  ['owner', '/api/v1/exports', [LAST_MICROSECOND, zeros('exp')]],
  ['owner', '/api/v1/calendar/bookings', ['9999-12-31', zeros('bkg')]],
  ['owner', '/api/v1/calendar/conflicts', [LAST_MICROSECOND, zeros('cfl')]],
  ['owner', '/api/v1/calendar/properties', [zeros('prp')]],
  ['owner', '/api/v1/calendar/sources', [zeros('src')]],
  ['owner', '/api/v1/metrics/points', ['9999-12-31', zeros('con'), 'reach', 'day']],
  ['operator', '/api/v1/admin/tenants', [LAST_MICROSECOND, zeros('ten')]],
  ['operator', `/api/v1/admin/tenants/${tenant.tenantId}/users`, [LAST_MICROSECOND, zeros('usr')]],
  ['operator', '/api/v1/admin/licenses', [LAST_MICROSECOND, zeros('lic')]],
  ['operator', '/api/v1/admin/audit', [LAST_MICROSECOND, zeros('aud')]],
  ['operator', '/api/v1/admin/plans', [LAST_MICROSECOND, zeros('pln')]],
  ['operator', '/api/v1/admin/erasure-requests', [LAST_MICROSECOND, zeros('era')]],
  ['operator', '/api/v1/admin/erasure-receipts', [LAST_MICROSECOND, zeros('rcp')]],
]

/**
 * Cursors of the list's shape, each wrong in one way: one value short, a value that is a number,
 * a value of the right type that is no key (a day or instant Postgres does not store, an id of
 * another prefix, text Postgres cannot store). `ses_` ids are in no list. test/services/keyset.test.ts
 * runs many more through the codec itself.
 */
function forgedLike(valid: unknown[]): unknown[][] {
  const noKey = (value: unknown) =>
    value === LAST_MICROSECOND
      ? '0000-12-31T23:59:59.999999Z'
      : value === '9999-12-31'
        ? '2026-02-29'
        : /^[a-z]{3}_/.test(String(value))
          ? zeros('ses')
          : 'a\u0000'
  const replaced = (i: number, value: unknown) => valid.map((v, j) => (i === j ? value : v))
  return [valid.slice(1), ...valid.flatMap((v, i) => [replaced(i, 1), replaced(i, noKey(v))])]
}

describe('cursors that decode to something else than a sort key (issue 23 §2)', () => {
  it('answers 400 naming query.cursor on every list, before any query', async () => {
    const callers = { owner: () => call, operator: () => operator }
    const requests: Request[] = [
      // The probe's three: a 500 on the bookings list.
      ...[
        ['not-a-date', 'x'],
        ['2026-99-99', zeros('bkg')],
        ["' OR 1=1--", 'x'],
      ].map((key): Request => [call, `/api/v1/calendar/bookings?cursor=${cursorOf(key)}`, {}]),
      ...lists().flatMap(([who, path, valid]) =>
        forgedLike(valid).map((key): Request => [callers[who](), `${path}?cursor=${cursorOf(key)}`, {}]),
      ),
    ]
    expect(await answersTo(requests)).toEqual(allRefused(requests))
  }, 120_000)

  it('answers 200 for a cursor of the right shape, up to the last day and microsecond stored', async () => {
    const callers = { owner: () => call, operator: () => operator }
    const answers = []
    for (const [who, path, valid] of lists()) {
      const response = await callers[who]()(`${path}?cursor=${cursorOf(valid)}`)
      answers.push(`${response.status} ${path}`)
    }
    expect(answers).toEqual(lists().map(([, path]) => `200 ${path}`))
  })
})
