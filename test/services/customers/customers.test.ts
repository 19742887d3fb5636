import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DbHandle } from '../../../db/client.ts'
import { upsertCustomer } from '../../../worker/services/customers/customers.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createTenant, type TenantFixture } from '../../helpers/fixtures.ts'

let db: TestDatabase
let handle: DbHandle
let a: TenantFixture
let b: TenantFixture

beforeAll(async () => {
  db = await createTestDatabase()
  handle = new DbHandle({
    connectionString: db.env.DATABASE_URL as string,
    wsProxy: db.env.NEON_WS_PROXY,
    connectTimeoutMs: 5000,
  })
  a = await createTenant(db)
  b = await createTenant(db)
})
afterAll(() => handle?.close())

const upsert = (tenantId: string, input: Parameters<typeof upsertCustomer>[2]) =>
  handle.transaction((tx) => upsertCustomer(tx, tenantId, input), { tenantId })

const count = async (tenantId: string) =>
  Number(
    (await db.owner<{ n: string }>('select count(*) n from customers where tenant_id = $1', [tenantId]))[0]
      ?.n,
  )

describe('upsertCustomer: one person, one customer', () => {
  it('finds the customer by phone, keeps their name and adds a missing e-mail', async () => {
    const first = await upsert(a.tenantId, { name: 'Maria Souza', phone: '+5511912340001' })
    const again = await upsert(a.tenantId, {
      name: 'maria',
      phone: '+5511912340001',
      email: 'Maria@Example.com',
    })
    expect(again.id).toBe(first.id)
    expect(again).toMatchObject({ name: 'Maria Souza', email: 'maria@example.com' })
    const third = await upsert(a.tenantId, { name: 'M', phone: '+5511912340001', email: 'other@example.com' })
    expect(third.email).toBe('maria@example.com')
  })

  it('finds a customer without a phone by e-mail, case-insensitively', async () => {
    const first = await upsert(a.tenantId, { name: 'João', email: 'joao@example.com' })
    const again = await upsert(a.tenantId, { name: 'João P.', email: ' JOAO@example.com ' })
    expect(again.id).toBe(first.id)
  })

  it('makes one row when 12 first contacts with the same phone arrive at once', async () => {
    const before = await count(a.tenantId)
    const rows = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        upsert(a.tenantId, { name: `Cliente ${i}`, phone: '+5521987650002' }),
      ),
    )
    expect(new Set(rows.map((row) => row.id)).size).toBe(1)
    expect(await count(a.tenantId)).toBe(before + 1)
  })

  it('keeps tenants apart: the same phone is another customer in another tenant', async () => {
    const inA = await upsert(a.tenantId, { name: 'Ana', phone: '+5531999990003' })
    const inB = await upsert(b.tenantId, { name: 'Ana', phone: '+5531999990003' })
    expect(inB.id).not.toBe(inA.id)
    expect(inB.tenantId).toBe(b.tenantId)
  })

  it('is refused by row-level security when the transaction belongs to another tenant', async () => {
    await expect(
      handle.transaction((tx) => upsertCustomer(tx, a.tenantId, { name: 'X', phone: '+5511912340009' }), {
        tenantId: b.tenantId,
      }),
    ).rejects.toThrow()
  })

  it('refuses a phone that is not E.164 in the database itself', async () => {
    await expect(upsert(a.tenantId, { name: 'X', phone: '11 91234-5678' })).rejects.toThrow()
  })
})
