import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { workersKv } from '../../../worker/runtime/cloudflare.ts'
import { runJobs, setup } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { erasureJobs, REAUTH, requestRow, tenantStatus, tick } from '../../helpers/erasure.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

// The grace period of an erasure (issue 23 §4): asked for deliberately, suspended at once,
// cancellable with everything intact, and deleted only when the cron tick finds it due.
// erasure.test.ts follows a deletion to its end; this file is the request's life before that.

let db: TestDatabase
let operator: ReturnType<typeof as>
beforeAll(async () => {
  db = await createTestDatabase()
  operator = as(db, (await login(db, (await createOperator(db)).email)).access_token)
})

const DAY_MS = 86_400_000
/** Cron slots in 2001: only requests made due by `backdate` are due then, none of the file's others. */
const pastSlot = () => Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e9)
const backdate = (requestId: string) =>
  db.owner(`update erasure_requests set scheduled_for = '2000-01-01' where id = $1`, [requestId])

type RequestBody = {
  id: string
  status: string
  scheduled_for: string | null
  grace_days: number | null
  previous_status: string | null
  cancel_reason: string | null
}

const schedule = (tenant: { tenantId: string; slug: string }, proof: Record<string, unknown> = {}) =>
  operator('/api/v1/admin/erasure-requests', {
    method: 'POST',
    json: { tenant_id: tenant.tenantId, tenant_slug: tenant.slug, reauth: REAUTH, ...proof },
  })
const cancel = (id: string, reason = 'The customer renewed their contract.') =>
  operator(`/api/v1/admin/erasure-requests/${id}/cancel`, { method: 'POST', json: { reason } })

const metaHandshake = (slug: string) =>
  callWorker(
    db.env,
    `/webhooks/meta/${slug}?hub.mode=subscribe&hub.challenge=4242&hub.verify_token=erasure-verify-token`,
  )

/** What a tenant has, table by table: a cancellation must leave every count as it was. */
async function holdings(tenantId: string) {
  const [row] = await db.owner<Record<string, number>>(
    `select (select count(*)::int from users where tenant_id = $1) as users,
            (select count(*)::int from api_keys where tenant_id = $1 and revoked_at is null) as api_keys,
            (select count(*)::int from connections where tenant_id = $1) as connections,
            (select count(*)::int from metric_points where tenant_id = $1) as metric_points,
            (select count(*)::int from consents where tenant_id = $1) as consents,
            (select count(*)::int from meta_webhook_settings where tenant_id = $1) as meta_webhook_settings`,
    [tenantId],
  )
  return row
}

