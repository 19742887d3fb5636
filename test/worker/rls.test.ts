import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import { createTestDatabase, type TestDatabase, withClient } from '../helpers/env.ts'
import { createMember, createTenant, type TenantFixture } from '../helpers/fixtures.ts'

/**
 * Tables with a tenant_id that are deliberately not under row-level security, and why. Adding a
 * table to this list is a design decision that a reviewer must see.
 */
const GLOBAL_TABLES_WITH_TENANT_ID: Record<string, string> = {
  sessions: 'authentication state looked up by session id before the tenant is known',
}
/** RLS tables whose tenant_id may be null (rows only operators can read). */
const NULLABLE_TENANT_ID = new Set(['audit_log'])

let db: TestDatabase
let a: TenantFixture
let b: TenantFixture
let tenantTables: string[]

beforeAll(async () => {
  db = await createTestDatabase()
  a = await createTenant(db)
  b = await createTenant(db)
  for (const tenant of [a, b]) {
    const member = await createMember(db, tenant.tenantId, 'owner')
    await db.owner(
      `insert into api_keys (id, tenant_id, name, role, secret_hash, last_four, created_by)
       values ($1, $2, 'k', 'viewer', 'x', 'abcd', $3)`,
      [newId('key'), tenant.tenantId, member.id],
    )
    await db.owner(
      `insert into audit_log (id, tenant_id, actor_type, action) values ($1, $2, 'system', 'test.seed')`,
      [newId('aud'), tenant.tenantId],
    )
    const connectionId = newId('con')
    await db.owner(`insert into tenant_keys (tenant_id, master_kid, wrapped_key) values ($1, 'k', 'x.y')`, [
      tenant.tenantId,
    ])
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'instagram', '17841400000000000')`,
      [connectionId, tenant.tenantId],
    )
    await db.owner(
      `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted)
       values ($1, $2, 'tenant', $2, 'metrics_collection', '2026-01', true)`,
      [newId('cns'), tenant.tenantId],
    )
    await db.owner(
      `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
       values ($1, $2, 'reach', 'day', '2026-11-01', 10)`,
      [tenant.tenantId, connectionId],
    )
    await db.owner(
      `insert into collection_runs (tenant_id, connection_id, kind, status) values ($1, $2, 'scheduled', 'succeeded')`,
      [tenant.tenantId, connectionId],
    )
    await db.owner(`insert into data_exports (id, tenant_id, requested_by) values ($1, $2, $3)`, [
      newId('exp'),
      tenant.tenantId,
      member.id,
    ])
    await db.owner(
      `insert into erasure_requests (id, tenant_id, requested_by_type, requested_by) values ($1, $2, 'member', $3)`,
      [newId('era'), tenant.tenantId, member.id],
    )
    await db.owner(
      `insert into erasure_receipts (id, tenant_id, scope, subject_id, row_counts, key_destroyed)
       values ($1, $2, 'connection', $3, '{}', false)`,
      [newId('rcp'), tenant.tenantId, connectionId],
    )
    await db.owner(
      `insert into oauth_states (id, tenant_id, user_id, platform, redirect_uri, expires_at)
       values (gen_random_uuid(), $1, $2, 'x', 'https://integra.test/oauth/callback/x', now() + interval '10 minutes')`,
      [tenant.tenantId, member.id],
    )
    await db.owner(
      `insert into oauth_selections (id, tenant_id, user_id, platform, accounts, expires_at)
       values (gen_random_uuid(), $1, $2, 'facebook', '[]', now() + interval '15 minutes')`,
      [tenant.tenantId, member.id],
    )
    await db.owner('insert into meta_webhook_settings (tenant_id) values ($1)', [tenant.tenantId])
    await db.owner(
      `insert into vault_edge_copies (tenant_id, name, kv_key) values ($1, 'meta-webhook', $2)`,
      [tenant.tenantId, `edge/meta-webhook/${tenant.slug}`],
    )
    await db.owner(
      `insert into meta_webhook_seen (tenant_id, platform, object_id, event) values ($1, 'whatsapp', 'wamid.x', 'sent')`,
      [tenant.tenantId],
    )
    await db.owner(
      `insert into meta_webhook_counters (tenant_id, platform, account_id, day, metric, value)
       values ($1, 'whatsapp', '1', '2026-11-20', 'sent', 1)`,
      [tenant.tenantId],
    )
    await db.owner(
      `insert into webhook_events (tenant_id, source, payload, digest) values ($1, 'meta', '{}', 'd')`,
      [tenant.tenantId],
    )
    const propertyId = newId('prp')
    const sourceId = newId('src')
    const [stay, block] = [newId('bkg'), newId('bkg')]
    await db.owner(`insert into properties (id, tenant_id, name, timezone) values ($1, $2, 'Casa', 'UTC')`, [
      propertyId,
      tenant.tenantId,
    ])
    await db.owner(
      `insert into calendar_sources (id, tenant_id, property_id, channel, url_masked, url_digest)
       values ($1, $2, $3, 'airbnb', 'https://www.airbnb.com/…ics', 'd')`,
      [sourceId, tenant.tenantId, propertyId],
    )
    await db.owner(
      `insert into bookings (id, tenant_id, property_id, source_id, uid, check_in, check_out, status)
       values ($1, $3, $4, $5, 'u1', '2026-12-01', '2026-12-05', 'confirmed'),
              ($2, $3, $4, null, null, '2026-12-03', '2026-12-04', 'blocked')`,
      [stay, block, tenant.tenantId, propertyId, sourceId],
    )
    await db.owner(
      `insert into calendar_conflicts (id, tenant_id, property_id, booking_a_id, booking_b_id, overlap_start, overlap_end, severity)
       values ($1, $2, $3, $4, $5, '2026-12-03', '2026-12-04', 'warning')`,
      [newId('cfl'), tenant.tenantId, propertyId, stay, block],
    )
    await db.owner(
      `insert into calendar_sync_runs (tenant_id, source_id, kind, status) values ($1, $2, 'scheduled', 'succeeded')`,
      [tenant.tenantId, sourceId],
    )
    await db.owner(`insert into calendar_alert_settings (tenant_id, telegram_chat_id) values ($1, '42')`, [
      tenant.tenantId,
    ])
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
