import { strFromU8, unzipSync } from 'fflate'
import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { loadConfig } from '../../../worker/config.ts'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { r2Objects, workersKv } from '../../../worker/runtime/cloudflare.ts'
import { signDownloadToken } from '../../../worker/services/privacy/download-token.ts'
import {
  EXPORT_FILES,
  EXPORT_PAGE_ROWS,
  EXPORTED_TABLES,
  NOT_EXPORTED,
} from '../../../worker/services/privacy/export-archive.ts'
import { runJobs, setup } from '../../helpers/connections.ts'
import { createTestDatabase, sharedEnv, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A connection with `days` daily points of two metrics, its consent, and a collection run. */
async function seedData(tenantId: string, days: number) {
  const connectionId = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id, display_name)
     values ($1, $2, 'instagram', $3, 'Loja ' || $3)`,
    [connectionId, tenantId, `acct-${connectionId}`],
  )
  await db.owner(
    `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
     select $1, $2, m, 'day', current_date - d, d from generate_series(1, $3) d, unnest(array['reach', 'followers']) m`,
    [tenantId, connectionId, days],
  )
  await db.owner(
    `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted, ip)
     values ($1, $2, 'connection', $3, 'metrics_collection', '2026-11', true, '192.0.2.10')`,
    [newId('cns'), tenantId, connectionId],
  )
  await db.owner(
    `insert into collection_runs (tenant_id, connection_id, kind, status) values ($1, $2, 'scheduled', 'succeeded')`,
    [tenantId, connectionId],
  )
  return connectionId
}

type ExportBody = {
  id: string
  status: string
  progress: { done_files: number; total_files: number; rows: Record<string, number> } | null
  size_bytes: number | null
  download: { url: string; expires_at: string } | null
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)

describe('POST /api/v1/exports → job → GET /api/v1/exports/:id → download', () => {
  it('builds a complete archive of the tenant, and nothing of another tenant', async () => {
    const { call, tenant, capture, env } = await setup(db)
    const other = await setup(db)
    // Enough points to need several keyset pages for one connection.
    const big = await seedData(tenant.tenantId, EXPORT_PAGE_ROWS)
    const small = await seedData(tenant.tenantId, 3)
    const theirs = await seedData(other.tenant.tenantId, 5)
    const [theirOwner] = await db.owner<{ email: string }>('select email from users where tenant_id = $1', [
      other.tenant.tenantId,
    ])
    await call('/api/v1/api-keys', { method: 'POST', json: { name: 'export-test-key', role: 'viewer' } })
    for (const [tenantId, entry] of [
      [tenant.tenantId, 'mine'],
      [other.tenant.tenantId, 'theirs'],
    ] as const) {
      await db.owner(
        `insert into webhook_events (tenant_id, source, payload, digest) values ($1, 'meta', $2, $3)`,
        [tenantId, JSON.stringify({ entry }), entry],
      )
      await db.owner(
        `insert into meta_webhook_counters (tenant_id, platform, account_id, day, metric, value)
         values ($1, 'whatsapp', $2, current_date, 'sent', 3)`,
        [tenantId, `waba-${entry}`],
      )
    }

    const response = await call('/api/v1/exports', { method: 'POST' })
    expect(response.status).toBe(202)
    const requested = (await response.json()) as ExportBody
    expect(requested).toMatchObject({ id: expect.stringMatching(/^exp_/), status: 'queued', download: null })
    const messages = (capture.messages as JobMessage[]).filter((m) => m.type === 'privacy.export')
    expect(messages).toEqual([
      { type: 'privacy.export', v: 1, tenantId: tenant.tenantId, exportId: requested.id },
    ])

    const run = await runJobs(env, messages)
    expect(run.explicitAcks).toHaveLength(1)

    const ready = (await (await call(`/api/v1/exports/${requested.id}`)).json()) as ExportBody
    expect(ready.status).toBe('completed')
    expect(ready.progress).toMatchObject({
      done_files: EXPORT_FILES.length + 1,
      total_files: EXPORT_FILES.length + 1,
    })
    expect(ready.progress?.rows['metrics.ndjson']).toBe(2 * (EXPORT_PAGE_ROWS + 3))
    expect(ready.download?.url).toMatch(/^https:\/\/integra\.test\/exports\/download\//)

    const download = await callWorker(env, ready.download?.url as string)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('application/zip')
    expect(download.headers.get('cache-control')).toBe('private, no-store')
    const bytes = new Uint8Array(await download.arrayBuffer())
    expect(bytes.length).toBe(ready.size_bytes)
    const files = unzipSync(bytes)
    expect(Object.keys(files).sort()).toEqual(['manifest.json', ...EXPORT_FILES.map((f) => f.file)].sort())
    const text = Object.fromEntries(Object.entries(files).map(([name, data]) => [name, strFromU8(data)]))

    // Every category, this tenant's rows only.
    expect(lines(text['tenant.ndjson'] as string)).toEqual([
      expect.objectContaining({ id: tenant.tenantId, slug: tenant.slug }),
    ])
    expect(lines(text['licenses.ndjson'] as string)).toEqual([
      expect.objectContaining({ id: tenant.licenseId, retention_days: 365 }),
    ])
    const users = lines(text['users.ndjson'] as string)
    expect(users).toHaveLength(1)
    expect(users[0]).not.toHaveProperty('password_hash')
    // Postgres writes each row's JSON: ISO 8601 instants, numbers as numbers.
    expect(users[0]?.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$/)
    const keys = lines(text['api_keys.ndjson'] as string)
    expect(keys).toEqual([expect.objectContaining({ name: 'export-test-key' })])
    expect(keys[0]).not.toHaveProperty('secret_hash')
    const connections = lines(text['connections.ndjson'] as string)
    expect(connections.map((c) => c.id).sort()).toEqual([big, small].sort())
    const metrics = lines(text['metrics.ndjson'] as string)
    expect(metrics).toHaveLength(2 * (EXPORT_PAGE_ROWS + 3))
    // Keyset pages neither skip nor repeat a point.
    expect(new Set(metrics.map((m) => `${m.connection_id}|${m.metric}|${m.period_start}`)).size).toBe(
      metrics.length,
    )
    expect(lines(text['collection_runs.ndjson'] as string)).toHaveLength(2)
    const sessions = lines(text['sessions.ndjson'] as string)
    expect(sessions).toEqual([expect.objectContaining({ ip: '203.0.113.7' })])
    expect(sessions[0]).not.toHaveProperty('id')
    expect(lines(text['webhook_events.ndjson'] as string)).toEqual([
      expect.objectContaining({ source: 'meta', payload: { entry: 'mine' } }),
    ])
    expect(lines(text['webhook_counters.ndjson'] as string)).toEqual([
      expect.objectContaining({ metric: 'sent', value: 3 }),
    ])
    expect(lines(text['consents.ndjson'] as string).map((c) => c.subject_id)).toEqual(
      expect.arrayContaining([big, small]),
    )
    const audit = lines(text['audit.ndjson'] as string).map((a) => a.action)
    expect(audit).toEqual(expect.arrayContaining(['api_key.created', 'export.requested']))
    const manifest = JSON.parse(text['manifest.json'] as string) as {
      files: { file: string; rows: number }[]
    }
    expect(manifest.files.find((f) => f.file === 'metrics.ndjson')?.rows).toBe(metrics.length)

    const everything = Object.values(text).join('\n')
    for (const foreign of [
      other.tenant.tenantId,
      theirs,
      theirOwner?.email as string,
      other.tenant.slug,
      'waba-theirs',
      'theirs',
    ])
      expect(everything).not.toContain(foreign)
    // No secret of any kind travels: no hashes, no tokens.
    expect(everything).not.toMatch(/pbkdf2|password_hash|secret_hash|access_token/i)

    const audited = await db.owner<{ action: string; actor_type: string }>(
      `select action, actor_type from audit_log where target_id = $1 order by created_at`,
      [requested.id],
    )
    expect(audited).toEqual([
      { action: 'export.requested', actor_type: 'member' },
      { action: 'export.completed', actor_type: 'system' },
      { action: 'export.downloaded', actor_type: 'member' },
    ])
  })

  it('answers 409 while an export is in flight, and lists exports newest first', async () => {
    const { call } = await setup(db)
    const first = await call('/api/v1/exports', { method: 'POST' })
    expect(first.status).toBe(202)
    const second = await call('/api/v1/exports', { method: 'POST' })
    expect(second.status).toBe(409)
    expect(await errorCode(second)).toBe('EXPORT_IN_PROGRESS')
    const list = (await (await call('/api/v1/exports')).json()) as { data: ExportBody[] }
    expect(list.data.map((e) => e.status)).toEqual(['queued'])
  })

  it('answers 404 for another tenant’s export and 400 for a malformed id', async () => {
    const a = await setup(db)
    const b = await setup(db)
    const { id } = (await (await a.call('/api/v1/exports', { method: 'POST' })).json()) as ExportBody
    const foreign = await b.call(`/api/v1/exports/${id}`)
    expect(foreign.status).toBe(404)
    expect(await errorCode(foreign)).toBe('NOT_FOUND')
    expect((await a.call('/api/v1/exports/exp_nope')).status).toBe(400)
  })

  it('is for signed-in owners and admins: 401, 403 for analysts and for API keys', async () => {
    const tenant = await createTenant(db)
    const analyst = await createMember(db, tenant.tenantId, 'analyst')
    const admin = await createMember(db, tenant.tenantId, 'admin')
    const adminCall = as(db, (await login(db, admin.email)).access_token)
    const { key } = (await (
      await adminCall('/api/v1/api-keys', { method: 'POST', json: { name: 'k', role: 'admin' } })
    ).json()) as { key: string }
    expect((await callWorker(db.env, '/api/v1/exports', { method: 'POST' })).status).toBe(401)
    const analystCall = as(db, (await login(db, analyst.email)).access_token)
    expect((await analystCall('/api/v1/exports', { method: 'POST' })).status).toBe(403)
    expect((await as(db, key)('/api/v1/exports', { method: 'POST' })).status).toBe(403)
    expect(await db.owner('select 1 from data_exports where tenant_id = $1', [tenant.tenantId])).toEqual([])
  })
})

describe('an export racing an erasure', () => {
  it('writes no archive for a tenant that was stopped after the export was requested', async () => {
    const { call, env, tenant, capture } = await setup(db)
    const { id } = (await (await call('/api/v1/exports', { method: 'POST' })).json()) as ExportBody
    await db.owner(`update tenants set status = 'deleted' where id = $1`, [tenant.tenantId])
    expect((await runJobs(env, capture.messages)).explicitAcks).toHaveLength(1)
    expect(await r2Objects(env.EXPORTS).list(`exports/${tenant.tenantId}/`)).toEqual([])
    expect(await db.owner('select status from data_exports where id = $1', [id])).toEqual([
      { status: 'queued' },
    ])
  })
})

describe('export coverage', () => {
  it('exports every tenant table, or says why not', async () => {
    const tables = (
      await db.owner<{ table_name: string }>(
        `select table_name from information_schema.columns
         where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
      )
    ).map((row) => row.table_name)
    const missing = tables.filter((table) => !EXPORTED_TABLES.has(table) && !(table in NOT_EXPORTED))
    expect(missing).toEqual([])
    expect(Object.keys(NOT_EXPORTED).filter((table) => EXPORTED_TABLES.has(table))).toEqual([])
  })
})