describe('erasure with a grace period: the happy path', () => {
  it('suspends the tenant at once and deletes nothing; a cancel with a reason brings it back intact', async () => {
    const { tenant, call, env } = await setup(db)
    const key = (await (
      await call('/api/v1/api-keys', { method: 'POST', json: { name: 'reports', role: 'viewer' } })
    ).json()) as { key: string }
    const settings = await call('/api/v1/webhooks/meta/settings', {
      method: 'PUT',
      json: { app_secret: 'erasure-app-secret-0123456789', verify_token: 'erasure-verify-token' },
    })
    expect(settings.status).toBe(200)
    const connectionId = newId('con')
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'instagram', $1)`,
      [connectionId, tenant.tenantId],
    )
    await db.owner(
      `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
       select $1, $2, 'reach', 'day', current_date - d, d from generate_series(0, 29) d`,
      [tenant.tenantId, connectionId],
    )
    const owner = (
      await db.owner<{ email: string }>(`select email from users where tenant_id = $1 and role = 'owner'`, [
        tenant.tenantId,
      ])
    )[0] as { email: string }
    const before = await holdings(tenant.tenantId)
    expect(before).toMatchObject({ users: 1, api_keys: 1, connections: 1, metric_points: 30 })
    expect((await metaHandshake(tenant.slug)).status).toBe(200)

    const response = await schedule(tenant)
    expect(response.status).toBe(202)
    const request = (await response.json()) as RequestBody
    expect(request).toMatchObject({
      status: 'scheduled',
      scope: 'tenant',
      requested_by_type: 'operator',
      previous_status: 'active',
      grace_days: 7,
    })
    // The receipt says when: seven days from now (LGPD: the subject is told when deletion happens).
    const due = new Date(request.scheduled_for as string).getTime()
    expect(Math.abs(due - (Date.now() + 7 * DAY_MS))).toBeLessThan(120_000)

    // Suspended now: nobody signs in, no session or key works, webhooks find no endpoint.
    expect(await tenantStatus(db, tenant.tenantId)).toBe('suspended')
    expect((await call('/api/v1/tenant')).status).toBe(401)
    const keyCall = as({ ...db, env }, key.key)
    expect(await errorCode(await keyCall('/api/v1/tenant'))).toBe('INVALID_API_KEY')
    const signIn = await callWorker(db.env, '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: owner.email, password: REAUTH.password }),
    })
    expect(await errorCode(signIn)).toBe('TENANT_SUSPENDED')
    expect((await metaHandshake(tenant.slug)).status).toBe(404)
    expect(await workersKv(env.TOKENS).list(`edge/meta-webhook/${tenant.slug}`)).toEqual([])
    // …and nothing is deleted, nor is a deletion started before the grace period ends.
    expect(await holdings(tenant.tenantId)).toEqual(before)
    const early = await tick(env, due - 60_000)
    expect(early.explicitAcks).toHaveLength(1)
    expect((await requestRow(db, request.id))?.status).toBe('scheduled')

    // The central lists it with its deadline; the tenant's status is the erasure's to change.
    const listed = (await (await operator('/api/v1/admin/erasure-requests')).json()) as {
      data: RequestBody[]
    }
    expect(listed.data.find((row) => row.id === request.id)).toMatchObject({
      status: 'scheduled',
      scheduled_for: request.scheduled_for,
    })
    // Renamed meanwhile: the webhook stays refused under the new slug too.
    const slug = `${tenant.slug}-renamed`
    const renamed = await operator(`/api/v1/admin/tenants/${tenant.tenantId}`, {
      method: 'PATCH',
      json: { slug },
    })
    expect(renamed.status).toBe(200)
    expect((await metaHandshake(slug)).status).toBe(404)
    const reactivate = await operator(`/api/v1/admin/tenants/${tenant.tenantId}/reactivate`, {
      method: 'POST',
    })
    expect(reactivate.status).toBe(409)
    expect(await errorCode(reactivate)).toBe('ERASURE_SCHEDULED')

    // Canceling needs a reason; with one, everything is back.
    const noReason = await operator(`/api/v1/admin/erasure-requests/${request.id}/cancel`, {
      method: 'POST',
      json: {},
    })
    expect(noReason.status).toBe(400)
    const canceled = await cancel(request.id)
    expect(canceled.status).toBe(200)
    expect(await canceled.json()).toMatchObject({
      id: request.id,
      status: 'canceled',
      cancel_reason: 'The customer renewed their contract.',
    })
    expect(await tenantStatus(db, tenant.tenantId)).toBe('active')
    expect(await holdings(tenant.tenantId)).toEqual(before)
    expect((await keyCall('/api/v1/tenant')).status).toBe(200)
    expect((await login(db, owner.email)).access_token).toBeTruthy()
    expect((await metaHandshake(slug)).status).toBe(200)
    const again = await cancel(request.id)
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('ERASURE_ALREADY_CANCELED')
    // A tick after the old deadline finds nothing to do.
    await backdate(request.id)
    await tick(env, pastSlot())
    expect((await requestRow(db, request.id))?.status).toBe('canceled')
    expect(await holdings(tenant.tenantId)).toEqual(before)

    // Both steps are in the central's audit trail, in the transaction of each change.
    const audit = await db.owner<{ action: string; data: Record<string, unknown> }>(
      `select action, data from audit_log where target_id = $1 order by created_at`,
      [request.id],
    )
    expect(audit.map((row) => row.action)).toEqual(['erasure.scheduled', 'erasure.canceled'])
    expect(audit[1]?.data).toMatchObject({
      tenant_id: tenant.tenantId,
      from: 'scheduled',
      reason: 'The customer renewed their contract.',
    })
  })

  it('a tenant suspended before its erasure stays suspended when the erasure is canceled', async () => {
    const tenant = await createTenant(db, { tenantStatus: 'suspended' })
    const request = (await (await schedule(tenant)).json()) as RequestBody
    expect(request.previous_status).toBe('suspended')
    expect((await cancel(request.id)).status).toBe(200)
    expect(await tenantStatus(db, tenant.tenantId)).toBe('suspended')
  })

  it('is started exactly once by the cron tick, however many ticks and deliveries', async () => {
    const { tenant, env, capture } = await setup(db)
    const request = (await (await schedule(tenant)).json()) as RequestBody
    await backdate(request.id)
    // Two ticks of different slots at the same time, as a double firing or a redelivery would.
    await Promise.all([tick(env, pastSlot()), tick(env, pastSlot())])
    const jobs = erasureJobs(capture.messages)
    expect(jobs).toEqual([{ type: 'privacy.erase', v: 1, tenantId: tenant.tenantId, requestId: request.id }])
    expect((await requestRow(db, request.id))?.status).toBe('erasing')
    // The job delivered twice at once: one deletion, one receipt.
    await Promise.all([runJobs(env, jobs), runJobs(env, jobs)])
    expect(
      await db.owner('select 1 from erasure_receipts where request_id = $1 and scope = $2', [
        request.id,
        'tenant',
      ]),
    ).toHaveLength(1)
    expect(await db.owner('select 1 from users where tenant_id = $1', [tenant.tenantId])).toEqual([])
    const started = await db.owner(
      `select 1 from audit_log where action = 'erasure.started' and target_id = $1`,
      [request.id],
    )
    expect(started).toHaveLength(1)
  })

  it('runs sooner only when the owner asks for it with their password; an admin cannot shorten it', async () => {
    const { tenant, call, env, capture } = await setup(db)
    const connectionId = newId('con')
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'x', $1)`,
      [connectionId, tenant.tenantId],
    )
    const admin = await createMember(db, tenant.tenantId, 'admin')
    const adminCall = as({ ...db, env }, (await login(db, admin.email)).access_token)
    const shorter = { scope: 'connection', connection_id: connectionId, grace_days: 0, reauth: REAUTH }
    const refused = await adminCall('/api/v1/erasure-requests', { method: 'POST', json: shorter })
    expect(refused.status).toBe(403)
    // The owner may: the connection is erased at the next tick.
    const now = await call('/api/v1/erasure-requests', { method: 'POST', json: shorter })
    expect(now.status).toBe(202)
    const request = (await now.json()) as RequestBody
    expect(request.grace_days).toBe(0)
    expect(Math.abs(new Date(request.scheduled_for as string).getTime() - Date.now())).toBeLessThan(120_000)
    await tick(env, Date.now() + 1000 + Math.floor(Math.random() * 1000))
    await runJobs(env, erasureJobs(capture.messages))
    expect((await requestRow(db, request.id))?.status).toBe('completed')
    expect(await db.owner('select 1 from connections where id = $1', [connectionId])).toEqual([])

    // The whole tenant: a shorter period needs the owner's password, then an operator's confirmation.
    const unconfirmed = await call('/api/v1/erasure-requests', {
      method: 'POST',
      json: { scope: 'tenant', grace_days: 1 },
    })
    expect(unconfirmed.status).toBe(400)
    const wrong = await call('/api/v1/erasure-requests', {
      method: 'POST',
      json: { scope: 'tenant', grace_days: 1, reauth: { password: 'not my password at all' } },
    })
    expect(await errorCode(wrong)).toBe('WRONG_PASSWORD')
    const asked = await call('/api/v1/erasure-requests', {
      method: 'POST',
      json: { scope: 'tenant', grace_days: 1, reauth: REAUTH },
    })
    expect(asked.status).toBe(202)
    const pending = (await asked.json()) as RequestBody
    expect(pending).toMatchObject({ status: 'pending', grace_days: 1, scheduled_for: null })
    const confirmed = await operator(`/api/v1/admin/erasure-requests/${pending.id}/confirm`, {
      method: 'POST',
      json: { tenant_slug: tenant.slug, reauth: REAUTH },
    })
    expect(confirmed.status).toBe(202)
    const scheduled = (await confirmed.json()) as RequestBody
    expect(scheduled).toMatchObject({ status: 'scheduled', grace_days: 1 })
    expect(
      Math.abs(new Date(scheduled.scheduled_for as string).getTime() - (Date.now() + DAY_MS)),
    ).toBeLessThan(120_000)
    expect((await cancel(pending.id)).status).toBe(200)
  })
})

