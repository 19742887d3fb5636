import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'

let db: TestDatabase
let admin: ReturnType<typeof as>
let operatorId: string
beforeAll(async () => {
  db = await createTestDatabase()
  const operator = await createOperator(db)
  operatorId = operator.id
  admin = as(db, (await login(db, operator.email)).access_token)
})

type License = {
  id: string
  tenant_id: string
  plan_id: string
  status: string
  effective_status: string
  valid_from: string
  valid_until: string
  external_ref: string | null
}
type FieldErrors = { error: { code: string; fields: { path: string }[] } }

const DAY = 86_400_000
const unique = () => crypto.randomUUID().slice(0, 8)

const fieldPaths = async (response: Response) =>
  ((await response.json()) as FieldErrors).error.fields.map((field) => field.path).sort()

const auditOf = (targetId: string) =>
  db.owner<{ action: string; actor_id: string; tenant_id: string | null; data: Record<string, unknown> }>(
    'select action, actor_id, tenant_id, data from audit_log where target_id = $1 order by created_at, id',
    [targetId],
  )

/** A tenant and a plan of its own, without any license yet. */
async function tenantAndPlan() {
  const fixture = await createTenant(db)
  await db.owner('delete from licenses where tenant_id = $1', [fixture.tenantId])
  return fixture
}

async function sell(json: Record<string, unknown>): Promise<License> {
  const response = await admin('/api/v1/admin/licenses', { method: 'POST', json })
  expect(response.status).toBe(201)
  return (await response.json()) as License
}

/**
 * A tenant whose license is stored directly in a given state and validity (the fixture starts
 * validity a day ago, so an earlier end moves the start back too).
 */
async function licensed(status: string, validUntil = new Date(Date.now() + 10 * DAY)) {
  const fixture = await createTenant(db, { licenseStatus: status })
  await db.owner(
    "update licenses set valid_from = $2::timestamptz - interval '30 days', valid_until = $2 where id = $1",
    [fixture.licenseId, validUntil],
  )
  return fixture
}

const licenseIn = async (status: string, validUntil?: Date) => (await licensed(status, validUntil)).licenseId

const act = (licenseId: string, transition: string, json?: unknown) =>
  admin(`/api/v1/admin/licenses/${licenseId}/${transition}`, { method: 'POST', json })

describe('POST /api/v1/admin/licenses', () => {
  it('sells an active license for N days from now, audited on the tenant', async () => {
    const { tenantId, planId } = await tenantAndPlan()
    const before = Date.now()
    const license = await sell({ tenant_id: tenantId, plan_id: planId, days: 30 })
    expect(license).toMatchObject({
      tenant_id: tenantId,
      plan_id: planId,
      status: 'active',
      effective_status: 'active',
    })
    const from = Date.parse(license.valid_from)
    expect(from).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(license.valid_until) - from).toBe(30 * DAY)
    expect(await auditOf(license.id)).toEqual([
      {
        action: 'license.created',
        actor_id: operatorId,
        tenant_id: tenantId,
        data: expect.objectContaining({ to: 'active', plan_id: planId, valid_until: license.valid_until }),
      },
    ])
    const tenant = await admin(`/api/v1/admin/tenants/${tenantId}`)
    expect(await tenant.json()).toMatchObject({ license: { id: license.id }, modules: ['metrics'] })
  })

  it('sells a trial with explicit validity and an external reference, which must be unique', async () => {
    const { tenantId, planId } = await tenantAndPlan()
    const validFrom = new Date(Date.now() - DAY).toISOString()
    const validUntil = new Date(Date.now() + 14 * DAY).toISOString()
    const ref = `sub_${unique()}`
    const license = await sell({
      tenant_id: tenantId,
      plan_id: planId,
      status: 'trialing',
      valid_from: validFrom,
      valid_until: validUntil,
      external_ref: ref,
    })
    expect(license).toMatchObject({
      status: 'trialing',
      valid_from: validFrom,
      valid_until: validUntil,
      external_ref: ref,
    })
    const again = await admin('/api/v1/admin/licenses', {
      method: 'POST',
      json: { tenant_id: tenantId, plan_id: planId, days: 5, external_ref: ref },
    })
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('EXTERNAL_REF_TAKEN')
  })

  it('needs exactly one of valid_until and days, a validity ending after it starts and in the future', async () => {
    const { tenantId, planId } = await tenantAndPlan()
    const base = { tenant_id: tenantId, plan_id: planId }
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['json.valid_until']],
      [{ days: 3, valid_until: new Date(Date.now() + DAY).toISOString() }, ['json.valid_until']],
      [{ days: 0, status: 'suspended' }, ['json.days', 'json.status']],
      [{ valid_until: 'tomorrow' }, ['json.valid_until']],
      [
        {
          valid_from: new Date(Date.now() + 5 * DAY).toISOString(),
          valid_until: new Date(Date.now() + DAY).toISOString(),
        },
        ['json.valid_until'],
      ],
      [
        {
          valid_from: new Date(Date.now() - 5 * DAY).toISOString(),
          valid_until: new Date(Date.now() - DAY).toISOString(),
        },
        ['json.valid_until'],
      ],
    ]
    for (const [json, paths] of cases) {
      const response = await admin('/api/v1/admin/licenses', { method: 'POST', json: { ...base, ...json } })
      expect(response.status, JSON.stringify(json)).toBe(400)
      expect(await fieldPaths(response)).toEqual(paths)
    }
    expect(await db.owner('select id from licenses where tenant_id = $1', [tenantId])).toEqual([])
  })

  it('answers 404 for an unknown tenant or plan and 409 for a deleted tenant', async () => {
    const { tenantId, planId } = await tenantAndPlan()
    const nobody = await admin('/api/v1/admin/licenses', {
      method: 'POST',
      json: { tenant_id: 'ten_00000000000000000000', plan_id: planId, days: 1 },
    })
    expect(nobody.status).toBe(404)
    const nothing = await admin('/api/v1/admin/licenses', {
      method: 'POST',
      json: { tenant_id: tenantId, plan_id: 'pln_00000000000000000000', days: 1 },
    })
    expect(nothing.status).toBe(404)
    await admin(`/api/v1/admin/tenants/${tenantId}`, { method: 'DELETE' })
    const deleted = await admin('/api/v1/admin/licenses', {
      method: 'POST',
      json: { tenant_id: tenantId, plan_id: planId, days: 1 },
    })
    expect(deleted.status).toBe(409)
    expect(await errorCode(deleted)).toBe('TENANT_DELETED')
  })
})

