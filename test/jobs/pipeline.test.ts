import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import worker from '../../worker/index.ts'
import {
  captureQueue,
  createTestDatabase,
  fakeControl,
  type TestBindings,
  type TestDatabase,
} from '../helpers/env.ts'
import { as, createMember, createTenant, login } from '../helpers/fixtures.ts'

let db: TestDatabase
let env: TestBindings
beforeAll(async () => {
  db = await createTestDatabase()
  env = { ...db.env, JOBS: captureQueue().queue }
})

describe('a refresh the platform refuses', () => {
  it('turns the connection to needs_reconnect instead of retrying it to the dead-letter queue', async () => {
    const xEnv = { ...env, X_CLIENT_ID: 'integra-x-client', X_CLIENT_SECRET: 'integra-x-secret' }
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const call = as({ ...db, env: xEnv }, (await login(db, owner.email)).access_token)
    const user = String(1_500_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e12)))
    const refreshToken = `fake-xr.${user}.${crypto.randomUUID()}`
    const created = (await (
      await call('/api/v1/connections', {
        method: 'POST',
        json: {
          platform: 'x',
          external_account_id: user,
          access_token: `fake-x.${user}.${crypto.randomUUID()}`,
          refresh_token: refreshToken,
          expires_at: new Date(Date.now() + 60_000).toISOString(),
        },
      })
    ).json()) as { id: string }
    await fakeControl('revoke', { token: refreshToken })
    const batch = createMessageBatch('integra-jobs', [
      {
        id: 'refresh-dead',
        timestamp: new Date(),
        attempts: 1,
        body: {
          type: 'collect.connection',
          v: 1,
          tenantId: tenant.tenantId,
          connectionId: created.id,
          kind: 'scheduled',
        },
      },
    ])
    const ctx = createExecutionContext()
    await worker.queue(batch, xEnv, ctx)
    const result = await getQueueResult(batch, ctx)
    expect(result.explicitAcks).toEqual(['refresh-dead'])
    const detail = (await (await call(`/api/v1/connections/${created.id}`)).json()) as { status: string }
    expect(detail.status).toBe('needs_reconnect')
  })
})
