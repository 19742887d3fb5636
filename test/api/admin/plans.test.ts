import { beforeAll, describe, expect, it } from 'vitest'
import { attendanceSetup, customerWrites } from '../../helpers/attendance.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'

let db: TestDatabase
let admin: ReturnType<typeof as>
let operatorId: string
beforeAll(async () => {
  db = await createTestDatabase()
  const operator = await createOperator(db)
  operatorId = operator.id
  admin = as(db, (await login(db, operator.email)).access_token)
})

type Plan = {
  id: string
  code: string
  name: string
  modules: string[]
  limits: {
    users: number
    connections: number
    retention_days: number
    collection_interval_minutes: number
    stores?: number
    attendance_messages: number
  }
  retired_at: string | null
}
type FieldErrors = { error: { code: string; fields: { path: string }[] } }

const unique = () => crypto.randomUUID().slice(0, 8)
const LIMITS = {
  users: 5,
  connections: 10,
  retention_days: 365,
  collection_interval_minutes: 60,
  attendance_messages: 1000,
}

async function newPlan(overrides: Record<string, unknown> = {}): Promise<Plan> {
  const response = await admin('/api/v1/admin/plans', {
    method: 'POST',
    json: { code: `pro-${unique()}`, name: 'Pro', modules: ['metrics'], limits: LIMITS, ...overrides },
  })
  expect(response.status).toBe(201)
  return (await response.json()) as Plan
}

const auditOf = (targetId: string) =>
  db.owner<{ action: string; actor_id: string; tenant_id: string | null; data: Record<string, unknown> }>(
    'select action, actor_id, tenant_id, data from audit_log where target_id = $1 order by created_at, id',
    [targetId],
  )

const fieldPaths = async (response: Response) =>
  ((await response.json()) as FieldErrors).error.fields.map((field) => field.path).sort()

describe('POST /api/v1/admin/plans', () => {
  it('creates a plan with modules and limits, audited as a central action', async () => {
    const code = `business-${unique()}`
    const plan = await newPlan({ code, name: 'Business', modules: ['metrics', 'calendar'] })
    expect(plan).toMatchObject({
      code,
      name: 'Business',
      modules: ['metrics', 'calendar'],
      limits: LIMITS,
      retired_at: null,
    })
    expect(plan.id).toMatch(/^pln_/)
    const [row] = await db.owner<{ users_limit: number; retention_days: number }>(
      'select users_limit, retention_days from plans where id = $1',
      [plan.id],
    )
    expect(row).toEqual({ users_limit: 5, retention_days: 365 })
    expect(await auditOf(plan.id)).toEqual([
      {
        action: 'plan.created',
        actor_id: operatorId,
        tenant_id: null,
        data: { code, modules: ['metrics', 'calendar'], limits: { ...LIMITS, stores: 1 } },
      },
    ])
  })

  it('answers 409 PLAN_CODE_TAKEN for a code in use', async () => {
    const plan = await newPlan()
    const response = await admin('/api/v1/admin/plans', {
      method: 'POST',
      json: { code: plan.code, name: 'Again', modules: ['calendar'], limits: LIMITS },
    })
    expect(response.status).toBe(409)
    expect(await errorCode(response)).toBe('PLAN_CODE_TAKEN')
  })

  it('accepts only known modules, once each, and positive integer limits', async () => {
    const response = await admin('/api/v1/admin/plans', {
      method: 'POST',
      json: {
        code: 'Bad Code',
        name: 'Bad',
        modules: ['metrics', 'telepathy'],
        limits: { users: 0, connections: 1.5, retention_days: -1 },
      },
    })
    expect(response.status).toBe(400)
    expect(await fieldPaths(response)).toEqual([
      'json.code',
      'json.limits.collection_interval_minutes',
      'json.limits.connections',
      'json.limits.retention_days',
      'json.limits.users',
      'json.modules.1',
    ])
    const twice = await admin('/api/v1/admin/plans', {
      method: 'POST',
      json: { code: `dup-${unique()}`, name: 'Dup', modules: ['metrics', 'metrics'], limits: LIMITS },
    })
    expect(await fieldPaths(twice)).toEqual(['json.modules'])
    const none = await admin('/api/v1/admin/plans', {
      method: 'POST',
      json: { code: `none-${unique()}`, name: 'None', modules: [], limits: LIMITS },
    })
    expect(await fieldPaths(none)).toEqual(['json.modules'])
  })
})

