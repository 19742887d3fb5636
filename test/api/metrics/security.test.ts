import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker, recordSql } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

afterEach(() => {
  vi.restoreAllMocks()
})

const ROUTES = [
  '/api/v1/metrics?from=2026-03-01&to=2026-03-02',
  '/api/v1/metrics/points?from=2026-03-01&to=2026-03-02',
  '/api/v1/metrics/summary?from=2026-03-01&to=2026-03-02',
  '/api/v1/metrics/export?format=csv&from=2026-03-01&to=2026-03-02',
]

/** A tenant with one Instagram connection and two days of reach and followers. */
async function tenantWithData(options: Parameters<typeof createTenant>[1] = {}) {
  const tenant = await createTenant(db, options)
  const connectionId = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id, label) values ($1, $2, 'instagram', $1, 'Conta')`,
    [connectionId, tenant.tenantId],
  )
  await db.owner(
    `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
     values ($1, $2, 'reach', 'day', '2026-03-01', 10), ($1, $2, 'reach', 'day', '2026-03-02', 20),
            ($1, $2, 'followers', 'lifetime', '2026-03-01', 100), ($1, $2, 'followers', 'lifetime', '2026-03-02', 110)`,
    [tenant.tenantId, connectionId],
  )
  return { tenant, connectionId }
}

async function signedIn(tenantId: string, role: 'owner' | 'admin' | 'analyst' | 'viewer') {
  const member = await createMember(db, tenantId, role)
  return as(db, (await login(db, member.email)).access_token)
}

/** What each route answers, reduced to the connection ids it let through. */
async function connectionIdsIn(response: Response): Promise<string[]> {
  expect(response.status).toBe(200)
  const text = new TextDecoder().decode(await response.arrayBuffer())
  if (response.headers.get('content-type')?.startsWith('text/csv'))
    return text
      .split('\r\n')
      .slice(1, -1)
      .map((line) => line.split(',')[1] as string)
  const body = JSON.parse(text) as {
    series?: { connection_id: string }[]
    data?: { connection_id: string }[]
  }
  return (body.series ?? body.data ?? []).map((row) => row.connection_id)
}

describe('metrics routes: security', () => {
  it('answer 401 without credentials', async () => {
    for (const route of ROUTES) {
      const response = await callWorker(db.env, route)
      expect([route, response.status, await errorCode(response)]).toEqual([route, 401, 'UNAUTHENTICATED'])
    }
  })

  it('let every tenant role read, viewers included', async () => {
    const { tenant, connectionId } = await tenantWithData()
    for (const role of ['viewer', 'analyst', 'admin'] as const) {
      const call = await signedIn(tenant.tenantId, role)
      const seen = []
      for (const route of ROUTES) seen.push(...(await connectionIdsIn(await call(route))))
      // 2 series, 4 points, 1 summary card, 4 exported rows
      expect([role, seen]).toEqual([role, Array(11).fill(connectionId)])
    }
  })

  it('let an API key read', async () => {
    const { tenant, connectionId } = await tenantWithData()
    const owner = await signedIn(tenant.tenantId, 'owner')
    const created = await owner('/api/v1/api-keys', {
      method: 'POST',
      json: { name: 'warehouse', role: 'viewer' },
    })
    const key = as(db, ((await created.json()) as { key: string }).key)
    expect(await connectionIdsIn(await key(ROUTES[0] as string))).toEqual([connectionId, connectionId])
    expect(await connectionIdsIn(await key(ROUTES[1] as string))).toHaveLength(4)
    expect(await connectionIdsIn(await key(ROUTES[2] as string))).toEqual([connectionId])
    expect(await connectionIdsIn(await key(ROUTES[3] as string))).toHaveLength(4)
  })

  it('never show another tenant’s points, even asked for by connection id: it reads like an unknown id', async () => {
    const a = await tenantWithData()
    const b = await tenantWithData()
    const callA = await signedIn(a.tenant.tenantId, 'owner')
    for (const route of ROUTES) {
      expect([route, await connectionIdsIn(await callA(route))]).toEqual([
        route,
        route.includes('points') || route.includes('export')
          ? [a.connectionId, a.connectionId, a.connectionId, a.connectionId]
          : route.includes('summary')
            ? [a.connectionId]
            : [a.connectionId, a.connectionId],
      ])
      for (const id of [b.connectionId, newId('con')]) {
        expect([route, id, await connectionIdsIn(await callA(`${route}&connection_id=${id}`))]).toEqual([
          route,
          id,
          [],
        ])
      }
    }
  })

  it('answer 403 LICENSE_INACTIVE without an active license, 403 MODULE_DISABLED without the module', async () => {
    const suspended = await tenantWithData({ licenseStatus: 'suspended' })
    const noModule = await tenantWithData({ modules: ['calendar'] })
    const callSuspended = await signedIn(suspended.tenant.tenantId, 'owner')
    const callNoModule = await signedIn(noModule.tenant.tenantId, 'owner')
    for (const route of ROUTES) {
      const inactive = await callSuspended(route)
      expect([route, inactive.status, await errorCode(inactive)]).toEqual([route, 403, 'LICENSE_INACTIVE'])
      const disabled = await callNoModule(route)
      expect([route, disabled.status, await errorCode(disabled)]).toEqual([route, 403, 'MODULE_DISABLED'])
    }
  })

  it('answer 403 to operators of the central, who read no tenant’s metrics this way', async () => {
    const operator = await createOperator(db)
    const call = as(db, (await login(db, operator.email)).access_token)
    for (const route of ROUTES) {
      const response = await call(route)
      expect([route, response.status, await errorCode(response)]).toEqual([route, 403, 'FORBIDDEN'])
    }
  })
})

describe('metrics routes: SQL statements per read', () => {
  /** The statements of one call, its body read to the end (the export streams). */
  const statementsOf = async (call: ReturnType<typeof as>, route: string) => {
    const { result, statements } = await recordSql(async () => {
      const response = await call(route)
      await response.arrayBuffer()
      return response
    })
    expect([route, result.status]).toEqual([route, 200])
    expect([statements[0]?.trim(), statements.at(-1)]).toEqual(['begin', 'commit'])
    const inner = statements.slice(1, -1)
    // Everything in one transaction, and the metrics read in one statement.
    expect(inner.some((text) => /^\s*(begin|commit)/.test(text))).toBe(false)
    expect(inner.filter((text) => text.includes('metric_points'))).toHaveLength(1)
    return inner
  }
  const READS = [`${ROUTES[0]}&compare=previous_period&granularity=week`, ...ROUTES.slice(1)]

  it('a member: one statement for tenant, session and license, then one read: 2 besides BEGIN/COMMIT, 4 in all', async () => {
    const { tenant } = await tenantWithData()
    const call = await signedIn(tenant.tenantId, 'viewer')
    for (const route of READS) {
      const inner = await statementsOf(call, route)
      expect([route, inner.length]).toEqual([route, 2])
      expect(inner.filter((text) => text.includes('from sessions'))).toHaveLength(1)
    }
  })

  it('an API key: key check (which sets the tenant and reads the license), one read; 2 statements, 3 when it stamps last_used_at', async () => {
    const { tenant } = await tenantWithData()
    const owner = await signedIn(tenant.tenantId, 'owner')
    const created = await owner('/api/v1/api-keys', { method: 'POST', json: { name: 'bi', role: 'viewer' } })
    const key = as(db, ((await created.json()) as { key: string }).key)
    expect(await statementsOf(key, READS[0] as string)).toHaveLength(3) // first use: last_used_at written
    for (const route of READS) expect([route, (await statementsOf(key, route)).length]).toEqual([route, 2])
  })
})