describe('GET /exports/download/:token', () => {
  it('refuses a forged or altered link (401), an expired one (410), and an export not ready (404)', async () => {
    const { call, env, tenant, capture } = await setup(db)
    const { id } = (await (await call('/api/v1/exports', { method: 'POST' })).json()) as ExportBody
    const keys = loadConfig(env).JWT_SIGNING_KEYS
    const claims = { exportId: id, tenantId: tenant.tenantId, actorId: 'usr_x' }

    // Not built yet: a genuine link finds nothing to serve.
    const early = await signDownloadToken(claims, keys, new Date())
    expect((await callWorker(env, `/exports/download/${early.token}`)).status).toBe(404)

    await runJobs(env, capture.messages)
    const fresh = await signDownloadToken(claims, keys, new Date())
    expect((await callWorker(env, `/exports/download/${fresh.token}`)).status).toBe(200)

    const [head, payload, signature] = fresh.token.split('.')
    const altered = `${head}.${payload}.${signature?.slice(0, -2)}${signature?.endsWith('AA') ? 'BB' : 'AA'}`
    const forged = await signDownloadToken(
      claims,
      [{ kid: keys[0]?.kid as string, secret: crypto.getRandomValues(new Uint8Array(32)) }],
      new Date(),
    )
    for (const token of [altered, forged.token, 'not-a-token']) {
      const response = await callWorker(env, `/exports/download/${token}`)
      expect(response.status).toBe(401)
      expect(await errorCode(response)).toBe('INVALID_DOWNLOAD_LINK')
    }
    const old = await signDownloadToken(claims, keys, new Date(Date.now() - 60 * 60_000))
    const expired = await callWorker(env, `/exports/download/${old.token}`)
    expect(expired.status).toBe(410)
    expect(await errorCode(expired)).toBe('DOWNLOAD_LINK_EXPIRED')

    // An access token is not a download link, whatever it carries.
    const { access_token } = await login(db, (await createMember(db, tenant.tenantId, 'viewer')).email)
    expect((await callWorker(env, `/exports/download/${access_token}`)).status).toBe(401)

    // A link names its tenant: pointed at another tenant, the same export id is not found.
    const elsewhere = await signDownloadToken(
      { ...claims, tenantId: (await createTenant(db)).tenantId },
      keys,
      new Date(),
    )
    expect((await callWorker(env, `/exports/download/${elsewhere.token}`)).status).toBe(404)

    // Past the export's own expiry no link serves it, and GET offers none.
    await db.owner(`update data_exports set expires_at = now() - interval '1 minute' where id = $1`, [id])
    const late = await signDownloadToken(claims, keys, new Date())
    expect((await callWorker(env, `/exports/download/${late.token}`)).status).toBe(404)
    expect(await (await call(`/api/v1/exports/${id}`)).json()).toMatchObject({
      expired: true,
      download: null,
    })
  })
})

