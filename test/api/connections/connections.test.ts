import { createExecutionContext } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import worker from '../../../worker/index.ts'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { collectJob, consume, jobBatch, runJobs, setup, uniqueAccount } from '../../helpers/connections.ts'
import { createTestDatabase, fakeControl, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, errorCode, login } from '../../helpers/fixtures.ts'
import { captureLogs } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const account = () => uniqueAccount('178414')
const registration = (externalAccountId = account(), accessToken = `fake-ig-${crypto.randomUUID()}`) => ({
  platform: 'instagram',
  external_account_id: externalAccountId,
  access_token: accessToken,
  label: 'Loja Centro',
})

describe('POST /api/v1/connections', () => {
  it('validates the token with the platform, stores it encrypted and queues a 90-day backfill', async () => {
    const { call, capture, tenant } = await setup(db)
    const body = registration()
    const { result: response, lines } = await captureLogs(() =>
      call('/api/v1/connections', { method: 'POST', json: body }),
    )
    expect(response.status).toBe(201)
    const text = await response.text()
    expect(text).not.toContain(body.access_token)
    const connection = JSON.parse(text)
    expect(connection).toMatchObject({
      platform: 'instagram',
      external_account_id: body.external_account_id,
      status: 'active',
      label: 'Loja Centro',
      display_name: expect.stringMatching(/^conta_/),
      backfill: { done_days: 0, total_days: 90 },
    })
    expect(JSON.stringify(lines)).not.toContain(body.access_token)
    const backfill = capture.messages as JobMessage[]
    expect(backfill).toHaveLength(3)
    expect(backfill.every((m) => m.type === 'collect.connection' && m.kind === 'backfill')).toBe(true)
    // KV holds ciphertext only.
    const stored = await db.env.TOKENS.get(`vault/${tenant.tenantId}/${connection.id}/access_token`)
    expect(stored).toBeTruthy()
    expect(stored).not.toContain(body.access_token)
    const consents = await db.owner('select granted from consents where subject_id = $1', [connection.id])
    expect(consents).toEqual([{ granted: true }])
  })

  it('refuses a token the platform rejects, storing nothing', async () => {
    const { call, tenant } = await setup(db)
    const response = await call('/api/v1/connections', {
      method: 'POST',
      json: registration(account(), 'revoked-or-bogus'),
    })
    expect(response.status).toBe(422)
    expect(await errorCode(response)).toBe('TOKEN_REJECTED')
    expect(await db.owner('select id from connections where tenant_id = $1', [tenant.tenantId])).toEqual([])
  })

  it('answers 409 for the same account twice and 403 over the plan limit', async () => {
    const { call } = await setup(db, { connectionsLimit: 1 })
    const body = registration()
    expect((await call('/api/v1/connections', { method: 'POST', json: body })).status).toBe(201)
    const again = await call('/api/v1/connections', {
      method: 'POST',
      json: registration(body.external_account_id),
    })
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('CONNECTION_EXISTS')
    const over = await call('/api/v1/connections', { method: 'POST', json: registration() })
    expect(over.status).toBe(403)
    expect(await errorCode(over)).toBe('CONNECTIONS_LIMIT_REACHED')
  })

  it('validates the body, naming the fields', async () => {
    const { call } = await setup(db)
    const response = await call('/api/v1/connections', {
      method: 'POST',
      json: { platform: 'myspace', access_token: 'x' },
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { fields: { path: string }[] } }
    expect(body.error.fields.map((f) => f.path).sort()).toEqual([
      'json.access_token',
      'json.external_account_id',
      'json.platform',
    ])
  })

  it('is refused without auth, to a viewer, and without an active license', async () => {
    const { tenant, scoped } = await setup(db)
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const viewerCall = as(scoped, (await login(db, viewer.email)).access_token)
    expect((await viewerCall('/api/v1/connections', { method: 'POST', json: registration() })).status).toBe(
      403,
    )
    expect((await viewerCall('/api/v1/connections')).status).toBe(200)
    const anonymous = await fetchAnonymous(scoped.env)
    expect(anonymous.status).toBe(401)
    const suspended = await setup(db, { licenseStatus: 'suspended' })
    const response = await suspended.call('/api/v1/connections')
    expect(response.status).toBe(403)
    expect(await errorCode(response)).toBe('LICENSE_INACTIVE')
  })
})

async function fetchAnonymous(env: TestBindings) {
  const ctx = createExecutionContext()
  return worker.fetch(new Request('https://integra.test/api/v1/connections'), env, ctx)
}

describe('connection resource', () => {
  it('hides another tenant’s connections (404) from JWTs', async () => {
    const a = await setup(db)
    const b = await setup(db)
    const created = (await (
      await a.call('/api/v1/connections', { method: 'POST', json: registration() })
    ).json()) as { id: string }
    expect((await b.call(`/api/v1/connections/${created.id}`)).status).toBe(404)
    expect(
      (await b.call(`/api/v1/connections/${created.id}`, { method: 'PATCH', json: { status: 'paused' } }))
        .status,
    ).toBe(404)
    expect(
      (await b.call(`/api/v1/connections/${created.id}?purge_metrics=true`, { method: 'DELETE' })).status,
    ).toBe(404)
    expect((await b.call(`/api/v1/connections/${created.id}/collect`, { method: 'POST' })).status).toBe(404)
    const list = (await (await b.call('/api/v1/connections')).json()) as { data: unknown[] }
    expect(list.data).toEqual([])
  })

  it('pauses, resumes and relabels, with audit rows', async () => {
    const { call, tenant } = await setup(db)
    const created = (await (
      await call('/api/v1/connections', { method: 'POST', json: registration() })
    ).json()) as { id: string }
    const paused = await call(`/api/v1/connections/${created.id}`, {
      method: 'PATCH',
      json: { status: 'paused', label: 'Matriz' },
    })
    expect(await paused.json()).toMatchObject({ status: 'paused', label: 'Matriz' })
    const resumed = await call(`/api/v1/connections/${created.id}`, {
      method: 'PATCH',
      json: { status: 'active' },
    })
    expect(await resumed.json()).toMatchObject({ status: 'active' })
    const audit = await db.owner<{ action: string }>(
      "select action from audit_log where tenant_id = $1 and action like 'connection.%' order by created_at",
      [tenant.tenantId],
    )
    expect(audit.map((a) => a.action)).toEqual([
      'connection.created',
      'connection.paused',
      'connection.resumed',
    ])
  })

  it('collect now queues a manual run, then rate-limits', async () => {
    const { call, capture } = await setup(db)
    const created = (await (
      await call('/api/v1/connections', { method: 'POST', json: registration() })
    ).json()) as { id: string }
    const first = await call(`/api/v1/connections/${created.id}/collect`, { method: 'POST' })
    expect(first.status).toBe(202)
    expect(
      (capture.messages as JobMessage[]).filter(
        (m) => m.type === 'collect.connection' && m.kind === 'manual',
      ),
    ).toHaveLength(1)
    const second = await call(`/api/v1/connections/${created.id}/collect`, { method: 'POST' })
    expect(second.status).toBe(429)
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('delete requires an explicit purge choice; keeping metrics leaves a disconnected row and no tokens', async () => {
    const { call, env, tenant } = await setup(db)
    const created = (await (
      await call('/api/v1/connections', { method: 'POST', json: registration() })
    ).json()) as { id: string }
    await runJobs(env, [collectJob(tenant.tenantId, created.id, 'manual')])
    expect((await call(`/api/v1/connections/${created.id}`, { method: 'DELETE' })).status).toBe(400)
    expect(
      (await call(`/api/v1/connections/${created.id}?purge_metrics=false`, { method: 'DELETE' })).status,
    ).toBe(204)
    expect(await db.env.TOKENS.get(`vault/${tenant.tenantId}/${created.id}/access_token`)).toBeNull()
    const [row] = await db.owner<{ status: string; points: number }>(
      'select c.status, (select count(*)::int from metric_points p where p.connection_id = c.id) as points from connections c where c.id = $1',
      [created.id],
    )
    expect(row?.status).toBe('disconnected')
    expect(row?.points).toBeGreaterThan(0)
    expect(
      (await call(`/api/v1/connections/${created.id}?purge_metrics=true`, { method: 'DELETE' })).status,
    ).toBe(204)
    expect(await db.owner('select 1 from metric_points where connection_id = $1', [created.id])).toEqual([])
  })
})

describe('collection consumer', () => {
  async function connected() {
    const context = await setup(db)
    const token = `fake-ig-${crypto.randomUUID()}`
    const externalAccountId = account()
    const created = (await (
      await context.call('/api/v1/connections', {
        method: 'POST',
        json: registration(externalAccountId, token),
      })
    ).json()) as { id: string }
    return { ...context, connectionId: created.id, token, externalAccountId }
  }

  const points = (connectionId: string) =>
    db.owner<{ metric: string; period_start: string; value: number }>(
      'select metric, period_start::text, value from metric_points where connection_id = $1 order by metric, period_start',
      [connectionId],
    )

  it('runs a backfill window into daily points with one upsert, and redelivery gives identical points', async () => {
    const { env, capture, connectionId, call } = await connected()
    const window = (capture.messages as JobMessage[])[0] as JobMessage
    const result = await runJobs(env, [window])
    expect(result.explicitAcks).toHaveLength(1)
    const first = await points(connectionId)
    expect(first.length).toBeGreaterThan(30 * 5)
    expect(new Set(first.map((p) => p.metric))).toEqual(
      new Set([
        'reach',
        'follower_count',
        'views',
        'likes',
        'comments',
        'shares',
        'saves',
        'total_interactions',
        'accounts_engaged',
      ]),
    )
    await runJobs(env, [window])
    expect(await points(connectionId)).toEqual(first)
    const detail = (await (await call(`/api/v1/connections/${connectionId}`)).json()) as {
      backfill: { done_days: number }
    }
    expect(detail.backfill.done_days).toBe(30)
    const runs = await db.owner<{ status: string; points: number; api_calls: number }>(
      'select status, points, api_calls from collection_runs where connection_id = $1',
      [connectionId],
    )
    expect(runs).toHaveLength(2)
    expect(runs.every((r) => r.status === 'succeeded' && r.points === first.length)).toBe(true)
  })

  it('snapshots followers daily on scheduled runs', async () => {
    const { env, connectionId, tenant } = await connected()
    await runJobs(env, [collectJob(tenant.tenantId, connectionId)])
    const followers = (await points(connectionId)).filter((p) => p.metric === 'followers')
    expect(followers).toHaveLength(1)
    expect(followers[0]?.period_start).toBe(new Date().toISOString().slice(0, 10))
  })

  it('turns a revoked token into needs_reconnect with a clear message, without retrying', async () => {
    const { env, connectionId, tenant, token, call } = await connected()
    await fakeControl('revoke', { token })
    const result = await runJobs(env, [collectJob(tenant.tenantId, connectionId)])
    expect(result.retryMessages).toEqual([])
    const detail = (await (await call(`/api/v1/connections/${connectionId}`)).json()) as {
      status: string
      last_error: string
    }
    expect(detail.status).toBe('needs_reconnect')
    expect(detail.last_error).toMatch(/reconnect/i)
    expect(JSON.stringify(detail)).not.toContain(token)
  })

  it('keeps collecting the other metrics when one is retired, recording which failed', async () => {
    const { env, connectionId, tenant, externalAccountId } = await connected()
    await fakeControl('scenario', { account: externalAccountId, scenario: 'retired_metric' })
    const to = new Date().toISOString().slice(0, 10)
    await runJobs(env, [collectJob(tenant.tenantId, connectionId, 'backfill', { from: to, to })])
    const metrics = new Set((await points(connectionId)).map((p) => p.metric))
    expect(metrics.has('views')).toBe(false)
    expect(metrics.has('reach')).toBe(true)
    expect(metrics.has('likes')).toBe(true)
    const [run] = await db.owner<{ status: string; failed_metrics: string[] }>(
      'select status, failed_metrics from collection_runs where connection_id = $1',
      [connectionId],
    )
    expect(run).toEqual({ status: 'partial', failed_metrics: ['views'] })
  })

  it('refuses a message for a paused connection or a revoked consent (the consumer gate)', async () => {
    const { env, connectionId, tenant, call } = await connected()
    await call(`/api/v1/connections/${connectionId}`, { method: 'PATCH', json: { status: 'paused' } })
    const job = collectJob(tenant.tenantId, connectionId)
    expect((await runJobs(env, [job])).explicitAcks).toHaveLength(1)
    await call(`/api/v1/connections/${connectionId}`, { method: 'PATCH', json: { status: 'active' } })
    await db.owner(
      `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted)
       values ('cns_revoked' || md5(random()::text), $1, 'tenant', $1, 'metrics_collection', '2026-11', false)`,
      [tenant.tenantId],
    )
    await runJobs(env, [job])
    expect(await points(connectionId)).toEqual([])
  })

  it('marks the run dead and the connection in error when a message lands in the dead-letter queue', async () => {
    const { connectionId, tenant, call, env } = await connected()
    const batch = jobBatch([collectJob(tenant.tenantId, connectionId)], {
      queue: 'integra-jobs-dlq',
      attempts: 6,
    })
    expect((await consume(env, batch)).explicitAcks).toEqual([batch.messages[0]?.id])
    const detail = (await (await call(`/api/v1/connections/${connectionId}`)).json()) as {
      status: string
      last_error: string
    }
    expect(detail).toMatchObject({ status: 'error', last_error: expect.stringMatching(/stopped/) })
    const runs = await (await call(`/api/v1/connections/${connectionId}/runs`)).json()
    expect(runs).toMatchObject({ data: [{ status: 'dead', error: 'gave up after 6 attempts' }] })
  })
})
