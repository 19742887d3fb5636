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
import { captureLogs } from '../helpers/worker.ts'

let db: TestDatabase
let env: TestBindings
beforeAll(async () => {
  db = await createTestDatabase()
  env = { ...db.env, JOBS: captureQueue().queue }
})

async function connectedAccount(tenantId: string, call: ReturnType<typeof as>) {
  const token = `fake-ig-${crypto.randomUUID()}`
  const response = await call('/api/v1/connections', {
    method: 'POST',
    json: {
      platform: 'instagram',
      external_account_id: `1786${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`,
      access_token: token,
    },
  })
  const { id } = (await response.json()) as { id: string }
  return {
    id,
    token,
    job: { type: 'collect.connection', v: 1, tenantId, connectionId: id, kind: 'scheduled' },
  }
}

describe('a batch with a failure in the middle', () => {
  it('acks the good messages, retries only the failing one, and loses nothing on redelivery', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const call = as({ ...db, env }, (await login(db, owner.email)).access_token)
    const first = await connectedAccount(tenant.tenantId, call)
    const broken = await connectedAccount(tenant.tenantId, call)
    const last = await connectedAccount(tenant.tenantId, call)
    // KV lost the broken connection's ciphertext (or has not caught up yet): its run must retry.
    const kvKey = `vault/${tenant.tenantId}/${broken.id}/access_token`
    const saved = (await env.TOKENS.get(kvKey)) as string
    await env.TOKENS.delete(kvKey)

    const run = async (attempts: number) => {
      const batch = createMessageBatch(
        'integra-jobs',
        [first, broken, last].map((c, i) => ({
          id: `msg-${i}`,
          timestamp: new Date(),
          attempts,
          body: c.job,
        })),
      )
      const ctx = createExecutionContext()
      const { lines } = await captureLogs(() => worker.queue(batch, env, ctx))
      return { result: await getQueueResult(batch, ctx), lines }
    }
    const { result, lines } = await run(1)
    expect(result.explicitAcks.sort()).toEqual(['msg-0', 'msg-2'])
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['msg-1'])
    for (const c of [first, broken, last]) expect(JSON.stringify(lines)).not.toContain(c.token)

    const count = async (id: string) =>
      (
        await db.owner<{ n: number }>(
          'select count(*)::int as n from metric_points where connection_id = $1',
          [id],
        )
      )[0]?.n
    const firstPoints = await count(first.id)
    expect(firstPoints).toBeGreaterThan(0)
    expect(await count(broken.id)).toBe(0)

    // Redelivery once KV has the value: the failed one lands, the others are unchanged (upserts).
    await env.TOKENS.put(kvKey, saved)
    const again = await run(2)
    expect(again.result.explicitAcks.sort()).toEqual(['msg-0', 'msg-1', 'msg-2'])
    expect(await count(first.id)).toBe(firstPoints)
    expect(await count(broken.id)).toBe(firstPoints)
  })
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
