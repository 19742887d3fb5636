import { beforeAll, describe, expect, it } from 'vitest'
import { auditListingRules, readAllAudit, seedAudit } from '../../helpers/audit.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

// A database of its own, so the log holds exactly what these tests wrote.
let db: TestDatabase
let admin: ReturnType<typeof as>
let operatorId: string
let memberId: string
let t1: string
let t2: string
let createRequestId: string | null
const started = new Date(Date.now() - 1000)

type Row = {
  id: string
  action: string
  tenant_id: string | null
  actor_id: string
  request_id: string | null
}
type Page = { data: Row[]; next_cursor: string | null }

beforeAll(async () => {
  db = await createTestDatabase()
  const operator = await createOperator(db)
  operatorId = operator.id
  admin = as(db, (await login(db, operator.email)).access_token)
  const fixture = await createTenant(db)
  const member = await createMember(db, fixture.tenantId, 'owner')
  memberId = member.id
  await login(db, member.email)

  const created = await admin('/api/v1/admin/tenants', {
    method: 'POST',
    json: { slug: 'initech', name: 'Initech' },
  })
  createRequestId = created.headers.get('x-request-id')
  t1 = ((await created.json()) as { id: string }).id
  await admin(`/api/v1/admin/tenants/${t1}`, { method: 'PATCH', json: { name: 'Initech Corp' } })
  await admin('/api/v1/admin/plans', {
    method: 'POST',
    json: {
      code: 'starter',
      name: 'Starter',
      modules: ['metrics'],
      limits: { users: 3, connections: 3, retention_days: 90, collection_interval_minutes: 60 },
    },
  })
  const second = await admin('/api/v1/admin/tenants', {
    method: 'POST',
    json: { slug: 'hooli', name: 'Hooli' },
  })
  t2 = ((await second.json()) as { id: string }).id
})

const read = async (query: string): Promise<Page> => {
  const response = await admin(`/api/v1/admin/audit?${query}`)
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as Page
}

describe('GET /api/v1/admin/audit', () => {
  it('shows one tenant’s rows, newest first, with the request that made them', async () => {
    const page = await read(`tenant_id=${t1}`)
    expect(page.data.map((row) => row.action)).toEqual(['tenant.updated', 'tenant.created'])
    expect(page.data[1]?.request_id).toBe(createRequestId)
    expect(page.next_cursor).toBeNull()
  })

  it('filters by action prefix, taken literally', async () => {
    expect((await read('action=tenant.')).data.map((row) => [row.action, row.tenant_id])).toEqual([
      ['tenant.created', t2],
      ['tenant.updated', t1],
      ['tenant.created', t1],
    ])
    expect((await read('action=plan')).data.map((row) => row.action)).toEqual(['plan.created'])
    expect((await read('action=%25')).data).toEqual([])
  })

  it('filters by actor and by time', async () => {
    const mine = await read(`actor_id=${memberId}`)
    expect(mine.data.map((row) => row.action)).toEqual(['auth.login'])
    const theirs = await read(`actor_id=${operatorId}&limit=100`)
    expect(theirs.data.map((row) => row.action)).toEqual([
      'tenant.created',
      'plan.created',
      'tenant.updated',
      'tenant.created',
      'auth.login',
    ])
    const now = new Date(Date.now() + 1000).toISOString()
    expect((await read(`from=${now}`)).data).toEqual([])
    expect((await read(`to=${started.toISOString()}`)).data).toEqual([])
    expect((await read(`from=${started.toISOString()}&to=${now}&limit=100`)).data).toHaveLength(6)
  })

  it('pages through everything newest first without repeats', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: Page = await read(`limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.data.length).toBeLessThanOrEqual(2)
      seen.push(...page.data.map((row) => row.id))
      cursor = page.next_cursor
    } while (cursor)
    const all = await db.owner<{ id: string }>('select id from audit_log order by created_at desc, id desc')
    expect(seen).toEqual(all.map((row) => row.id))
    expect(seen).toHaveLength(6)
  })

  it('includes the central’s own rows (no tenant) and returns their `data` as written', async () => {
    const [central] = await seedAudit(db, null, [{ action: 'seed.central', at: '2020-01-01T00:00:00Z' }])
    const rows = await readAllAudit(admin, '/api/v1/admin/audit', 'action=seed.central')
    expect(rows).toMatchObject([{ id: central, tenant_id: null, data: { fooBar: 1 } }])
  })

  it('names an invalid tenant filter', async () => {
    const response = await admin('/api/v1/admin/audit?tenant_id=x')
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { fields: { path: string }[] } }
    expect(body.error.fields.map((f) => f.path)).toEqual(['query.tenant_id'])
  })
})

// After the tests above, which count every row of this database.
describe('rules shared with /api/v1/audit', () => {
  auditListingRules('/api/v1/admin/audit', async () => {
    const tenant = await createTenant(db)
    return { db, call: admin, tenantId: tenant.tenantId, scope: `tenant_id=${tenant.tenantId}&` }
  })
})

describe('security of /api/v1/admin/audit', () => {
  it('needs authentication', async () => {
    expect((await callWorker(db.env, '/api/v1/admin/audit')).status).toBe(401)
  })

  it('is for operators: a tenant owner gets 403', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const response = await as(db, (await login(db, owner.email)).access_token)('/api/v1/admin/audit')
    expect(response.status).toBe(403)
    expect(await errorCode(response)).toBe('FORBIDDEN')
  })
})
