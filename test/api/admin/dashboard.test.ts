import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, login } from '../../helpers/fixtures.ts'

// A database of its own: the summary counts everything in it.
let db: TestDatabase
let admin: ReturnType<typeof as>
beforeAll(async () => {
  db = await createTestDatabase()
  const operator = await createOperator(db)
  admin = as(db, (await login(db, operator.email)).access_token)
})

const DAY = 86_400_000
const inDays = (days: number) => new Date(Date.now() + days * DAY)

describe('GET /api/v1/admin/dashboard', () => {
  it('summarizes tenants by status, licenses expiring within 30 days and user counts', async () => {
    const expiring = []
    for (let day = 11; day >= 1; day--) expiring.push(await createTenant(db, { validUntil: inDays(day) }))
    const trial = await createTenant(db, { licenseStatus: 'trialing', validUntil: inDays(20) })
    await createTenant(db, { validUntil: inDays(45) })
    await createTenant(db, { tenantStatus: 'suspended', validUntil: inDays(60) })
    await createTenant(db, { tenantStatus: 'deleted', licenseStatus: 'suspended', validUntil: inDays(2) })
    const [owner] = expiring
    if (!owner) throw new Error('no tenant')
    await createMember(db, owner.tenantId, 'owner')
    await createMember(db, owner.tenantId, 'analyst')
    await createMember(db, trial.tenantId, 'owner')
    await createMember(db, trial.tenantId, 'viewer', { status: 'deactivated' })
    const retired = await createOperator(db)
    await db.owner("update operators set status = 'deactivated' where id = $1", [retired.id])

    const response = await admin('/api/v1/admin/dashboard')
    expect(response.status).toBe(200)
    const body = (await response.json()) as {
      tenants: Record<string, number>
      licenses_expiring: {
        within_days: number
        count: number
        data: { id: string; tenant_slug: string; plan_code: string; valid_until: string }[]
      }
      users: Record<string, number>
      collection: Record<string, unknown>
    }
    expect(body.tenants).toEqual({ active: 13, suspended: 1, deleted: 1 })
    expect(body.licenses_expiring.within_days).toBe(30)
    expect(body.licenses_expiring.count).toBe(12)
    // The ten that end soonest, soonest first: the fixtures were created from 11 days down to 1.
    expect(body.licenses_expiring.data.map((row) => row.id)).toEqual(
      expiring
        .slice(1)
        .reverse()
        .map((fixture) => fixture.licenseId),
    )
    expect(body.licenses_expiring.data[0]).toMatchObject({ tenant_slug: expiring.at(-1)?.slug })
    expect(body.users).toEqual({ active_members: 3, operators: 1 })
    expect(body.collection).toMatchObject({ window_hours: 24, dead_letters: 0, recent_failures: [] })
  })

  it('reports collection health of the last 24 hours across tenants, with the latest failures', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    const insertConnection = async (tenantId: string, id: string, status: string) =>
      db.owner(
        `insert into connections (id, tenant_id, platform, external_account_id, status) values ($1, $2, 'instagram', $1, $3)`,
        [id, tenantId, status],
      )
    await insertConnection(a.tenantId, 'con_health000000000000a', 'active')
    await insertConnection(b.tenantId, 'con_health000000000000b', 'error')
    const run = (
      tenantId: string,
      connectionId: string,
      status: string,
      hoursAgo: number,
      error: string | null = null,
    ) =>
      db.owner(
        `insert into collection_runs (tenant_id, connection_id, kind, status, started_at, error)
         values ($1, $2, 'scheduled', $3, now() - make_interval(hours => $4), $5)`,
        [tenantId, connectionId, status, hoursAgo, error],
      )
    await run(a.tenantId, 'con_health000000000000a', 'succeeded', 1)
    await run(a.tenantId, 'con_health000000000000a', 'succeeded', 2)
    await run(b.tenantId, 'con_health000000000000b', 'failed', 3, 'platform error 500')
    await run(b.tenantId, 'con_health000000000000b', 'dead', 4, 'gave up after 6 attempts')
    await run(a.tenantId, 'con_health000000000000a', 'failed', 30, 'too old to count')
    await db.owner(
      `insert into job_dead_letters (queue, message_id, type, attempts, body) values ('integra-jobs-dlq', 'm1', 'collect.connection', 6, '{}')`,
    )

    const body = (await (await admin('/api/v1/admin/dashboard')).json()) as {
      collection: {
        runs: Record<string, number>
        dead_letters: number
        connections: Record<string, number>
        recent_failures: { status: string; error: string; tenant_id: string }[]
      }
    }
    expect(body.collection.runs).toMatchObject({ succeeded: 2, failed: 1, dead: 1 })
    expect(body.collection.dead_letters).toBe(1)
    expect(body.collection.connections).toMatchObject({ active: 1, error: 1 })
    expect(body.collection.recent_failures.map((f) => [f.status, f.tenant_id])).toEqual([
      ['failed', b.tenantId],
      ['dead', b.tenantId],
    ])
  })
})