describe('erasure with a grace period: errors', () => {
  it('refuses a slug that is not the tenant’s, a wrong password and an unknown tenant, changing nothing', async () => {
    const tenant = await createTenant(db)
    const other = await createTenant(db)
    const mismatch = await schedule(tenant, { tenant_slug: other.slug })
    expect(mismatch.status).toBe(400)
    const body = (await mismatch.json()) as { error: { code: string; fields: { path: string }[] } }
    expect(body.error.code).toBe('TENANT_SLUG_MISMATCH')
    expect(body.error.fields.map((field) => field.path)).toEqual(['json.tenant_slug'])
    const wrong = await schedule(tenant, { reauth: { password: 'a guess that is wrong' } })
    expect(wrong.status).toBe(400)
    const wrongBody = (await wrong.json()) as { error: { code: string; fields: { path: string }[] } }
    expect(wrongBody.error.code).toBe('WRONG_PASSWORD')
    expect(wrongBody.error.fields.map((field) => field.path)).toEqual(['json.reauth.password'])
    const unknown = await schedule({ tenantId: newId('ten'), slug: tenant.slug })
    expect(unknown.status).toBe(404)
    const noProof = await operator('/api/v1/admin/erasure-requests', {
      method: 'POST',
      json: { tenant_id: tenant.tenantId },
    })
    expect(noProof.status).toBe(400)
    expect(await tenantStatus(db, tenant.tenantId)).toBe('active')
    expect(await db.owner('select 1 from erasure_requests where tenant_id = $1', [tenant.tenantId])).toEqual(
      [],
    )

    // An owner's request is confirmed with the same proof.
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const ownerCall = as(db, (await login(db, owner.email)).access_token)
    const { id } = (await (
      await ownerCall('/api/v1/erasure-requests', { method: 'POST', json: { scope: 'tenant' } })
    ).json()) as { id: string }
    const badConfirm = await operator(`/api/v1/admin/erasure-requests/${id}/confirm`, {
      method: 'POST',
      json: { tenant_slug: other.slug, reauth: REAUTH },
    })
    expect(await errorCode(badConfirm)).toBe('TENANT_SLUG_MISMATCH')
    expect((await requestRow(db, id))?.status).toBe('pending')
    expect(await tenantStatus(db, tenant.tenantId)).toBe('active')
    // Two open erasures of one tenant are one too many.
    const twice = await schedule(tenant)
    expect(await errorCode(twice)).toBe('ERASURE_ALREADY_REQUESTED')
  })

  it('cannot be canceled once the deletion has started or is done; an unknown request is 404', async () => {
    const { tenant, env, capture } = await setup(db)
    const request = (await (await schedule(tenant)).json()) as RequestBody
    await backdate(request.id)
    await tick(env, pastSlot())
    const started = await cancel(request.id)
    expect(started.status).toBe(409)
    expect(await errorCode(started)).toBe('ERASURE_STARTED')
    await runJobs(env, erasureJobs(capture.messages))
    // The request went with the tenant; its receipt still names it.
    const done = await cancel(request.id)
    expect(done.status).toBe(409)
    expect(await errorCode(done)).toBe('ERASURE_COMPLETED')
    expect((await cancel(newId('era'))).status).toBe(404)
  })

  it('a completed connection erasure cannot be canceled by the tenant either', async () => {
    const { tenant, call, env, capture } = await setup(db)
    const connectionId = newId('con')
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'tiktok', $1)`,
      [connectionId, tenant.tenantId],
    )
    const request = (await (
      await call('/api/v1/erasure-requests', {
        method: 'POST',
        json: { scope: 'connection', connection_id: connectionId, reauth: REAUTH },
      })
    ).json()) as RequestBody
    await backdate(request.id)
    await tick(env, pastSlot())
    await runJobs(env, erasureJobs(capture.messages))
    const late = await call(`/api/v1/erasure-requests/${request.id}/cancel`, {
      method: 'POST',
      json: { reason: 'too late now' },
    })
    expect(late.status).toBe(409)
    expect(await errorCode(late)).toBe('ERASURE_COMPLETED')
  })
})

describe('erasure with a grace period: security', () => {
  it('needs a credential, an operator for the central’s verbs, and keeps tenants apart', async () => {
    const a = await setup(db)
    const b = await setup(db)
    const connectionId = newId('con')
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'instagram', $1)`,
      [connectionId, a.tenant.tenantId],
    )
    const request = (await (
      await a.call('/api/v1/erasure-requests', {
        method: 'POST',
        json: { scope: 'connection', connection_id: connectionId, reauth: REAUTH },
      })
    ).json()) as RequestBody
    expect(request.status).toBe('scheduled')
    const proof = { tenant_id: b.tenant.tenantId, tenant_slug: b.tenant.slug, reauth: REAUTH }

    // No credential: 401 on every verb.
    for (const [path, json] of [
      ['/api/v1/admin/erasure-requests', proof],
      [`/api/v1/admin/erasure-requests/${request.id}/cancel`, { reason: 'no one asked' }],
      [`/api/v1/erasure-requests/${request.id}/cancel`, { reason: 'no one asked' }],
    ] as const) {
      const response = await callWorker(db.env, path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(json),
      })
      expect({ path, status: response.status }).toEqual({ path, status: 401 })
    }
    // A member, even an owner, is not an operator.
    expect((await a.call('/api/v1/admin/erasure-requests', { method: 'POST', json: proof })).status).toBe(403)
    expect(
      (
        await a.call(`/api/v1/admin/erasure-requests/${request.id}/cancel`, {
          method: 'POST',
          json: { reason: 'not mine to cancel' },
        })
      ).status,
    ).toBe(403)
    expect(await tenantStatus(db, b.tenant.tenantId)).toBe('active')
    // Another tenant's request is unknown; an analyst may not cancel; an API key may not erase.
    const foreign = await b.call(`/api/v1/erasure-requests/${request.id}/cancel`, {
      method: 'POST',
      json: { reason: 'not my tenant' },
    })
    expect(foreign.status).toBe(404)
    const analyst = await createMember(db, a.tenant.tenantId, 'analyst')
    const analystCall = as(a.scoped, (await login(db, analyst.email)).access_token)
    const denied = await analystCall(`/api/v1/erasure-requests/${request.id}/cancel`, {
      method: 'POST',
      json: { reason: 'not my role' },
    })
    expect(denied.status).toBe(403)
    const key = (await (
      await a.call('/api/v1/api-keys', { method: 'POST', json: { name: 'erasing key', role: 'admin' } })
    ).json()) as { key: string }
    const byKey = await as(a.scoped, key.key)('/api/v1/erasure-requests', {
      method: 'POST',
      json: { scope: 'connection', connection_id: connectionId, reauth: REAUTH },
    })
    expect(byKey.status).toBe(403)
    expect((await requestRow(db, request.id))?.status).toBe('scheduled')

    // The owner's own pending request is the owner's to withdraw, not an admin's.
    const own = (await (
      await b.call('/api/v1/erasure-requests', { method: 'POST', json: { scope: 'tenant' } })
    ).json()) as RequestBody
    const admin = await createMember(db, b.tenant.tenantId, 'admin')
    const adminCall = as(b.scoped, (await login(db, admin.email)).access_token)
    const notAdmin = await adminCall(`/api/v1/erasure-requests/${own.id}/cancel`, {
      method: 'POST',
      json: { reason: 'admins cannot' },
    })
    expect(notAdmin.status).toBe(403)
    const withdrawn = await b.call(`/api/v1/erasure-requests/${own.id}/cancel`, {
      method: 'POST',
      json: { reason: 'we are staying' },
    })
    expect(withdrawn.status).toBe(200)
    // The tenant withdraws its connection erasure: the connection is as it was.
    const kept = await a.call(`/api/v1/erasure-requests/${request.id}/cancel`, {
      method: 'POST',
      json: { reason: 'we still need this account' },
    })
    expect(kept.status).toBe(200)
    expect(await db.owner('select status from connections where id = $1', [connectionId])).toEqual([
      { status: 'active' },
    ])
  })
})
