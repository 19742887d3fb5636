import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { DbHandle } from '../../db/client.ts'
import { loadConfig } from '../../worker/config.ts'
import worker from '../../worker/index.ts'
import { workersKv } from '../../worker/platform/cloudflare.ts'
import { Vault } from '../../worker/vault/vault.ts'
import {
  captureQueue,
  createTestDatabase,
  fakeControl,
  type TestBindings,
  type TestDatabase,
} from '../helpers/env.ts'
import { as, createMember, createTenant, errorCode, login } from '../helpers/fixtures.ts'

let db: TestDatabase
let env: TestBindings
beforeAll(async () => {
  db = await createTestDatabase()
  env = { ...db.env, JOBS: captureQueue().queue }
})

async function readSecret(
  tenantId: string,
  connectionId: string,
  purpose: 'access_token' | 'refresh_token',
  version: number,
) {
  const config = loadConfig(env)
  const handle = new DbHandle({
    connectionString: env.DATABASE_URL as string,
    wsProxy: env.NEON_WS_PROXY,
    connectTimeoutMs: 5000,
  })
  try {
    return await handle.transaction(
      (tx) =>
        new Vault(tx, workersKv(env.TOKENS), config.VAULT_MASTER_KEYS).get(
          { tenantId, ownerId: connectionId, purpose },
          version,
        ),
      { tenantId },
    )
  } finally {
    await handle.close()
  }
}

async function collect(tenantId: string, connectionId: string) {
  const batch = createMessageBatch('integra-jobs', [
    {
      id: crypto.randomUUID(),
      timestamp: new Date(),
      attempts: 1,
      body: { type: 'collect.connection', v: 1, tenantId, connectionId, kind: 'scheduled' },
    },
  ])
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  await getQueueResult(batch, ctx)
}

describe('POST /api/v1/connections/:id/reconnect', () => {
  it('revives a needs_reconnect connection with a new token and keeps the stored refresh token', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const call = as({ ...db, env }, (await login(db, owner.email)).access_token)
    const oldToken = `fake-ig-${crypto.randomUUID()}`
    const refreshToken = `fake-ig-refresh-${crypto.randomUUID()}`
    const created = (await (
      await call('/api/v1/connections', {
        method: 'POST',
        json: {
          platform: 'instagram',
          external_account_id: `1784${Date.now()}`,
          access_token: oldToken,
          refresh_token: refreshToken,
        },
      })
    ).json()) as { id: string }
    await fakeControl('revoke', { token: oldToken })
    await collect(tenant.tenantId, created.id)
    expect(
      ((await (await call(`/api/v1/connections/${created.id}`)).json()) as { status: string }).status,
    ).toBe('needs_reconnect')

    const rejected = await call(`/api/v1/connections/${created.id}/reconnect`, {
      method: 'POST',
      json: { access_token: oldToken },
    })
    expect(rejected.status).toBe(422)
    const newToken = `fake-ig-${crypto.randomUUID()}`
    const response = await call(`/api/v1/connections/${created.id}/reconnect`, {
      method: 'POST',
      json: { access_token: newToken },
    })
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text).not.toContain(newToken)
    expect(JSON.parse(text)).toMatchObject({ status: 'active', last_error: null })
    expect(await readSecret(tenant.tenantId, created.id, 'access_token', 2)).toBe(newToken)
    expect(await readSecret(tenant.tenantId, created.id, 'refresh_token', 2)).toBe(refreshToken)

    await collect(tenant.tenantId, created.id)
    const [points] = await db.owner<{ n: number }>(
      'select count(*)::int as n from metric_points where connection_id = $1',
      [created.id],
    )
    expect(points?.n).toBeGreaterThan(0)
  })

  it('is refused to a viewer (403), for another tenant’s connection (404) and without auth (401)', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    const ownerA = as(
      { ...db, env },
      (await login(db, (await createMember(db, a.tenantId, 'owner')).email)).access_token,
    )
    const viewerA = as(
      { ...db, env },
      (await login(db, (await createMember(db, a.tenantId, 'viewer')).email)).access_token,
    )
    const ownerB = as(
      { ...db, env },
      (await login(db, (await createMember(db, b.tenantId, 'owner')).email)).access_token,
    )
    const created = (await (
      await ownerA('/api/v1/connections', {
        method: 'POST',
        json: {
          platform: 'instagram',
          external_account_id: `1785${Date.now()}`,
          access_token: `fake-ig-${crypto.randomUUID()}`,
        },
      })
    ).json()) as { id: string }
    const body = { access_token: `fake-ig-${crypto.randomUUID()}` }
    const viewer = await viewerA(`/api/v1/connections/${created.id}/reconnect`, {
      method: 'POST',
      json: body,
    })
    expect(viewer.status).toBe(403)
    const other = await ownerB(`/api/v1/connections/${created.id}/reconnect`, { method: 'POST', json: body })
    expect(other.status).toBe(404)
    expect(await errorCode(other)).toBe('NOT_FOUND')
    const anonymous = await as({ ...db, env }, 'not-a-token')(`/api/v1/connections/${created.id}/reconnect`, {
      method: 'POST',
      json: body,
    })
    expect(anonymous.status).toBe(401)
  })
})