describe('license transitions', () => {
  it('suspends, activates and expires, each audited with from/to and validity', async () => {
    const licenseId = await licenseIn('active')
    const suspended = await act(licenseId, 'suspend')
    expect(suspended.status).toBe(200)
    expect(await suspended.json()).toMatchObject({ status: 'suspended', effective_status: 'suspended' })
    const activated = await act(licenseId, 'activate')
    expect(await activated.json()).toMatchObject({ status: 'active' })
    const expired = (await (await act(licenseId, 'expire')).json()) as License
    expect(expired.status).toBe('expired')
    const audit = await auditOf(licenseId)
    expect(audit.map((row) => [row.action, row.data.from, row.data.to])).toEqual([
      ['license.suspended', 'active', 'suspended'],
      ['license.activated', 'suspended', 'active'],
      ['license.expired', 'active', 'expired'],
    ])
    expect(
      audit.every((row) => row.data.valid_until === expired.valid_until && row.actor_id === operatorId),
    ).toBe(true)
  })

  it.each([
    ['active', 'activate'],
    ['expired', 'activate'],
    ['canceled', 'activate'],
    ['suspended', 'suspend'],
    ['expired', 'suspend'],
    ['expired', 'expire'],
    ['canceled', 'expire'],
  ])('refuses to move a %s license with %s (409 INVALID_TRANSITION)', async (status, transition) => {
    const licenseId = await licenseIn(status)
    const response = await act(licenseId, transition)
    expect(response.status).toBe(409)
    expect(await errorCode(response)).toBe('INVALID_TRANSITION')
    const [row] = await db.owner<{ status: string }>('select status from licenses where id = $1', [licenseId])
    expect(row?.status).toBe(status)
    expect(await auditOf(licenseId)).toEqual([])
  })

  it('refuses to activate a suspended license whose validity has ended', async () => {
    const licenseId = await licenseIn('suspended', new Date(Date.now() - DAY))
    const response = await act(licenseId, 'activate')
    expect(response.status).toBe(409)
    expect(await errorCode(response)).toBe('INVALID_TRANSITION')
  })

  it('renews by days from the current end, or from now when it has passed, and activates', async () => {
    const end = new Date(Date.now() + 10 * DAY)
    const live = await licenseIn('past_due', end)
    const renewed = (await (await act(live, 'renew', { days: 30 })).json()) as License
    expect(renewed.status).toBe('active')
    expect(Date.parse(renewed.valid_until)).toBe(end.getTime() + 30 * DAY)
    expect((await auditOf(live)).at(-1)).toMatchObject({
      action: 'license.renewed',
      data: {
        from: 'past_due',
        to: 'active',
        previous_valid_until: end.toISOString(),
        valid_until: renewed.valid_until,
      },
    })

    const lapsed = await licenseIn('expired', new Date(Date.now() - 5 * DAY))
    const before = Date.now()
    const revived = (await (await act(lapsed, 'renew', { days: 7 })).json()) as License
    expect(revived).toMatchObject({ status: 'active', effective_status: 'active' })
    expect(Date.parse(revived.valid_until)).toBeGreaterThanOrEqual(before + 7 * DAY - 1000)
    expect(Date.parse(revived.valid_until)).toBeLessThanOrEqual(Date.now() + 7 * DAY)
  })

  it('renews to an explicit valid_until only when it extends the license', async () => {
    const licenseId = await licenseIn('active', new Date(Date.now() + 10 * DAY))
    const shorter = await act(licenseId, 'renew', {
      valid_until: new Date(Date.now() + 5 * DAY).toISOString(),
    })
    expect(shorter.status).toBe(400)
    expect(await fieldPaths(shorter)).toEqual(['json.valid_until'])
    const target = new Date(Date.now() + 365 * DAY).toISOString()
    const longer = await act(licenseId, 'renew', { valid_until: target })
    expect(await longer.json()).toMatchObject({ status: 'active', valid_until: target })
    const neither = await act(licenseId, 'renew', {})
    expect(await fieldPaths(neither)).toEqual(['json.valid_until'])
    const canceled = await act(await licenseIn('canceled'), 'renew', { days: 30 })
    expect(canceled.status).toBe(409)
    expect(await errorCode(canceled)).toBe('INVALID_TRANSITION')
  })

  it('answers 404 for an unknown license and 400 for a malformed id', async () => {
    for (const transition of ['activate', 'suspend', 'expire', 'renew']) {
      const response = await act('lic_00000000000000000000', transition, { days: 1 })
      expect(response.status, transition).toBe(404)
      expect(await errorCode(response)).toBe('NOT_FOUND')
    }
    expect((await act('lic_nope', 'suspend')).status).toBe(400)
  })
})

