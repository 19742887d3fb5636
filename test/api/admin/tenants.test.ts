import { beforeAll, describe, expect, it } from 'vitest'
import { encodeCursor } from '../../../worker/services/keyset.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import {
  as,
  createMember,
  createOperator,
  createTenant,
  errorCode,
  login,
  PASSWORD,
} from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
let admin: ReturnType<typeof as>
let operatorId: string
beforeAll(async () => {
  db = await createTestDatabase()
  const operator = await createOperator(db)
  operatorId = operator.id
  admin = as(db, (await login(db, operator.email)).access_token)
})

type Tenant = { id: string; slug: string; name: string; status: string; deleted_at: string | null }
type FieldErrors = { error: { code: string; fields: { path: string }[] } }

const unique = () => crypto.randomUUID().slice(0, 8)

async function newTenant(slug = `acme-${unique()}`, name = `Acme ${slug}`): Promise<Tenant> {
  const response = await admin('/api/v1/admin/tenants', { method: 'POST', json: { slug, name } })
  expect(response.status).toBe(201)
  return (await response.json()) as Tenant
}

const auditOf = (targetId: string) =>
  db.owner<{ action: string; actor_id: string; tenant_id: string | null; data: Record<string, unknown> }>(
    'select action, actor_id, tenant_id, data from audit_log where target_id = $1 order by created_at, id',
    [targetId],
  )

const fieldPaths = async (response: Response) =>
  ((await response.json()) as FieldErrors).error.fields.map((field) => field.path)

describe('POST /api/v1/admin/tenants', () => {
  it('creates an active tenant and audits it against that tenant', async () => {
    const slug = `globex-${unique()}`
    const tenant = await newTenant(slug, 'Globex Corporation')
    expect(tenant).toMatchObject({ slug, name: 'Globex Corporation', status: 'active', deleted_at: null })
    expect(tenant.id).toMatch(/^ten_[0-9a-z]{20}$/)
    const [row] = await db.owner<{ slug: string }>('select slug from tenants where id = $1', [tenant.id])
    expect(row?.slug).toBe(slug)
    expect(await auditOf(tenant.id)).toEqual([
      {
        action: 'tenant.created',
        actor_id: operatorId,
        tenant_id: tenant.id,
        data: { slug, name: 'Globex Corporation' },
      },
    ])
  })

  it('answers 409 SLUG_TAKEN for a slug in use, creating nothing', async () => {
    const taken = await newTenant()
    const response = await admin('/api/v1/admin/tenants', {
      method: 'POST',
      json: { slug: taken.slug, name: 'Copycat' },
    })
    expect(response.status).toBe(409)
    expect(await errorCode(response)).toBe('SLUG_TAKEN')
    const rows = await db.owner('select id from tenants where slug = $1', [taken.slug])
    expect(rows).toHaveLength(1)
  })

  it('answers 409 to one of two concurrent creations of the same slug', async () => {
    const slug = `race-${unique()}`
    const answers = await Promise.all(
      [1, 2].map((n) =>
        admin('/api/v1/admin/tenants', { method: 'POST', json: { slug, name: `Race ${n}` } }),
      ),
    )
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409])
  })

  it('names the invalid fields', async () => {
    const response = await admin('/api/v1/admin/tenants', {
      method: 'POST',
      json: { slug: 'Not A Slug', name: '  ' },
    })
    expect(response.status).toBe(400)
    expect((await fieldPaths(response)).sort()).toEqual(['json.name', 'json.slug'])
  })
})

