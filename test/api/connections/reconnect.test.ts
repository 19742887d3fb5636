import { beforeAll, describe, expect, it } from 'vitest'
import { collectJob, readSecret, runJobs, setup, uniqueAccount } from '../../helpers/connections.ts'
import {
  captureQueue,
  createTestDatabase,
  fakeControl,
  type TestBindings,
  type TestDatabase,
} from '../../helpers/env.ts'
import { as, createMember, errorCode, login } from '../../helpers/fixtures.ts'

let db: TestDatabase
let env: TestBindings
beforeAll(async () => {
  db = await createTestDatabase()
  env = { ...db.env, JOBS: captureQueue().queue }
})

const collect = (tenantId: string, connectionId: string) => runJobs(env, [collectJob(tenantId, connectionId)])

describe('POST /api/v1/connections/:id/reconnect', () => {
  it('revives a needs_reconnect connection with a new token and keeps the stored refresh token', async () => {
    const { tenant, call } = await setup(db)
    const oldToken = `fake-ig-${crypto.randomUUID()}`
    const refreshToken = `fake-ig-refresh-${crypto.randomUUID()}`
    const created = (await (
      await call('/api/v1/connections', {
        method: 'POST',
        json: {
          platform: 'instagram',
          external_account_id: uniqueAccount('1784'),
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
    expect(
      await readSecret(env, { tenantId: tenant.tenantId, ownerId: created.id, purpose: 'access_token' }, 2),
    ).toBe(newToken)
    expect(
      await readSecret(env, { tenantId: tenant.tenantId, ownerId: created.id, purpose: 'refresh_token' }, 2),
    ).toBe(refreshToken)

    await collect(tenant.tenantId, created.id)
    const [points] = await db.owner<{ n: number }>(
      'select count(*)::int as n from metric_points where connection_id = $1',
      [created.id],
    )
    expect(points?.n).toBeGreaterThan(0)
  })

  it('is refused to a viewer (403), for another tenant’s connection (404) and without auth (401)', async () => {
    const { tenant: a, call: ownerA, scoped } = await setup(db)
    const { call: ownerB } = await setup(db)
    const viewerA = as(
      scoped,
      (await login(db, (await createMember(db, a.tenantId, 'viewer')).email)).access_token,
    )
    const created = (await (
      await ownerA('/api/v1/connections', {
        method: 'POST',
        json: {
          platform: 'instagram',
          external_account_id: uniqueAccount('1785'),
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
