import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import worker from '../../worker/index.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { captureQueue, createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { as, createMember, createTenant, login } from '../helpers/fixtures.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

async function connection(
  tenantId: string,
  options: { status?: string; consent?: boolean | null; due?: boolean } = {},
) {
  const id = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id, status, next_collect_at)
     values ($1, $2, 'instagram', $1, $3, now() + ($4 || ' minutes')::interval)`,
    [id, tenantId, options.status ?? 'active', options.due === false ? '30' : '-1'],
  )
  if (options.consent !== null) {
    await db.owner(
      `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted)
       values ($1, $2, 'connection', $3, 'metrics_collection', 'test', $4)`,
      [newId('cns'), tenantId, id, options.consent ?? true],
    )
  }
  return id
}

async function tick(scheduledTime: number) {
  const capture = captureQueue()
  const batch = createMessageBatch('integra-jobs', [
    {
      id: `tick-${scheduledTime}-${Math.random()}`,
      timestamp: new Date(),
      attempts: 1,
      body: { type: 'cron.tick', v: 1, cron: '*/15 * * * *', scheduledTime },
    },
  ])
  const ctx = createExecutionContext()
  await worker.queue(batch, { ...db.env, JOBS: capture.queue }, ctx)
  expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1)
  return (capture.messages as JobMessage[])
    .filter((m) => m.type === 'collect.connection')
    .map((m) => m.connectionId)
}

describe('cron fan-out', () => {
  it('enqueues exactly the collectable due connections, once per scheduled slot', async () => {
    const active = await createTenant(db)
    const suspended = await createTenant(db, { licenseStatus: 'suspended' })
    const noMetrics = await createTenant(db, { modules: ['calendar'] })
    const due = await connection(active.tenantId)
    const notDue = await connection(active.tenantId, { due: false })
    const paused = await connection(active.tenantId, { status: 'paused' })
    const revoked = await connection(active.tenantId, { consent: false })
    const noConsent = await connection(active.tenantId, { consent: null })
    const unlicensed = await connection(suspended.tenantId)
    const disabled = await connection(noMetrics.tenantId)

    const time = Date.now()
    const sent = await tick(time)
    expect(sent).toContain(due)
    for (const id of [notDue, paused, revoked, noConsent, unlicensed, disabled])
      expect(sent).not.toContain(id)

    // The same scheduled time fired again does no work; a later tick finds the connection leased.
    expect(await tick(time)).toEqual([])
    expect(await tick(time + 60_000)).not.toContain(due)
    const [row] = await db.owner<{ minutes: number }>(
      `select round(extract(epoch from next_collect_at - now()) / 60)::int as minutes from connections where id = $1`,
      [due],
    )
    expect(row?.minutes).toBeGreaterThan(50)
  })

  it('stops sending for a tenant whose tenant-level consent is revoked', async () => {
    const tenant = await createTenant(db)
    const id = await connection(tenant.tenantId)
    await db.owner(
      `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted)
       values ($1, $2, 'tenant', $2, 'metrics_collection', 'test', false)`,
      [newId('cns'), tenant.tenantId],
    )
    expect(await tick(Date.now() + 120_000)).not.toContain(id)
  })

  it('skips X connections of a tenant that switched X collection off', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const x = newId('con')
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id, next_collect_at) values ($1, $2, 'x', $1, now() - interval '1 minute')`,
      [x, tenant.tenantId],
    )
    await db.owner(
      `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted)
       values ($1, $2, 'connection', $3, 'metrics_collection', 'test', true)`,
      [newId('cns'), tenant.tenantId, x],
    )
    const ig = await connection(tenant.tenantId)
    const denied = await as(db, (await login(db, viewer.email)).access_token)('/api/v1/tenant/settings', {
      method: 'PATCH',
      json: { x_collection_enabled: false },
    })
    expect(denied.status).toBe(403)
    const call = as(db, (await login(db, owner.email)).access_token)
    const response = await call('/api/v1/tenant/settings', {
      method: 'PATCH',
      json: { x_collection_enabled: false },
    })
    expect(await response.json()).toEqual({ x_collection_enabled: false, time_zone: 'America/Sao_Paulo' })
    const sent = await tick(Date.now() + 240_000)
    expect(sent).toContain(ig)
    expect(sent).not.toContain(x)
    const audit = await db.owner<{ action: string }>(
      "select action from audit_log where tenant_id = $1 and action = 'tenant.settings_changed'",
      [tenant.tenantId],
    )
    expect(audit).toHaveLength(1)
  })
})
