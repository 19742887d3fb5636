import { beforeAll, describe, expect, it } from 'vitest'
import { DbHandle } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import { loadConfig } from '../../../worker/config.ts'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { r2Objects, workersKv } from '../../../worker/runtime/cloudflare.ts'
import { ERASURE_BATCH_ROWS, ERASURE_SURVIVORS } from '../../../worker/services/privacy/erasure-run.ts'
import { kvKeyOf, type SecretRef, SecretUnreadableError, Vault } from '../../../worker/vault/vault.ts'
import { coffeeCheckout, postCheckout, shopSetup } from '../../helpers/commerce.ts'
import { runJobs, setup } from '../../helpers/connections.ts'
import { captureQueue, createTestDatabase, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
import { erasureJobs, REAUTH, requestRow, tenantStatus, tick } from '../../helpers/erasure.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
let operatorCall: ReturnType<typeof as>
let tenantTables: string[]
beforeAll(async () => {
  db = await createTestDatabase()
  const operator = await createOperator(db)
  operatorCall = as(db, (await login(db, operator.email)).access_token)
  // Every table with a tenant_id, found the way rls.test.ts finds them: none can be forgotten.
  tenantTables = (
    await db.owner<{ table_name: string }>(
      `select table_name from information_schema.columns
       where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
    )
  ).map((row) => row.table_name)
})

/** Runs vault work in the tenant's own transaction as the application role. */
async function withVault<T>(env: TestBindings, tenantId: string, work: (vault: Vault) => Promise<T>) {
  const handle = new DbHandle({
    connectionString: env.DATABASE_URL as string,
    wsProxy: env.NEON_WS_PROXY || undefined,
    connectTimeoutMs: 5000,
  })
  try {
    return await handle.transaction(
      (tx) => work(new Vault(tx, workersKv(env.TOKENS), loadConfig(env).VAULT_MASTER_KEYS)),
      { tenantId },
    )
  } finally {
    await handle.close()
  }
}

/**
 * A tenant with rows in as many tenant tables as a real one has: members and a session, an API
 * key, connections with tokens in the vault, enough metric points for several erasure batches,
 * runs, consents, an export archive in R2, OAuth and Meta webhook rows, audit rows.
 */
async function populatedTenant() {
  const ctx = await setup(db)
  const { tenant, call, env } = ctx
  const admin = await createMember(db, tenant.tenantId, 'admin')
  await login(db, admin.email)
  await call('/api/v1/api-keys', { method: 'POST', json: { name: 'to-erase', role: 'viewer' } })
  const connections = [newId('con'), newId('con')]
  for (const id of connections) {
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'instagram', $1)`,
      [id, tenant.tenantId],
    )
    await db.owner(
      `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted, ip)
       values ($1, $2, 'connection', $3, 'metrics_collection', '2026-11', true, '192.0.2.1')`,
      [newId('cns'), tenant.tenantId, id],
    )
    await db.owner(
      `insert into collection_runs (tenant_id, connection_id, kind, status) values ($1, $2, 'scheduled', 'succeeded')`,
      [tenant.tenantId, id],
    )
    await withVault(env, tenant.tenantId, async (vault) => {
      await vault.put({ tenantId: tenant.tenantId, ownerId: id, purpose: 'access_token' }, `token-${id}`, 1)
      await vault.put(
        { tenantId: tenant.tenantId, ownerId: id, purpose: 'refresh_token' },
        `refresh-${id}`,
        1,
      )
    })
  }
  await db.owner(
    `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
     select $1, $2, 'm' || (d % 20), 'day', current_date - d / 20, d from generate_series(0, $3) d`,
    [tenant.tenantId, connections[0], ERASURE_BATCH_ROWS + 500],
  )
  const [owner] = await db.owner<{ id: string; email: string }>(
    `select id, email from users where tenant_id = $1 and role = 'owner'`,
    [tenant.tenantId],
  )
  await db.owner(
    `insert into oauth_states (id, tenant_id, user_id, platform, redirect_uri, expires_at)
     values (gen_random_uuid(), $1, $2, 'x', 'https://integra.test/cb', now() + interval '10 minutes')`,
    [tenant.tenantId, owner?.id],
  )
  await db.owner(
    `insert into webhook_events (tenant_id, source, payload, digest) values ($1, 'meta', '{"from":"someone"}', 'd1')`,
    [tenant.tenantId],
  )
  await db.owner('insert into meta_webhook_settings (tenant_id) values ($1)', [tenant.tenantId])
  // The calendar's chain of foreign keys: bookings → feeds → properties.
  const [property, source] = [`prp_${tenant.tenantId.slice(4)}`, `src_${tenant.tenantId.slice(4)}`]
  await db.owner(
    `insert into properties (id, tenant_id, name, timezone) values ($1, $2, 'Casa', 'America/Sao_Paulo')`,
    [property, tenant.tenantId],
  )
  await db.owner(
    `insert into calendar_sources (id, tenant_id, property_id, channel, url_masked, url_digest)
     values ($1, $2, $3, 'airbnb', 'https://…/x.ics', 'digest')`,
    [source, tenant.tenantId, property],
  )
  await db.owner(
    `insert into bookings (id, tenant_id, property_id, source_id, uid, guest_name, check_in, check_out, status)
     values ($1, $2, $3, $4, 'uid-1', 'Maria Souza', current_date, current_date + 3, 'confirmed')`,
    [`bkg_${tenant.tenantId.slice(4)}`, tenant.tenantId, property, source],
  )
  await db.owner(
    `insert into meta_webhook_counters (tenant_id, platform, account_id, day, metric, value)
     values ($1, 'whatsapp', '1', '2026-11-20', 'sent', 1)`,
    [tenant.tenantId],
  )
  // A failed login for the owner's e-mail (keyed by its hash) and a dead letter naming the tenant.
  await callWorker(env, '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: owner?.email, password: 'wrong password, twelve+' }),
  })
  await db.owner(
    `insert into job_dead_letters (queue, message_id, type, attempts, body) values ('integra-jobs-dlq', 'm1', 'collect.connection', 6, $1)`,
    [JSON.stringify({ type: 'collect.connection', tenantId: tenant.tenantId, connectionId: connections[0] })],
  )
  // An export archive in R2.
  await call('/api/v1/exports', { method: 'POST' })
  await runJobs(
    env,
    (ctx.capture.messages as JobMessage[]).filter((m) => m.type === 'privacy.export'),
  )
  ctx.capture.messages.length = 0
  return { ...ctx, connections, owner: owner as { id: string; email: string } }
}

const countsOf = async (tenantId: string) => {
  const counts: Record<string, number> = {}
  for (const table of tenantTables) {
    const [row] = await db.owner<{ n: number }>(
      `select count(*)::int as n from ${table} where tenant_id = $1`,
      [tenantId],
    )
    counts[table] = row?.n ?? 0
  }
  return counts
}

const erasureMessages = erasureJobs

/**
 * The grace period passes: a cron tick just before `scheduledFor` starts nothing, the one just
 * after starts the deletion (its job lands in the env's queue, which is returned).
 */
async function afterGracePeriod(env: TestBindings, capture: { messages: unknown[] }, scheduledFor: string) {
  const at = new Date(scheduledFor).getTime()
  capture.messages.length = 0
  expect((await tick(env, at - 60_000)).explicitAcks).toHaveLength(1)
  expect(erasureMessages(capture.messages)).toEqual([])
  expect((await tick(env, at + 1000)).explicitAcks).toHaveLength(1)
  return erasureMessages(capture.messages)
}

describe('tenant erasure: owner request, operator confirmation, job', () => {
  it('leaves zero rows in every tenant table, no KV key, no archive, and undecryptable ciphertext', {
    timeout: 90_000,
  }, async () => {
    const a = await populatedTenant()
    const b = await populatedTenant()
    const tenantId = a.tenant.tenantId
    const before = await countsOf(tenantId)
    for (const table of [
      'users',
      'api_keys',
      'connections',
      'metric_points',
      'collection_runs',
      'consents',
      'audit_log',
      'sessions',
      'tenant_keys',
      'data_exports',
      'oauth_states',
      'webhook_events',
      'meta_webhook_counters',
      'properties',
      'calendar_sources',
      'bookings',
    ])
      expect({ table, seeded: (before[table] ?? 0) > 0 }).toEqual({ table, seeded: true })
    const bBefore = await countsOf(b.tenant.tenantId)
    const kv = workersKv(a.env.TOKENS)
    const ref: SecretRef = { tenantId, ownerId: a.connections[0] as string, purpose: 'access_token' }
    // A copy of a ciphertext taken before the erasure (a KV replica, a backup).
    const copied = (await kv.get(kvKeyOf(ref))) as string
    expect(copied).toBeTruthy()
    expect(await kv.list(`vault/${tenantId}/`)).toHaveLength(4)
    const archives = r2Objects(a.env.EXPORTS)
    expect(await archives.list(`exports/${tenantId}/`)).toHaveLength(1)

    // The owner asks; the tenant keeps working until an operator confirms.
    const requested = await a.call('/api/v1/erasure-requests', { method: 'POST', json: { scope: 'tenant' } })
    expect(requested.status).toBe(202)
    const request = (await requested.json()) as { id: string; status: string }
    expect(request).toMatchObject({ id: expect.stringMatching(/^era_/), status: 'pending' })
    expect(erasureMessages(a.capture.messages)).toEqual([])
    const again = await a.call('/api/v1/erasure-requests', { method: 'POST', json: { scope: 'tenant' } })
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('ERASURE_ALREADY_REQUESTED')
    expect(
      ((await (await a.call('/api/v1/erasure-requests')).json()) as { data: unknown[] }).data,
    ).toHaveLength(1)

    const pending = (await (await operatorCall('/api/v1/admin/erasure-requests')).json()) as {
      data: { id: string; tenant_id: string; status: string }[]
    }
    expect(pending.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: request.id, tenant_id: tenantId, status: 'pending' }),
      ]),
    )

    const operatorEnv = { ...db, env: a.env }
    const confirm = (id: string) =>
      as(operatorEnv, operatorToken)(`/api/v1/admin/erasure-requests/${id}/confirm`, {
        method: 'POST',
        json: { tenant_slug: a.tenant.slug, reauth: REAUTH },
      })
    const confirmed = await confirm(request.id)
    expect(confirmed.status).toBe(202)
    const scheduled = (await confirmed.json()) as { status: string; scheduled_for: string }
    expect(scheduled).toMatchObject({ status: 'scheduled', confirmed_by: operatorId, grace_days: 7 })
    const graceMs = new Date(scheduled.scheduled_for).getTime() - Date.now()
    expect(graceMs).toBeGreaterThan(7 * 86_400_000 - 120_000)
    expect(graceMs).toBeLessThanOrEqual(7 * 86_400_000)
    // Stopped at once, nothing erased: the owner's session is over, the tenant suspended.
    expect((await a.call('/api/v1/tenant')).status).toBe(401)
    expect(await tenantStatus(db, tenantId)).toBe('suspended')
    expect(erasureMessages(a.capture.messages)).toEqual([])
    const during = await countsOf(tenantId)
    for (const table of ['users', 'connections', 'metric_points', 'consents', 'bookings', 'data_exports'])
      expect({ table, rows: during[table] }).toEqual({ table, rows: before[table] })
    expect(await kv.list(`vault/${tenantId}/`)).toHaveLength(4)
    const twice = await confirm(request.id)
    expect(twice.status).toBe(409)
    expect(await errorCode(twice)).toBe('ERASURE_ALREADY_CONFIRMED')

    const jobs = await afterGracePeriod(a.env, a.capture, scheduled.scheduled_for)
    expect(jobs).toEqual([{ type: 'privacy.erase', v: 1, tenantId, requestId: request.id }])
    expect((await requestRow(db, request.id))?.status).toBe('erasing')
    // The tick fires twice (a later slot too): the deletion was started once, one job only.
    a.capture.messages.length = 0
    await tick(a.env, new Date(scheduled.scheduled_for).getTime() + 2000)
    expect(erasureMessages(a.capture.messages)).toEqual([])
    const run = await runJobs(a.env, jobs)
    expect(run.explicitAcks).toHaveLength(1)
    expect(run.retryMessages).toEqual([])

    // Zero rows in every tenant table but the survivors, which hold nothing personal.
    const after = await countsOf(tenantId)
    for (const table of tenantTables) {
      const expected = table === 'erasure_receipts' ? 1 : table === 'tenant_keys' ? 1 : 0
      expect({ table, rows: after[table] }).toEqual({ table, rows: expected })
    }
    expect([...ERASURE_SURVIVORS].sort()).toEqual([
      'commerce_order_items',
      'commerce_orders',
      'commerce_payments',
      'commerce_stores',
      'erasure_receipts',
      'tenant_keys',
    ])
    expect(
      await db.owner(
        'select master_kid, wrapped_key from tenant_keys where tenant_id = $1 and destroyed_at is not null',
        [tenantId],
      ),
    ).toEqual([{ master_kid: null, wrapped_key: null }])
    expect(
      await db.owner(
        "select 1 from login_attempts where account_key = encode(sha256(convert_to($1, 'UTF8')), 'hex')",
        [a.owner.email],
      ),
    ).toEqual([])
    expect(await db.owner(`select 1 from job_dead_letters where body->>'tenantId' = $1`, [tenantId])).toEqual(
      [],
    )
    const [tombstone] = await db.owner<{ name: string; slug: string; status: string }>(
      'select name, slug, status from tenants where id = $1',
      [tenantId],
    )
    expect(tombstone).toEqual({
      name: 'Erased tenant',
      slug: `erased-${tenantId.slice(4)}`,
      status: 'deleted',
    })

    // KV and R2 hold nothing of the tenant.
    expect(await kv.list(`vault/${tenantId}/`)).toEqual([])
    expect(await archives.list(`exports/${tenantId}/`)).toEqual([])
    // The copied ciphertext, put back, cannot be opened: the data key is gone for good.
    await kv.put(kvKeyOf(ref), copied)
    await expect(withVault(a.env, tenantId, (vault) => vault.get(ref, 1))).rejects.toBeInstanceOf(
      SecretUnreadableError,
    )
    // …and a write does not silently make a new key.
    await expect(withVault(a.env, tenantId, (vault) => vault.put(ref, 'x', 2))).rejects.toBeInstanceOf(
      SecretUnreadableError,
    )
    await kv.delete(kvKeyOf(ref))

    // The other tenant lost nothing.
    expect(await countsOf(b.tenant.tenantId)).toEqual(bBefore)
    expect(await kv.list(`vault/${b.tenant.tenantId}/`)).toHaveLength(4)

    // The receipt: what, how much, when; ids and counts only.
    const receipts = (await (
      await operatorCall(`/api/v1/admin/erasure-receipts?tenant_id=${tenantId}`)
    ).json()) as { data: Record<string, unknown>[] }
    expect(receipts.data).toHaveLength(1)
    const receipt = receipts.data[0] as Record<string, unknown> & { row_counts: Record<string, number> }
    expect(receipt).toMatchObject({
      scope: 'tenant',
      subject_id: tenantId,
      request_id: request.id,
      confirmed_by: operatorId,
      kv_keys_deleted: 4,
      objects_deleted: 1,
      key_destroyed: true,
    })
    expect(receipt.row_counts).toMatchObject({
      metric_points: ERASURE_BATCH_ROWS + 501,
      users: before.users,
      consents: before.consents,
      audit_log: expect.any(Number),
      // The owner's and the admin's sign-ins and the owner's failed attempt.
      login_attempts: 3,
      job_dead_letters: 1,
      erasure_requests: 1,
    })
    const text = JSON.stringify(receipt)
    for (const personal of [a.owner.email, a.tenant.slug, 'Tenant ', '192.0.2.1', 'Maria Souza'])
      expect(text).not.toContain(personal)

    // A redelivered job finds nothing left to do and writes no second receipt.
    expect((await runJobs(a.env, jobs)).explicitAcks).toHaveLength(1)
    expect(await db.owner('select 1 from erasure_receipts where tenant_id = $1', [tenantId])).toHaveLength(1)
    // The central's audit trail keeps the act, without the tenant's data.
    const audit = await db.owner<{ action: string }>(
      `select action from audit_log where tenant_id is null and data->>'tenant_id' = $1 order by created_at`,
      [tenantId],
    )
    expect(audit.map((r) => r.action)).toEqual(['erasure.confirmed', 'erasure.started', 'tenant.erased'])
  })

  it('an operator can erase a tenant directly; an erased tenant cannot be erased again', {
    timeout: 90_000,
  }, async () => {
    const a = await populatedTenant()
    const tenantId = a.tenant.tenantId
    const operatorEnvCall = as({ ...db, env: a.env }, operatorToken)
    const started = await operatorEnvCall('/api/v1/admin/erasure-requests', {
      method: 'POST',
      json: { tenant_id: tenantId, tenant_slug: a.tenant.slug, reauth: REAUTH },
    })
    expect(started.status).toBe(202)
    const request = (await started.json()) as { scheduled_for: string }
    expect(request).toMatchObject({
      status: 'scheduled',
      requested_by_type: 'operator',
      previous_status: 'active',
    })
    expect(await tenantStatus(db, tenantId)).toBe('suspended')
    await runJobs(a.env, await afterGracePeriod(a.env, a.capture, request.scheduled_for))
    const after = await countsOf(tenantId)
    expect(Object.entries(after).filter(([table, n]) => n > 0 && !ERASURE_SURVIVORS.has(table))).toEqual([])
    const again = await operatorCall('/api/v1/admin/erasure-requests', {
      method: 'POST',
      json: { tenant_id: tenantId, tenant_slug: `erased-${tenantId.slice(4)}`, reauth: REAUTH },
    })
    expect(again.status).toBe(409)
    expect(await errorCode(again)).toBe('TENANT_ERASED')
  })

  it('validates, 404s unknown ids, and keeps the steps to their roles', async () => {
    const tenant = await createTenant(db)
    const admin = await createMember(db, tenant.tenantId, 'admin')
    const adminCall = as(db, (await login(db, admin.email)).access_token)
    // Erasing the whole tenant is the owner's request only.
    const denied = await adminCall('/api/v1/erasure-requests', { method: 'POST', json: { scope: 'tenant' } })
    expect(denied.status).toBe(403)
    expect(
      (await operatorCall('/api/v1/erasure-requests', { method: 'POST', json: { scope: 'tenant' } })).status,
    ).toBe(403)
    expect((await callWorker(db.env, '/api/v1/erasure-requests', { method: 'POST' })).status).toBe(401)
    // Confirming is the operators' only.
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const ownerCall = as(db, (await login(db, owner.email)).access_token)
    const { id } = (await (
      await ownerCall('/api/v1/erasure-requests', { method: 'POST', json: { scope: 'tenant' } })
    ).json()) as { id: string }
    const proof = { tenant_slug: tenant.slug, reauth: REAUTH }
    expect(
      (await ownerCall(`/api/v1/admin/erasure-requests/${id}/confirm`, { method: 'POST', json: proof }))
        .status,
    ).toBe(403)
    expect((await ownerCall('/api/v1/admin/erasure-requests')).status).toBe(403)
    expect((await ownerCall('/api/v1/admin/erasure-receipts')).status).toBe(403)
    expect(
      (await callWorker(db.env, `/api/v1/admin/erasure-requests/${id}/confirm`, { method: 'POST' })).status,
    ).toBe(401)
    const unknown = await operatorCall(`/api/v1/admin/erasure-requests/${newId('era')}/confirm`, {
      method: 'POST',
      json: proof,
    })
    expect(unknown.status).toBe(404)
    const noTenant = await operatorCall('/api/v1/admin/erasure-requests', {
      method: 'POST',
      json: { tenant_id: newId('ten'), ...proof },
    })
    expect(noTenant.status).toBe(404)
    const invalid = await ownerCall('/api/v1/erasure-requests', {
      method: 'POST',
      json: { scope: 'everything' },
    })
    expect(invalid.status).toBe(400)
    const badOperator = await operatorCall('/api/v1/admin/erasure-requests', { method: 'POST', json: {} })
    expect(badOperator.status).toBe(400)
    expect(
      ((await badOperator.json()) as { error: { fields: { path: string }[] } }).error.fields.map(
        (f) => f.path,
      ),
    ).toEqual(['json.tenant_id', 'json.tenant_slug', 'json.reauth'])
    // Nothing was started by any refused call.
    expect(await db.owner(`select status from tenants where id = $1`, [tenant.tenantId])).toEqual([
      { status: 'active' },
    ])
  })
})

