import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { as, createMember, createTenant, errorCode, login } from '../helpers/fixtures.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A limiter that records its keys and refuses after `allowed` calls per key. */
function limiter(allowed: number) {
  const seen: string[] = []
  return {
    seen,
    binding: {
      async limit({ key }: { key: string }) {
        seen.push(key)
        return { success: seen.filter((k) => k === key).length <= allowed }
      },
    } as RateLimit,
  }
}

describe('API rate limit', () => {
  it('is wired to the real binding from wrangler.toml', () => {
    expect(typeof db.env.API_RATE_LIMITER?.limit).toBe('function')
  })

  it('limits per tenant for members and answers 429 with Retry-After in the envelope', async () => {
    const tenant = await createTenant(db)
    const a = await createMember(db, tenant.tenantId, 'owner')
    const b = await createMember(db, tenant.tenantId, 'viewer')
    const other = await createTenant(db)
    const c = await createMember(db, other.tenantId, 'owner')
    const { seen, binding } = limiter(2)
    const env = { ...db.env, API_RATE_LIMITER: binding }
    const callA = as({ ...db, env }, (await login(db, a.email)).access_token)
    const callB = as({ ...db, env }, (await login(db, b.email)).access_token)
    const callC = as({ ...db, env }, (await login(db, c.email)).access_token)
    expect((await callA('/api/v1/tenant')).status).toBe(200)
    expect((await callB('/api/v1/tenant')).status).toBe(200)
    const limited = await callA('/api/v1/tenant')
    expect(limited.status).toBe(429)
    expect(await errorCode(limited)).toBe('RATE_LIMITED')
    expect(limited.headers.get('retry-after')).toBe('60')
    // Another tenant has its own budget.
    expect((await callC('/api/v1/tenant')).status).toBe(200)
    expect(new Set(seen)).toEqual(new Set([`member:${tenant.tenantId}`, `member:${other.tenantId}`]))
  })

  it('does not count unauthenticated requests against anyone', async () => {
    const { seen, binding } = limiter(0)
    const response = await as(
      { ...db, env: { ...db.env, API_RATE_LIMITER: binding } },
      'garbage',
    )('/api/v1/tenant')
    expect(response.status).toBe(401)
    expect(seen).toEqual([])
  })
})