describe('GET /api/v1/admin/plans', () => {
  it('lists plans newest first, retired ones only with include_retired=true, in pages', async () => {
    const older = await newPlan()
    const retired = await newPlan()
    const newer = await newPlan()
    await admin(`/api/v1/admin/plans/${retired.id}/retire`, { method: 'POST' })

    const current = (await (await admin('/api/v1/admin/plans?limit=100')).json()) as { data: Plan[] }
    const ids = current.data.map((p) => p.id)
    expect(ids).toContain(older.id)
    expect(ids).not.toContain(retired.id)
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id))

    const all = (await (await admin('/api/v1/admin/plans?include_retired=true&limit=100')).json()) as {
      data: Plan[]
    }
    expect(all.data.find((p) => p.id === retired.id)?.retired_at).toEqual(expect.any(String))

    const first = (await (await admin('/api/v1/admin/plans?include_retired=true&limit=1')).json()) as {
      data: Plan[]
      next_cursor: string
    }
    expect(first.data).toHaveLength(1)
    const second = (await (
      await admin(`/api/v1/admin/plans?include_retired=true&limit=1&cursor=${first.next_cursor}`)
    ).json()) as { data: Plan[] }
    expect(second.data[0]?.id).not.toBe(first.data[0]?.id)
    expect(second.data[0]?.id).toBe(all.data[1]?.id)
  })

  it('validates include_retired', async () => {
    const response = await admin('/api/v1/admin/plans?include_retired=yes')
    expect(response.status).toBe(400)
    expect(await fieldPaths(response)).toEqual(['query.include_retired'])
  })
})

describe('PATCH /api/v1/admin/plans/:id', () => {
  it('changes only what is sent, and audits before and after', async () => {
    const plan = await newPlan()
    const response = await admin(`/api/v1/admin/plans/${plan.id}`, {
      method: 'PATCH',
      json: { name: 'Pro Plus', modules: ['metrics', 'calendar'], limits: { users: 25 } },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      code: plan.code,
      name: 'Pro Plus',
      modules: ['metrics', 'calendar'],
      limits: { ...LIMITS, users: 25 },
    })
    expect((await auditOf(plan.id)).at(-1)).toMatchObject({
      action: 'plan.updated',
      data: {
        from: { name: 'Pro', modules: ['metrics'], limits: { users: 5 } },
        to: { name: 'Pro Plus', modules: ['metrics', 'calendar'], limits: { users: 25 } },
      },
    })
  })

  it('changes what licensed tenants get at once', async () => {
    const fixture = await createTenant(db, { modules: ['metrics'] })
    await admin(`/api/v1/admin/plans/${fixture.planId}`, { method: 'PATCH', json: { modules: ['calendar'] } })
    const tenant = await admin(`/api/v1/admin/tenants/${fixture.tenantId}`)
    expect(await tenant.json()).toMatchObject({ modules: ['calendar'] })
  })

  it('answers 409 PLAN_CODE_TAKEN, 400 for nothing to change, 404 for an unknown plan', async () => {
    const [a, b] = [await newPlan(), await newPlan()]
    const taken = await admin(`/api/v1/admin/plans/${a.id}`, { method: 'PATCH', json: { code: b.code } })
    expect(taken.status).toBe(409)
    expect(await errorCode(taken)).toBe('PLAN_CODE_TAKEN')
    const empty = await admin(`/api/v1/admin/plans/${a.id}`, { method: 'PATCH', json: {} })
    expect(empty.status).toBe(400)
    const bad = await admin(`/api/v1/admin/plans/${a.id}`, {
      method: 'PATCH',
      json: { limits: { users: 0 } },
    })
    expect(await fieldPaths(bad)).toEqual(['json.limits.users'])
    const unknown = await admin('/api/v1/admin/plans/pln_00000000000000000000', {
      method: 'PATCH',
      json: { name: 'Ghost' },
    })
    expect(unknown.status).toBe(404)
    expect(await errorCode(unknown)).toBe('NOT_FOUND')
  })
})

describe('POST /api/v1/admin/plans/:id/retire', () => {
  it('retires once; a retired plan sells no new license but its licenses keep working', async () => {
    const fixture = await createTenant(db, { modules: ['metrics'] })
    const response = await admin(`/api/v1/admin/plans/${fixture.planId}/retire`, { method: 'POST' })
    expect(response.status).toBe(200)
    expect(((await response.json()) as Plan).retired_at).toEqual(expect.any(String))
    expect((await auditOf(fixture.planId)).at(-1)).toMatchObject({
      action: 'plan.retired',
      actor_id: operatorId,
    })

    const again = await admin(`/api/v1/admin/plans/${fixture.planId}/retire`, { method: 'POST' })
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('PLAN_RETIRED')

    const sale = await admin('/api/v1/admin/licenses', {
      method: 'POST',
      json: { tenant_id: fixture.tenantId, plan_id: fixture.planId, days: 30 },
    })
    expect(sale.status).toBe(409)
    expect(await errorCode(sale)).toBe('PLAN_RETIRED')
    const tenant = await admin(`/api/v1/admin/tenants/${fixture.tenantId}`)
    expect(await tenant.json()).toMatchObject({ modules: ['metrics'] })
  })

  it('answers 404 for an unknown plan and 400 for a malformed id', async () => {
    expect(
      (await admin('/api/v1/admin/plans/pln_00000000000000000000/retire', { method: 'POST' })).status,
    ).toBe(404)
    expect(
      (await admin('/api/v1/admin/plans/ten_00000000000000000000/retire', { method: 'POST' })).status,
    ).toBe(400)
  })
})