describe('a tenant erasure interrupted', () => {
  it('resumes after a failure: committed batches are not redone, and the receipt counts them', {
    timeout: 90_000,
  }, async () => {
    const a = await populatedTenant()
    const tenantId = a.tenant.tenantId
    // Something outside the tenant tables that still points at a member blocks the final step.
    const blocker = `erasure_blocker_${crypto.randomUUID().replaceAll('-', '')}`
    await db.owner(`create table ${blocker} (user_id text references users (id))`)
    await db.owner(`insert into ${blocker} values ($1)`, [a.owner.id])
    const started = await as({ ...db, env: a.env }, operatorToken)('/api/v1/admin/erasure-requests', {
      method: 'POST',
      json: { tenant_id: tenantId, tenant_slug: a.tenant.slug, reauth: REAUTH },
    })
    expect(started.status).toBe(202)
    const jobs = await afterGracePeriod(
      a.env,
      a.capture,
      ((await started.json()) as { scheduled_for: string }).scheduled_for,
    )
    const failed = await runJobs(a.env, jobs)
    expect(failed.retryMessages).toHaveLength(1)
    // The batches committed; the rest rolled back, and the request waits for the retry.
    const [request] = await db.owner<{ status: string; progress: Record<string, number> }>(
      'select status, progress from erasure_requests where tenant_id = $1',
      [tenantId],
    )
    expect(request?.status).toBe('erasing')
    expect(request?.progress.metric_points).toBe(ERASURE_BATCH_ROWS + 501)
    expect(await db.owner('select 1 from metric_points where tenant_id = $1', [tenantId])).toEqual([])
    expect(await db.owner('select 1 from users where tenant_id = $1', [tenantId])).toHaveLength(2)
    expect(await db.owner('select 1 from erasure_receipts where tenant_id = $1', [tenantId])).toEqual([])

    await db.owner(`drop table ${blocker}`)
    const retried = await runJobs(a.env, jobs)
    expect(retried.explicitAcks).toHaveLength(1)
    const [receipt] = await db.owner<{ row_counts: Record<string, number>; kv_keys_deleted: number }>(
      'select row_counts, kv_keys_deleted from erasure_receipts where tenant_id = $1',
      [tenantId],
    )
    expect(receipt?.row_counts.metric_points).toBe(ERASURE_BATCH_ROWS + 501)
    expect(receipt?.kv_keys_deleted).toBe(4)
    const after = await countsOf(tenantId)
    expect(Object.entries(after).filter(([table, n]) => n > 0 && !ERASURE_SURVIVORS.has(table))).toEqual([])
  })
})