describe('storage seams', () => {
  it('R2: an object of unknown length is written in equal 5 MiB parts and read back whole', async () => {
    const store = r2Objects(sharedEnv.EXPORTS)
    const prefix = `test/${crypto.randomUUID()}/`
    const writer = await store.create(`${prefix}big.bin`, { contentType: 'application/octet-stream' })
    const chunk = new Uint8Array(700 * 1024)
    let expected = 0
    const digest = new Uint8Array(16)
    for (let i = 0; i < 16; i++) {
      crypto.getRandomValues(chunk.subarray(0, 65536))
      digest[i] = chunk[0] as number
      await writer.write(chunk.slice())
      expected += chunk.length
    }
    expect(await writer.close()).toEqual({ size: expected })
    const small = await store.create(`${prefix}small.bin`, { contentType: 'text/plain' })
    await small.write(new TextEncoder().encode('tiny'))
    await small.close()
    const object = await store.get(`${prefix}big.bin`)
    expect(object?.size).toBe(expected)
    const read = new Uint8Array(await new Response(object?.body).arrayBuffer())
    expect(read.length).toBe(expected)
    for (let i = 0; i < 16; i++) expect(read[i * chunk.length]).toBe(digest[i])
    expect((await store.list(prefix)).sort()).toEqual([`${prefix}big.bin`, `${prefix}small.bin`])
    await store.delete(await store.list(prefix))
    expect(await store.list(prefix)).toEqual([])
  })

  it('KV: lists every key under a prefix, and only those', async () => {
    const kv = workersKv(sharedEnv.TOKENS)
    const prefix = `vault/ten_${crypto.randomUUID()}/`
    await kv.put(`${prefix}con_a/access_token`, 'x')
    await kv.put(`${prefix}con_b/refresh_token`, 'y')
    await kv.put(`${prefix.slice(0, -1)}0/con_c/access_token`, 'z')
    expect((await kv.list(prefix)).sort()).toEqual([
      `${prefix}con_a/access_token`,
      `${prefix}con_b/refresh_token`,
    ])
  })
})