describe('GET /api/v1/admin/tenants', () => {
  it('searches name and slug, filters by status and pages newest first', async () => {
    const tag = unique()
    const first = await newTenant(`${tag}-one`)
    const second = await newTenant(`two-${unique()}`, `Second ${tag.toUpperCase()}`)
    const third = await newTenant(`${tag}-three`)
    await admin(`/api/v1/admin/tenants/${third.id}/suspend`, { method: 'POST' })

    const page1 = await admin(`/api/v1/admin/tenants?q=${tag}&limit=2`)
    expect(page1.status).toBe(200)
    const body1 = (await page1.json()) as { data: Tenant[]; next_cursor: string | null }
    expect(body1.data.map((t) => t.id)).toEqual([third.id, second.id])
    expect(body1.next_cursor).toEqual(expect.any(String))
    const page2 = await admin(`/api/v1/admin/tenants?q=${tag}&limit=2&cursor=${body1.next_cursor}`)
    const body2 = (await page2.json()) as { data: Tenant[]; next_cursor: string | null }
    expect(body2.data.map((t) => t.id)).toEqual([first.id])
    expect(body2.next_cursor).toBeNull()

    const suspended = await admin(`/api/v1/admin/tenants?q=${tag}&status=suspended`)
    expect(((await suspended.json()) as { data: Tenant[] }).data.map((t) => t.id)).toEqual([third.id])
  })

  it('takes the search text literally', async () => {
    await newTenant(`pct-${unique()}`, `Percent ${unique()}`)
    const response = await admin('/api/v1/admin/tenants?q=%25')
    expect(((await response.json()) as { data: Tenant[] }).data).toEqual([])
  })

  it('shows each tenant’s current license status (as of now) and plan code', async () => {
    const live = await createTenant(db)
    const lapsed = await createTenant(db, { validUntil: new Date(Date.now() - 60_000) })
    const bare = await newTenant()
    const response = await admin('/api/v1/admin/tenants?limit=100')
    const rows = (
      (await response.json()) as {
        data: { id: string; license_status: string | null; plan_code: string | null }[]
      }
    ).data
    const [planLive] = await db.owner<{ code: string }>('select code from plans where id = $1', [live.planId])
    expect(rows.find((r) => r.id === live.tenantId)).toMatchObject({
      license_status: 'active',
      plan_code: planLive?.code,
    })
    // Stored as active, but past valid_until: it reads as expired without waiting for the sweep.
    expect(rows.find((r) => r.id === lapsed.tenantId)?.license_status).toBe('expired')
    expect(rows.find((r) => r.id === bare.id)).toMatchObject({ license_status: null, plan_code: null })
  })

  it('refuses a cursor it did not issue', async () => {
    for (const cursor of ['not-a-cursor', encodeCursor(['yesterday', 'ten_00000000000000000000'])]) {
      const response = await admin(`/api/v1/admin/tenants?cursor=${cursor}`)
      expect(response.status).toBe(400)
      expect(await fieldPaths(response)).toEqual(['query.cursor'])
    }
  })

  it('validates the filters', async () => {
    const response = await admin('/api/v1/admin/tenants?status=gone&limit=500')
    expect(response.status).toBe(400)
    expect((await fieldPaths(response)).sort()).toEqual(['query.limit', 'query.status'])
  })
})

describe('GET /api/v1/admin/tenants/:id', () => {
  it('shows the entitlement and the active member count', async () => {
    const fixture = await createTenant(db, { modules: ['metrics', 'calendar'], usersLimit: 7 })
    await createMember(db, fixture.tenantId, 'owner')
    await createMember(db, fixture.tenantId, 'viewer')
    await createMember(db, fixture.tenantId, 'viewer', { status: 'deactivated' })
    const response = await admin(`/api/v1/admin/tenants/${fixture.tenantId}`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      id: fixture.tenantId,
      slug: fixture.slug,
      license: { id: fixture.licenseId, status: 'active', effective_status: 'active' },
      plan: { id: fixture.planId, modules: ['metrics', 'calendar'], limits: { users: 7 } },
      modules: ['metrics', 'calendar'],
      user_count: 2,
    })
  })

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await admin('/api/v1/admin/tenants/ten_00000000000000000000')
    expect(unknown.status).toBe(404)
    expect(await errorCode(unknown)).toBe('NOT_FOUND')
    const malformed = await admin('/api/v1/admin/tenants/acme')
    expect(malformed.status).toBe(400)
    expect(await fieldPaths(malformed)).toEqual(['param.id'])
  })
})