describe('connection erasure', () => {
  it('pauses the connection at once, erases it after the grace period: its rows, consents, tokens; the rest stays', {
    timeout: 90_000,
  }, async () => {
    const a = await populatedTenant()
    const tenantId = a.tenant.tenantId
    const [gone, kept] = a.connections as [string, string]
    const kv = workersKv(a.env.TOKENS)
    const response = await a.call('/api/v1/erasure-requests', {
      method: 'POST',
      json: { scope: 'connection', connection_id: gone, reauth: REAUTH },
    })
    expect(response.status).toBe(202)
    const request = (await response.json()) as { id: string; scheduled_for: string }
    expect(request).toMatchObject({
      scope: 'connection',
      subject_id: gone,
      status: 'scheduled',
      previous_status: 'active',
      grace_days: 7,
    })
    // Paused, nothing erased yet, and no job until the grace period is over.
    expect(await db.owner('select status from connections where id = $1', [gone])).toEqual([
      { status: 'paused' },
    ])
    expect(await db.owner('select 1 from metric_points where connection_id = $1', [gone])).toHaveLength(
      ERASURE_BATCH_ROWS + 501,
    )
    expect(erasureMessages(a.capture.messages)).toEqual([])

    const jobs = await afterGracePeriod(a.env, a.capture, request.scheduled_for)
    expect(jobs).toEqual([{ type: 'privacy.erase', v: 1, tenantId, requestId: request.id }])
    expect((await runJobs(a.env, jobs)).explicitAcks).toHaveLength(1)
    const done = await requestRow(db, request.id)
    expect(done).toMatchObject({ status: 'completed', receipt_id: expect.stringMatching(/^rcp_/) })
    const [receipt] = await db.owner<{
      scope: string
      subject_id: string
      request_id: string
      row_counts: Record<string, number>
      kv_keys_deleted: number
    }>(
      'select scope, subject_id, request_id, row_counts, kv_keys_deleted from erasure_receipts where id = $1',
      [done?.receipt_id],
    )
    expect(receipt).toMatchObject({
      scope: 'connection',
      subject_id: gone,
      request_id: request.id,
      kv_keys_deleted: 2,
      row_counts: {
        metric_points: ERASURE_BATCH_ROWS + 501,
        collection_runs: 1,
        consents: 1,
        connections: 1,
      },
    })
    for (const table of ['connections', 'metric_points', 'collection_runs']) {
      const column = table === 'connections' ? 'id' : 'connection_id'
      expect(await db.owner(`select 1 from ${table} where ${column} = $1`, [gone])).toEqual([])
    }
    expect(await db.owner('select 1 from consents where subject_id = $1', [gone])).toEqual([])
    expect(await kv.list(`vault/${tenantId}/${gone}/`)).toEqual([])
    expect(await kv.list(`vault/${tenantId}/${kept}/`)).toHaveLength(2)
    expect(await db.owner('select 1 from connections where id = $1', [kept])).toHaveLength(1)
    expect(await db.owner('select 1 from consents where subject_id = $1', [kept])).toHaveLength(1)
    // A redelivered job finds the request completed: no second receipt.
    expect((await runJobs(a.env, jobs)).explicitAcks).toHaveLength(1)
    expect(await db.owner('select 1 from erasure_receipts where subject_id = $1', [gone])).toHaveLength(1)
    // The tenant's list shows it done; the audit trail has each step.
    const own = (await (await a.call('/api/v1/erasure-requests')).json()) as {
      data: { id: string; status: string }[]
    }
    expect(own.data).toEqual([expect.objectContaining({ id: request.id, status: 'completed' })])
    const audit = await db.owner<{ action: string }>(
      `select action from audit_log where tenant_id = $1 and target_id in ($2, $3) order by created_at`,
      [tenantId, request.id, gone],
    )
    expect(audit.map((r) => r.action)).toEqual(['erasure.scheduled', 'erasure.started', 'connection.erased'])

    // Another tenant's connection is unknown here; an analyst may not erase; no password, no erasure.
    const b = await setup(db)
    const foreign = await b.call('/api/v1/erasure-requests', {
      method: 'POST',
      json: { scope: 'connection', connection_id: kept, reauth: REAUTH },
    })
    expect(foreign.status).toBe(404)
    const analyst = await createMember(db, tenantId, 'analyst')
    const analystCall = as({ ...db, env: a.env }, (await login(db, analyst.email)).access_token)
    const denied = await analystCall('/api/v1/erasure-requests', {
      method: 'POST',
      json: { scope: 'connection', connection_id: kept, reauth: REAUTH },
    })
    expect(denied.status).toBe(403)
    const missing = await a.call('/api/v1/erasure-requests', {
      method: 'POST',
      json: { scope: 'connection', connection_id: kept },
    })
    expect(missing.status).toBe(400)
    expect(await db.owner('select status from connections where id = $1', [kept])).toEqual([
      { status: 'active' },
    ])
  })
})

