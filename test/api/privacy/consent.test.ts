import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { collectJob, consume, jobBatch, setup } from '../../helpers/connections.ts'
import { captureQueue, createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker, captureLogs } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A due, active connection with the consent registerConnection records; written as the owner. */
async function connection(tenantId: string) {
  const id = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id, next_collect_at)
     values ($1, $2, 'instagram', $1, now() - interval '1 minute')`,
    [id, tenantId],
  )
  await db.owner(
    `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted)
     values ($1, $2, 'connection', $3, 'metrics_collection', '2026-11', true)`,
    [newId('cns'), tenantId, id],
  )
  await db.owner(
    `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
     values ($1, $2, 'reach', 'day', current_date - 1, 10), ($1, $2, 'reach', 'day', current_date - 2, 12)`,
    [tenantId, id],
  )
  return id
}

let slot = Date.now()
/** Fires a cron tick for a fresh slot; returns the `collect.connection` messages it sent, counted. */
async function tick() {
  slot += 15 * 60_000
  const capture = captureQueue()
  const result = await consume(
    { ...db.env, JOBS: capture.queue },
    jobBatch([{ type: 'cron.tick', v: 1, cron: '*/15 * * * *', scheduledTime: slot }]),
  )
  expect(result.explicitAcks).toHaveLength(1)
  return (capture.messages as JobMessage[]).filter((m) => m.type === 'collect.connection')
}

const sentTo = (messages: JobMessage[], connectionId: string) =>
  messages.filter((m) => m.type === 'collect.connection' && m.connectionId === connectionId).length

const revoke = (subject: 'tenant' | 'connection', subjectId?: string) => ({
  subject,
  ...(subjectId ? { subject_id: subjectId } : {}),
  purpose: 'metrics_collection',
  policy_version: '2026-11',
  granted: false,
})

describe('POST /api/v1/consent', () => {
  it('revoking a connection stops its collection at once and offers the purge', async () => {
    const { call, tenant } = await setup(db)
    const kept = await connection(tenant.tenantId)
    const revoked = await connection(tenant.tenantId)
    const response = await call('/api/v1/consent', {
      method: 'POST',
      json: revoke('connection', revoked),
      headers: { 'cf-connecting-ip': '198.51.100.4', 'user-agent': 'privacy-test/1.0' },
    })
    expect(response.status).toBe(201)
    const body = (await response.json()) as {
      consent: Record<string, unknown>
      purge: { method: string; href: string }
    }
    expect(body.consent).toMatchObject({
      subject: 'connection',
      subject_id: revoked,
      purpose: 'metrics_collection',
      granted: false,
      ip: '198.51.100.4',
      user_agent: 'privacy-test/1.0',
      actor_id: expect.stringMatching(/^usr_/),
    })
    expect(body.purge).toMatchObject({
      method: 'DELETE',
      href: `/api/v1/connections/${revoked}?purge_metrics=true`,
    })

    const sent = await tick()
    expect(sentTo(sent, kept)).toBe(1)
    expect(sentTo(sent, revoked)).toBe(0)

    // The offered purge works as linked.
    const purge = await call(body.purge.href, { method: 'DELETE' })
    expect(purge.status).toBe(204)
    expect(await db.owner('select 1 from metric_points where connection_id = $1', [revoked])).toEqual([])
    const audit = await db.owner<{ action: string }>(
      `select action from audit_log where tenant_id = $1 and action like 'consent.%'`,
      [tenant.tenantId],
    )
    expect(audit).toEqual([{ action: 'consent.revoked' }])
  })

  it('revoking for the tenant stops every connection of it, not another tenant’s; granting resumes', async () => {
    const { call, tenant } = await setup(db)
    const other = await createTenant(db)
    const mine = [await connection(tenant.tenantId), await connection(tenant.tenantId)]
    const theirs = await connection(other.tenantId)

    const response = await call('/api/v1/consent', { method: 'POST', json: revoke('tenant') })
    expect(response.status).toBe(201)
    const body = (await response.json()) as { consent: { subject_id: string }; purge: { href: string } }
    expect(body.consent.subject_id).toBe(tenant.tenantId)
    expect(body.purge.href).toBe('/api/v1/privacy/metrics')

    const sent = await tick()
    expect(sent.filter((m) => m.type === 'collect.connection' && m.tenantId === tenant.tenantId)).toEqual([])
    expect(sentTo(sent, theirs)).toBe(1)

    // The tenant-level purge deletes every metric point of this tenant only.
    const purge = await call('/api/v1/privacy/metrics', { method: 'DELETE' })
    expect(await purge.json()).toEqual({ deleted: { metric_points: 4 } })
    expect(await db.owner('select 1 from metric_points where tenant_id = $1', [tenant.tenantId])).toEqual([])
    expect(await db.owner('select 1 from metric_points where tenant_id = $1', [other.tenantId])).toHaveLength(
      2,
    )

    // Granting again (a new record; history keeps both) lets the next tick collect.
    await db.owner(
      `update connections set next_collect_at = now() - interval '1 minute' where tenant_id = $1`,
      [tenant.tenantId],
    )
    const grant = await call('/api/v1/consent', {
      method: 'POST',
      json: { ...revoke('tenant'), granted: true, policy_version: '2026-12' },
    })
    expect(grant.status).toBe(201)
    expect((await grant.json()) as { purge: unknown }).toMatchObject({ purge: null })
    const resumed = await tick()
    for (const id of mine) expect(sentTo(resumed, id)).toBe(1)
  })

  it('the consumer refuses a message that slipped through a revocation: no platform call, no run', async () => {
    const { call, tenant, env } = await setup(db)
    const id = await connection(tenant.tenantId)
    // The message was queued before the revocation (a manual run, say)…
    const slipped = collectJob(tenant.tenantId, id, 'manual')
    await call('/api/v1/consent', { method: 'POST', json: revoke('connection', id) })
    // …and is delivered after it.
    const { result, lines } = await captureLogs(() => consume(env, jobBatch([slipped])))
    expect(result.explicitAcks).toHaveLength(1)
    expect(result.retryMessages).toEqual([])
    expect(lines.some((line) => line.message === 'collection skipped: connection not collectable')).toBe(true)
    expect(await db.owner('select 1 from collection_runs where connection_id = $1', [id])).toEqual([])
  })

  it('validates the body, naming the fields', async () => {
    const { call } = await setup(db)
    const response = await call('/api/v1/consent', {
      method: 'POST',
      json: { subject: 'person', purpose: 'marketing', granted: 'no' },
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { code: string; fields: { path: string }[] } }
    expect(body.error.code).toBe('VALIDATION_FAILED')
    expect(body.error.fields.map((f) => f.path).sort()).toEqual([
      'json.granted',
      'json.policy_version',
      'json.purpose',
      'json.subject',
    ])
    const missing = await call('/api/v1/consent', { method: 'POST', json: revoke('connection') })
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { error: { fields: { path: string }[] } }).error.fields).toEqual([
      { path: 'json.subject_id', message: expect.any(String) },
    ])
  })

  it('answers 404 for another tenant’s connection or tenant id, 409 for granting a removed connection', async () => {
    const { call, tenant } = await setup(db)
    const other = await createTenant(db)
    const theirs = await connection(other.tenantId)
    const foreign = await call('/api/v1/consent', { method: 'POST', json: revoke('connection', theirs) })
    expect(foreign.status).toBe(404)
    const otherTenant = await call('/api/v1/consent', {
      method: 'POST',
      json: revoke('tenant', other.tenantId),
    })
    expect(otherTenant.status).toBe(404)
    expect(await db.owner('select 1 from consents where subject_id = $1 and not granted', [theirs])).toEqual(
      [],
    )

    const removed = await connection(tenant.tenantId)
    await db.owner(`update connections set status = 'disconnected' where id = $1`, [removed])
    const regrant = await call('/api/v1/consent', {
      method: 'POST',
      json: { ...revoke('connection', removed), granted: true },
    })
    expect(regrant.status).toBe(409)
    expect(await errorCode(regrant)).toBe('CONNECTION_DISCONNECTED')
  })

  it('is for signed-in owners and admins: 401 without a token, 403 for analysts, operators and API keys', async () => {
    const tenant = await createTenant(db)
    const analyst = await createMember(db, tenant.tenantId, 'analyst')
    const analystCall = as(db, (await login(db, analyst.email)).access_token)
    const operator = await createOperator(db)
    const operatorCall = as(db, (await login(db, operator.email)).access_token)
    const anonymous = await callWorker(db.env, '/api/v1/consent', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(revoke('tenant')),
    })
    expect(anonymous.status).toBe(401)
    for (const call of [analystCall, operatorCall]) {
      const denied = await call('/api/v1/consent', { method: 'POST', json: revoke('tenant') })
      expect(denied.status).toBe(403)
      expect((await call('/api/v1/consent')).status).toBe(403)
    }
    const admin = await createMember(db, tenant.tenantId, 'admin')
    const adminCall = as(db, (await login(db, admin.email)).access_token)
    const created = await adminCall('/api/v1/api-keys', {
      method: 'POST',
      json: { name: 'k', role: 'admin' },
    })
    const { key } = (await created.json()) as { key: string }
    const keyCall = as(db, key)
    expect((await keyCall('/api/v1/consent', { method: 'POST', json: revoke('tenant') })).status).toBe(403)
    expect((await adminCall('/api/v1/consent', { method: 'POST', json: revoke('tenant') })).status).toBe(201)
    expect(await db.owner('select 1 from consents where tenant_id = $1', [tenant.tenantId])).toHaveLength(1)
  })
})

describe('GET /api/v1/consent', () => {
  it('shows the current state per subject and purpose, and the history newest first, paged', async () => {
    const { call, tenant } = await setup(db)
    const id = await connection(tenant.tenantId)
    await call('/api/v1/consent', { method: 'POST', json: revoke('connection', id) })
    await call('/api/v1/consent', { method: 'POST', json: { ...revoke('connection', id), granted: true } })
    const empty = (await (await call('/api/v1/consent?subject=tenant')).json()) as Record<string, unknown>
    expect(empty).toMatchObject({ current: [], tenant_collection_by_default: true })

    type Page = {
      current: { subject_id: string; granted: boolean }[]
      history: { data: { id: string; granted: boolean }[]; next_cursor: string | null }
    }
    const first = (await (await call('/api/v1/consent?limit=2')).json()) as Page
    expect(first.current).toEqual([expect.objectContaining({ subject_id: id, granted: true })])
    expect(first.history.data.map((r) => r.granted)).toEqual([true, false])
    expect(first.history.next_cursor).toBeTruthy()
    const second = (await (
      await call(`/api/v1/consent?limit=2&cursor=${first.history.next_cursor}`)
    ).json()) as Page
    // The record registerConnection wrote comes last.
    expect(second.history.data.map((r) => r.granted)).toEqual([true])
    expect(second.history.next_cursor).toBeNull()
    const ids = [...first.history.data, ...second.history.data].map((r) => r.id)
    expect(new Set(ids).size).toBe(3)

    const bad = await call('/api/v1/consent?cursor=nonsense')
    expect(bad.status).toBe(400)
    expect(await errorCode(bad)).toBe('VALIDATION_FAILED')
  })

  it('never shows another tenant’s records', async () => {
    const { call } = await setup(db)
    const other = await createTenant(db)
    await connection(other.tenantId)
    const body = (await (await call('/api/v1/consent')).json()) as {
      current: unknown[]
      history: { data: unknown[] }
    }
    expect(body.current).toEqual([])
    expect(body.history.data).toEqual([])
  })

  it('purging metrics is for owners and admins only', async () => {
    const tenant = await createTenant(db)
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const id = await connection(tenant.tenantId)
    const denied = await as(db, (await login(db, viewer.email)).access_token)('/api/v1/privacy/metrics', {
      method: 'DELETE',
    })
    expect(denied.status).toBe(403)
    expect(await db.owner('select 1 from metric_points where connection_id = $1', [id])).toHaveLength(2)
    expect((await callWorker(db.env, '/api/v1/privacy/metrics', { method: 'DELETE' })).status).toBe(401)
  })
})
