import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import { createTestDatabase, type TestDatabase, withClient } from '../helpers/env.ts'
import { createMember, createTenant, type TenantFixture } from '../helpers/fixtures.ts'
import { seedTenantRows } from '../helpers/tenant-rows.ts'

/**
 * Tables with a tenant_id that are deliberately not under row-level security, and why. Adding a
 * table to this list is a design decision that a reviewer must see.
 */
const GLOBAL_TABLES_WITH_TENANT_ID: Record<string, string> = {
  sessions: 'authentication state looked up by session id before the tenant is known',
  login_challenges: 'the second step of a sign-in, looked up by its token before the tenant is known',
}
/** RLS tables whose tenant_id may be null (rows only operators can read). */
const NULLABLE_TENANT_ID = new Set(['audit_log', 'recovery_codes'])

let db: TestDatabase
let a: TenantFixture
let b: TenantFixture
let tenantTables: string[]

beforeAll(async () => {
  db = await createTestDatabase()
  a = await createTenant(db)
  b = await createTenant(db)
  // A row in every tenant table for both tenants (the test below fails if a table is missed).
  for (const tenant of [a, b]) {
    const member = await createMember(db, tenant.tenantId, 'owner')
    await seedTenantRows(db, tenant, member.id)
  }
  const rows = await db.owner<{ table_name: string }>(
    `select table_name from information_schema.columns
     where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
  )
  tenantTables = rows.map((r) => r.table_name).filter((t) => !(t in GLOBAL_TABLES_WITH_TENANT_ID))
})

describe('row-level security, the second lock', () => {
  it('covers every table with a tenant_id: enabled, forced, with a policy and an index', async () => {
    expect(tenantTables.length).toBeGreaterThanOrEqual(4)
    for (const table of tenantTables) {
      const [state] = await db.owner<{
        rls: boolean
        forced: boolean
        policies: number
        indexed: boolean
        nullable: string
      }>(
        `select c.relrowsecurity as rls, c.relforcerowsecurity as forced,
           (select count(*)::int from pg_policies p where p.tablename = c.relname) as policies,
           exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                   where i.indrelid = c.oid and a.attname = 'tenant_id') as indexed,
           (select is_nullable from information_schema.columns where table_name = c.relname and column_name = 'tenant_id') as nullable
         from pg_class c where c.relname = $1 and c.relnamespace = 'public'::regnamespace`,
        [table],
      )
      expect({ table, ...state }).toMatchObject({ table, rls: true, forced: true, indexed: true })
      expect(state?.policies, table).toBeGreaterThan(0)
      if (!NULLABLE_TENANT_ID.has(table)) expect(state?.nullable, table).toBe('NO')
    }
  })

  it('shows the application role no rows at all when no tenant is set', async () => {
    await withClient(db.env.DATABASE_URL as string, async (query) => {
      for (const table of tenantTables) {
        const [row] = await query<{ n: number }>(`select count(*)::int as n from ${table}`)
        expect({ table, n: row?.n }).toEqual({ table, n: 0 })
      }
    })
  })

  it('shows tenant A none of tenant B’s rows, while B has rows in every table', async () => {
    for (const table of tenantTables) {
      const [seeded] = await db.owner<{ n: number }>(
        `select count(*)::int as n from ${table} where tenant_id = $1`,
        [b.tenantId],
      )
      expect({ table, seeded: (seeded?.n ?? 0) > 0 }).toEqual({ table, seeded: true })
    }
    await withClient(db.env.DATABASE_URL as string, async (query) => {
      await query(`select set_config('app.tenant_id', $1, false)`, [a.tenantId])
      for (const table of tenantTables) {
        const [row] = await query<{ mine: number; theirs: number }>(
          `select count(*) filter (where tenant_id = $1)::int as mine, count(*) filter (where tenant_id <> $1)::int as theirs from ${table}`,
          [a.tenantId],
        )
        expect({ table, theirs: row?.theirs, sawOwn: (row?.mine ?? 0) > 0 }).toEqual({
          table,
          theirs: 0,
          sawOwn: true,
        })
      }
    })
  })

  it('refuses to write a row for another tenant', async () => {
    await withClient(db.env.DATABASE_URL as string, async (query) => {
      await query(`select set_config('app.tenant_id', $1, false)`, [a.tenantId])
      await expect(
        query(`insert into audit_log (id, tenant_id, actor_type, action) values ($1, $2, 'system', 'x')`, [
          newId('aud'),
          b.tenantId,
        ]),
      ).rejects.toThrow(/row-level security/)
    })
  })

  it('finds an account token (reset, invitation) by its hash only, before any tenant is set', async () => {
    const [seeded] = await db.owner<{ token_hash: string }>(
      'select token_hash from account_tokens where tenant_id = $1',
      [b.tenantId],
    )
    await withClient(db.env.DATABASE_URL as string, async (query) => {
      const [direct] = await query<{ n: number }>('select count(*)::int as n from account_tokens')
      expect(direct?.n).toBe(0)
      expect(await query('select tenant_id from auth_find_account_token($1)', ['no-such-hash'])).toEqual([])
      expect(await query('select tenant_id from auth_find_account_token($1)', [seeded?.token_hash])).toEqual([
        { tenant_id: b.tenantId },
      ])
    })
  })

  it('lets the application role read members only through the login lookup function', async () => {
    await withClient(db.env.DATABASE_URL as string, async (query) => {
      const [direct] = await query<{ n: number }>('select count(*)::int as n from users')
      expect(direct?.n).toBe(0)
      const [owner] = await db.owner<{ email: string }>('select email from users where tenant_id = $1', [
        b.tenantId,
      ])
      const found = await query<{ tenant_id: string }>('select tenant_id from auth_find_member($1)', [
        owner?.email,
      ])
      expect(found).toEqual([{ tenant_id: b.tenantId }])
    })
  })
})
