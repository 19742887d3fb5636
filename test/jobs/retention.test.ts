import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import { consume, jobBatch } from '../helpers/connections.ts'
import { captureQueue, createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { createTenant } from '../helpers/fixtures.ts'
import { captureLogs } from '../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A tenant whose plan keeps `retentionDays`, with one point per day for the last `days` days. */
async function tenantWithHistory(retentionDays: number, days: number) {
  const tenant = await createTenant(db)
  await db.owner('update plans set retention_days = $1 where id = $2', [retentionDays, tenant.planId])
  const connectionId = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id, status) values ($1, $2, 'instagram', $1, 'paused')`,
    [connectionId, tenant.tenantId],
  )
  await db.owner(
    `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
     select $1, $2, 'reach', 'day', current_date - d, d from generate_series(1, $3) d`,
    [tenant.tenantId, connectionId, days],
  )
  return tenant
}

/** A tick for the current time (retention counts days back from the tick's scheduled time). */
async function tick() {
  const capture = captureQueue()
  const { result, lines } = await captureLogs(() =>
    consume(
      { ...db.env, JOBS: capture.queue },
      jobBatch([{ type: 'cron.tick', v: 1, cron: '*/15 * * * *', scheduledTime: Date.now() }]),
    ),
  )
  expect(result.explicitAcks).toHaveLength(1)
  const line = lines.find((candidate) => candidate.message === 'retention purge')
  if (!line) throw new Error('the tick logged no retention purge line')
  return line
}

const pointsOf = async (tenantId: string) =>
  (
    await db.owner<{ n: number; oldest: number }>(
      `select count(*)::int as n, coalesce(max(current_date - period_start), 0)::int as oldest
       from metric_points where tenant_id = $1`,
      [tenantId],
    )
  )[0]

describe('retention in the cron tick', () => {
  it("purges metric points past each tenant's plan retention, idempotently, and logs the counts", async () => {
    const short = await tenantWithHistory(30, 90)
    const long = await tenantWithHistory(365, 90)
    const raw = await createTenant(db)
    await db.owner(
      `insert into webhook_events (tenant_id, source, payload, digest, received_at) values
       ($1, 'meta', '{}', 'old', now() - interval '31 days'), ($1, 'meta', '{}', 'new', now() - interval '29 days')`,
      [raw.tenantId],
    )
    await db.owner(
      `insert into meta_webhook_seen (tenant_id, platform, object_id, event, seen_at) values
       ($1, 'whatsapp', 'wamid.old', 'sent', now() - interval '31 days'), ($1, 'whatsapp', 'wamid.new', 'sent', now())`,
      [raw.tenantId],
    )
    await db.owner(
      `insert into login_attempts (account_key, ip, success, created_at) values ($1, '203.0.113.9', false, now() - interval '31 days')`,
      [`retention-${short.tenantId}`],
    )
    // A WhatsApp status that failed processing names a phone number: dead letters expire too.
    await db.owner(
      `insert into job_dead_letters (queue, message_id, type, attempts, body, received_at) values
       ('integra-jobs', $1, 'webhook.meta', 5, '{"recipient_id":"5511987654321"}', now() - interval '31 days'),
       ('integra-jobs', $2, 'webhook.meta', 5, '{}', now() - interval '29 days')`,
      [`old-${short.tenantId}`, `new-${short.tenantId}`],
    )

    const first = await tick()
    // Strictly older than 30 days: the points of days 31…90 go, 1…30 stay.
    expect(await pointsOf(short.tenantId)).toEqual({ n: 30, oldest: 30 })
    expect(await pointsOf(long.tenantId)).toEqual({ n: 90, oldest: 90 })
    expect(first).toMatchObject({
      metric_points_by_tenant: expect.objectContaining({ [short.tenantId]: 60 }),
    })
    expect((first.metric_points_by_tenant as Record<string, number>)[long.tenantId]).toBeUndefined()
    expect(first.webhook_events).toBeGreaterThanOrEqual(1)
    expect(await db.owner('select digest from webhook_events where tenant_id = $1', [raw.tenantId])).toEqual([
      { digest: 'new' },
    ])
    expect(
      await db.owner('select object_id from meta_webhook_seen where tenant_id = $1', [raw.tenantId]),
    ).toEqual([{ object_id: 'wamid.new' }])
    expect(first.meta_webhook_seen).toBeGreaterThanOrEqual(1)
    expect(
      await db.owner('select 1 from login_attempts where account_key = $1', [`retention-${short.tenantId}`]),
    ).toEqual([])
    expect(
      await db.owner('select message_id from job_dead_letters where message_id like $1', [
        `%-${short.tenantId}`,
      ]),
    ).toEqual([{ message_id: `new-${short.tenantId}` }])
    expect(first.job_dead_letters).toBeGreaterThanOrEqual(1)

    // Nothing more to delete for these tenants on the next tick.
    const second = await tick()
    expect((second.metric_points_by_tenant as Record<string, number>)[short.tenantId]).toBeUndefined()
    expect(await pointsOf(short.tenantId)).toEqual({ n: 30, oldest: 30 })
  })

  it('reads the current license: a tenant moved to a plan with a shorter retention loses the older points', async () => {
    const tenant = await tenantWithHistory(365, 60)
    const shorter = newId('pln')
    await db.owner(
      `insert into plans (id, code, name, modules, users_limit, connections_limit, retention_days, collection_interval_minutes)
       values ($1, $1, 'Short', '{metrics}', 5, 5, 7, 60)`,
      [shorter],
    )
    await db.owner(
      `insert into licenses (id, tenant_id, plan_id, status, valid_from, valid_until, created_at)
       values ($1, $2, $3, 'active', now() - interval '1 day', now() + interval '30 days', now() + interval '1 second')`,
      [newId('lic'), tenant.tenantId, shorter],
    )
    await tick()
    expect(await pointsOf(tenant.tenantId)).toEqual({ n: 7, oldest: 7 })
  })
})