let operatorToken: string
let operatorId: string
beforeAll(async () => {
  const operator = await createOperator(db)
  operatorId = operator.id
  operatorToken = (await login(db, operator.email)).access_token
})

describe('tenant erasure keeps the sales for the fiscal record, without the customers', () => {
  it('blanks name, phone, e-mail, address and notes of every order, keeping amounts, items and payments', {
    timeout: 90_000,
  }, async () => {
    const capture = captureQueue()
    const env = { ...db.env, JOBS: capture.queue, WEBHOOKS: capture.queue } as TestBindings
    const fixture = await shopSetup(db, { env })
    const tenantId = fixture.tenant.tenantId
    const placed = await postCheckout(
      fixture,
      coffeeCheckout(fixture, 2, { notes: 'Portão azul, falar com Maria' }),
    )
    expect(placed.status).toBe(201)
    const { order_id: orderId } = (await placed.json()) as { order_id: string }
    const operator = await createOperator(db)
    const call = as({ ...db, env }, (await login(db, operator.email)).access_token)
    const started = await call('/api/v1/admin/erasure-requests', {
      method: 'POST',
      json: { tenant_id: tenantId, tenant_slug: fixture.tenant.slug, reauth: REAUTH },
    })
    expect(started.status).toBe(202)
    const request = (await started.json()) as { scheduled_for: string }
    await runJobs(env, await afterGracePeriod(env, capture, request.scheduled_for))
    expect(await tenantStatus(db, tenantId)).toBe('deleted')

    const [order] = await db.owner<Record<string, unknown>>(
      `select customer_name, customer_phone, customer_email, address, notes, customer_id, idempotency_key,
              request_hash, total_cents, subtotal_cents, status, anonymized_at is not null as anonymized
       from commerce_orders where id = $1`,
      [orderId],
    )
    expect(order).toEqual({
      customer_name: '',
      customer_phone: null,
      customer_email: null,
      address: null,
      notes: null,
      customer_id: null,
      idempotency_key: orderId,
      request_hash: '',
      total_cents: 2000,
      subtotal_cents: 2000,
      // Unpaid, it expired at the grace period's cron ticks: kept as cancelled.
      status: 'cancelled',
      anonymized: true,
    })
    expect(
      await db.owner(
        'select name, quantity, line_total_cents from commerce_order_items where order_id = $1',
        [orderId],
      ),
    ).toEqual([{ name: 'Café', quantity: 2, line_total_cents: 2000 }])
    expect(
      await db.owner<{ amount_cents: number }>(
        'select amount_cents from commerce_payments where order_id = $1',
        [orderId],
      ),
    ).toEqual([{ amount_cents: 2000 }])
    // Nothing else of the shop, and no trace of the customer anywhere the tenant kept.
    const after = await countsOf(tenantId)
    expect(Object.entries(after).filter(([table, n]) => n > 0 && !ERASURE_SURVIVORS.has(table))).toEqual([])
    expect(after.customers).toBe(0)
    const kept = JSON.stringify(
      await db.owner(
        `select o.*, i.*, p.* from commerce_orders o join commerce_order_items i on i.order_id = o.id
         join commerce_payments p on p.order_id = o.id where o.tenant_id = $1`,
        [tenantId],
      ),
    )
    for (const personal of ['Maria', '5511912345678', 'maria@example.test', 'Portão'])
      expect(kept).not.toContain(personal)
    const [receipt] = await db.owner<{ row_counts: Record<string, number> }>(
      'select row_counts from erasure_receipts where tenant_id = $1',
      [tenantId],
    )
    expect(receipt?.row_counts['commerce_orders:anonymized']).toBe(1)
  })
})