describe('GET /api/v1/admin/licenses', () => {
  type Row = License & { plan_code: string; tenant_slug: string }
  const list = async (query: string) => {
    const response = await admin(`/api/v1/admin/licenses?${query}`)
    expect(response.status).toBe(200)
    return (await response.json()) as { data: Row[]; next_cursor: string | null }
  }

  it('filters by tenant and by the status as of now', async () => {
    const fixture = await createTenant(db, { validUntil: new Date(Date.now() - 60_000) })
    const [byTenant] = (await list(`tenant_id=${fixture.tenantId}`)).data
    expect(byTenant).toMatchObject({ id: fixture.licenseId, status: 'active', effective_status: 'expired' })
    expect(byTenant?.tenant_slug).toBe(fixture.slug)
    expect((await list(`tenant_id=${fixture.tenantId}&status=expired`)).data).toHaveLength(1)
    expect((await list(`tenant_id=${fixture.tenantId}&status=active`)).data).toHaveLength(0)
  })

  it('lists usable licenses expiring within N days', async () => {
    const soon = await licensed('active', new Date(Date.now() + 3 * DAY))
    const trial = await licensed('trialing', new Date(Date.now() + 4 * DAY))
    const later = await licensed('active', new Date(Date.now() + 40 * DAY))
    const halted = await licensed('suspended', new Date(Date.now() + 3 * DAY))
    const gone = await licensed('active', new Date(Date.now() - DAY))
    const ids = (await list('expiring_within_days=5&limit=100')).data.map((row) => row.id)
    expect(ids).toContain(soon.licenseId)
    expect(ids).toContain(trial.licenseId)
    for (const excluded of [later, halted, gone]) expect(ids).not.toContain(excluded.licenseId)
  })

  it('pages newest first without repeating rows', async () => {
    for (let i = 0; i < 3; i++) await createTenant(db)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { data: Row[]; next_cursor: string | null } = await list(
        `limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(page.data.length).toBeLessThanOrEqual(2)
      seen.push(...page.data.map((row) => row.id))
      cursor = page.next_cursor
    } while (cursor)
    const all = await db.owner<{ id: string }>('select id from licenses order by created_at desc, id desc')
    expect(seen).toEqual(all.map((row) => row.id))
  })

  it('validates the filters', async () => {
    const response = await admin('/api/v1/admin/licenses?status=lost&expiring_within_days=0&tenant_id=acme')
    expect(response.status).toBe(400)
    expect(await fieldPaths(response)).toEqual([
      'query.expiring_within_days',
      'query.status',
      'query.tenant_id',
    ])
  })
})