describe('a plan’s stores limit (commerce)', () => {
  const STORE = {
    street: 'Rua Direita, 10',
    city: 'São Paulo',
    state: 'SP',
    cep: '01002-000',
    latitude: -23.5489,
    longitude: -46.6388,
  }

  it('is set by operators through PATCH and holds the store-creation verb to it, even under a race', async () => {
    const tenant = await createTenant(db, { modules: ['commerce'], storesLimit: 1 })
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const call = as(db, (await login(db, owner.email)).access_token)
    const raised = await admin(`/api/v1/admin/plans/${tenant.planId}`, {
      method: 'PATCH',
      json: { limits: { stores: 3 } },
    })
    expect(raised.status).toBe(200)
    expect(((await raised.json()) as { limits: { stores: number } }).limits.stores).toBe(3)
    const [audit] = (await auditOf(tenant.planId)).slice(-1)
    expect(audit).toMatchObject({ action: 'plan.updated' })
    expect(JSON.stringify(audit?.data)).toContain('"stores":3')

    // Ten owners' tabs create a store at once: Postgres (a lock on the tenant's row) lets 3 through.
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('/api/v1/commerce/stores', { method: 'POST', json: { ...STORE, name: `Loja ${i}` } }),
      ),
    )
    const statuses = answers.map((a) => a.status).sort()
    expect(statuses).toEqual([201, 201, 201, 409, 409, 409, 409, 409, 409, 409])
    for (const refused of answers.filter((a) => a.status === 409))
      expect(await errorCode(refused)).toBe('STORES_LIMIT_REACHED')
    const [count] = await db.owner<{ n: number }>(
      'select count(*)::int as n from commerce_stores where tenant_id = $1',
      [tenant.tenantId],
    )
    expect(count?.n).toBe(3)

    // Lowered below what exists: the stores stay, and no new one opens until the count is under it.
    const lowered = await admin(`/api/v1/admin/plans/${tenant.planId}`, {
      method: 'PATCH',
      json: { limits: { stores: 2 } },
    })
    expect(lowered.status).toBe(200)
    const more = await call('/api/v1/commerce/stores', {
      method: 'POST',
      json: { ...STORE, name: 'Mais uma' },
    })
    expect(more.status).toBe(409)
  })

  it('refuses a bad limit with 400, and is the operator’s only', async () => {
    const plan = await newPlan()
    for (const stores of [-1, 1.5, 'x', 100_000]) {
      const refused = await admin(`/api/v1/admin/plans/${plan.id}`, {
        method: 'PATCH',
        json: { limits: { stores } },
      })
      expect(refused.status).toBe(400)
      expect(await fieldPaths(refused)).toEqual(['json.limits.stores'])
    }
    const tenant = await createTenant(db, { modules: ['commerce'] })
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const call = as(db, (await login(db, owner.email)).access_token)
    const forbidden = await call(`/api/v1/admin/plans/${plan.id}`, {
      method: 'PATCH',
      json: { limits: { stores: 9 } },
    })
    expect(forbidden.status).toBe(403)
    // Created without one, a plan allows one store.
    expect(plan.limits).toMatchObject({ stores: 1 })
  })
})

describe('the attendance inbox’s monthly messages (plans.attendance_messages_limit)', () => {
  it('is 1000 unless given, editable by PATCH, and enforced at the next send', async () => {
    const { attendance_messages: _given, ...withoutIt } = LIMITS
    expect((await newPlan({ limits: withoutIt })).limits.attendance_messages).toBe(1000)
    const t = await attendanceSetup(db)
    const { conversationId } = await customerWrites(t)
    const reply = (n: number) =>
      t.call(`/api/v1/attendance/conversations/${conversationId}/messages`, {
        method: 'POST',
        json: { type: 'text', client_message_id: `limit-${n}`, text: `Resposta ${n}` },
      })
    expect((await reply(1)).status).toBe(201)
    const patched = await admin(`/api/v1/admin/plans/${t.tenant.planId}`, {
      method: 'PATCH',
      json: { limits: { attendance_messages: 2 } },
    })
    expect(patched.status).toBe(200)
    expect(((await patched.json()) as Plan).limits.attendance_messages).toBe(2)
    // The second of the month fits the new limit; the third is refused before anything is stored.
    expect((await reply(2)).status).toBe(201)
    const refused = await reply(3)
    expect(refused.status).toBe(403)
    expect(await errorCode(refused)).toBe('ATTENDANCE_LIMIT_REACHED')
    const usage = await t.call('/api/v1/attendance/usage')
    expect(await usage.json()).toMatchObject({ sent: 2, limit: 2 })
    const bad = await admin(`/api/v1/admin/plans/${t.tenant.planId}`, {
      method: 'PATCH',
      json: { limits: { attendance_messages: -1 } },
    })
    expect(await fieldPaths(bad)).toEqual(['json.limits.attendance_messages'])
  })
})