describe('PATCH /api/v1/admin/tenants/:id', () => {
  it('renames and re-slugs, auditing the changes', async () => {
    const tenant = await newTenant()
    const slug = `renamed-${unique()}`
    const response = await admin(`/api/v1/admin/tenants/${tenant.id}`, {
      method: 'PATCH',
      json: { slug, name: 'Renamed Inc' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ id: tenant.id, slug, name: 'Renamed Inc' })
    const audit = await auditOf(tenant.id)
    expect(audit.at(-1)).toMatchObject({
      action: 'tenant.updated',
      tenant_id: tenant.id,
      data: {
        changes: { slug: { from: tenant.slug, to: slug }, name: { from: tenant.name, to: 'Renamed Inc' } },
      },
    })
  })

  it('answers 409 SLUG_TAKEN, 400 for an empty body and 404 for an unknown id', async () => {
    const [a, b] = [await newTenant(), await newTenant()]
    const taken = await admin(`/api/v1/admin/tenants/${a.id}`, { method: 'PATCH', json: { slug: b.slug } })
    expect(taken.status).toBe(409)
    expect(await errorCode(taken)).toBe('SLUG_TAKEN')
    const empty = await admin(`/api/v1/admin/tenants/${a.id}`, { method: 'PATCH', json: {} })
    expect(empty.status).toBe(400)
    expect(await errorCode(empty)).toBe('VALIDATION_FAILED')
    const unknown = await admin('/api/v1/admin/tenants/ten_00000000000000000000', {
      method: 'PATCH',
      json: { name: 'Ghost' },
    })
    expect(unknown.status).toBe(404)
    const [row] = await db.owner<{ slug: string }>('select slug from tenants where id = $1', [a.id])
    expect(row?.slug).toBe(a.slug)
  })

  it('refuses to change a deleted tenant', async () => {
    const tenant = await newTenant()
    await admin(`/api/v1/admin/tenants/${tenant.id}`, { method: 'DELETE' })
    const response = await admin(`/api/v1/admin/tenants/${tenant.id}`, {
      method: 'PATCH',
      json: { name: 'Zombie' },
    })
    expect(response.status).toBe(409)
    expect(await errorCode(response)).toBe('TENANT_DELETED')
  })
})

describe('tenant lifecycle', () => {
  const sessionsOf = (userId: string) =>
    db.owner<{ revoked_reason: string | null }>('select revoked_reason from sessions where user_id = $1', [
      userId,
    ])

  it('suspends: members’ sessions end, login is refused, the change is audited', async () => {
    const fixture = await createTenant(db)
    const owner = await createMember(db, fixture.tenantId, 'owner')
    const tokens = await login(db, owner.email)
    const response = await admin(`/api/v1/admin/tenants/${fixture.tenantId}/suspend`, { method: 'POST' })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ id: fixture.tenantId, status: 'suspended' })

    const me = await as(db, tokens.access_token)('/api/v1/auth/me')
    expect(me.status).toBe(401)
    expect(await errorCode(me)).toBe('SESSION_ENDED')
    expect(await sessionsOf(owner.id)).toEqual([{ revoked_reason: 'tenant_suspended' }])
    const again = await callWorker(db.env, '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: owner.email, password: PASSWORD }),
    })
    expect(await errorCode(again)).toBe('TENANT_SUSPENDED')
    expect((await auditOf(fixture.tenantId)).at(-1)).toMatchObject({
      action: 'tenant.suspended',
      actor_id: operatorId,
      tenant_id: fixture.tenantId,
      data: { from: 'active', to: 'suspended', ended_sessions: 1 },
    })

    const twice = await admin(`/api/v1/admin/tenants/${fixture.tenantId}/suspend`, { method: 'POST' })
    expect(twice.status).toBe(409)
    expect(await errorCode(twice)).toBe('INVALID_TRANSITION')
  })

  it('reactivates a suspended tenant and only a suspended one', async () => {
    const fixture = await createTenant(db, { tenantStatus: 'suspended' })
    const owner = await createMember(db, fixture.tenantId, 'owner')
    const response = await admin(`/api/v1/admin/tenants/${fixture.tenantId}/reactivate`, { method: 'POST' })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'active' })
    await login(db, owner.email)
    expect((await auditOf(fixture.tenantId)).at(-1)).toMatchObject({
      action: 'tenant.reactivated',
      data: { from: 'suspended', to: 'active' },
    })
    const twice = await admin(`/api/v1/admin/tenants/${fixture.tenantId}/reactivate`, { method: 'POST' })
    expect(twice.status).toBe(409)
    expect(await errorCode(twice)).toBe('INVALID_TRANSITION')
  })

  it('deletes softly: status deleted, deleted_at set, sessions ended; then nothing more', async () => {
    const fixture = await createTenant(db)
    const owner = await createMember(db, fixture.tenantId, 'admin')
    await login(db, owner.email)
    const response = await admin(`/api/v1/admin/tenants/${fixture.tenantId}`, { method: 'DELETE' })
    expect(response.status).toBe(200)
    const body = (await response.json()) as Tenant
    expect(body.status).toBe('deleted')
    expect(Date.parse(body.deleted_at ?? '')).toBeGreaterThan(Date.now() - 60_000)
    const [row] = await db.owner<{ status: string }>('select status from tenants where id = $1', [
      fixture.tenantId,
    ])
    expect(row?.status).toBe('deleted')
    expect(await sessionsOf(owner.id)).toEqual([{ revoked_reason: 'tenant_deleted' }])
    expect((await auditOf(fixture.tenantId)).at(-1)).toMatchObject({
      action: 'tenant.deleted',
      data: { from: 'active', to: 'deleted', ended_sessions: 1 },
    })
    for (const [method, path] of [
      ['DELETE', ''],
      ['POST', '/reactivate'],
      ['POST', '/suspend'],
    ] as const) {
      const refused = await admin(`/api/v1/admin/tenants/${fixture.tenantId}${path}`, { method })
      expect(refused.status).toBe(409)
      expect(await errorCode(refused)).toBe('INVALID_TRANSITION')
    }
  })

  it('answers 404 for unknown tenants', async () => {
    for (const [method, path] of [
      ['POST', '/suspend'],
      ['POST', '/reactivate'],
      ['DELETE', ''],
    ] as const) {
      const response = await admin(`/api/v1/admin/tenants/ten_00000000000000000000${path}`, { method })
      expect(response.status).toBe(404)
    }
  })
})
