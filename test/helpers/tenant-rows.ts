import { newId } from '../../db/ids.ts'
import type { TestDatabase } from './env.ts'
import type { TenantFixture } from './fixtures.ts'

/**
 * One row (or two) in every tenant-owned table, written as the owner role, so a test can prove a
 * tenant's data untouched or give a fuzzer real ids to aim at. The row-level security test
 * (test/security/rls.test.ts) seeds both its tenants with it and fails if a tenant table is missed.
 */
export async function seedTenantRows(
  db: TestDatabase,
  tenant: TenantFixture,
  memberId: string,
  options: { vault?: boolean } = {},
): Promise<void> {
  const t = tenant.tenantId
  const [connectionId, propertyId, sourceId, stay, block] = [
    newId('con'),
    newId('prp'),
    newId('src'),
    newId('bkg'),
    newId('bkg'),
  ]
  const rows: [string, unknown[]][] = [
    [
      `insert into api_keys (id, tenant_id, name, role, secret_hash, last_four, created_by) values ($1, $2, 'k', 'viewer', 'x', 'abcd', $3)`,
      [newId('key'), t, memberId],
    ],
    [
      `insert into audit_log (id, tenant_id, actor_type, action) values ($1, $2, 'system', 'test.seed')`,
      [newId('aud'), t],
    ],
    [
      `insert into connections (id, tenant_id, platform, external_account_id, label) values ($1, $2, 'instagram', '17841400000000000', 'Conta')`,
      [connectionId, t],
    ],
    [
      `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted) values ($1, $2, 'tenant', $2, 'metrics_collection', '2026-01', true)`,
      [newId('cns'), t],
    ],
    [
      `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
       values ($1, $2, 'reach', 'day', current_date - 1, 10), ($1, $2, 'followers', 'lifetime', current_date - 1, 100)`,
      [t, connectionId],
    ],
    [
      `insert into collection_runs (tenant_id, connection_id, kind, status) values ($1, $2, 'scheduled', 'succeeded')`,
      [t, connectionId],
    ],
    [
      `insert into data_exports (id, tenant_id, requested_by) values ($1, $2, $3)`,
      [newId('exp'), t, memberId],
    ],
    [
      `insert into erasure_requests (id, tenant_id, subject_id, requested_by_type, requested_by) values ($1, $2, $2, 'member', $3)`,
      [newId('era'), t, memberId],
    ],
    [
      `insert into erasure_receipts (id, tenant_id, scope, subject_id, row_counts, key_destroyed) values ($1, $2, 'connection', $3, '{}', false)`,
      [newId('rcp'), t, connectionId],
    ],
    [
      `insert into oauth_states (id, tenant_id, user_id, platform, redirect_uri, expires_at)
       values (gen_random_uuid(), $1, $2, 'x', 'https://integra.test/oauth/callback/x', now() + interval '1 hour')`,
      [t, memberId],
    ],
    [
      `insert into oauth_selections (id, tenant_id, user_id, platform, accounts, expires_at)
       values (gen_random_uuid(), $1, $2, 'facebook', '[]', now() + interval '1 hour')`,
      [t, memberId],
    ],
    [
      `insert into meta_webhook_seen (tenant_id, platform, object_id, event) values ($1, 'whatsapp', 'wamid.x', 'sent')`,
      [t],
    ],
    [
      `insert into meta_webhook_counters (tenant_id, platform, account_id, day, metric, value) values ($1, 'whatsapp', '1', '2026-11-20', 'sent', 1)`,
      [t],
    ],
    [`insert into webhook_events (tenant_id, source, payload, digest) values ($1, 'meta', '{}', 'd')`, [t]],
    [
      `insert into properties (id, tenant_id, name, timezone) values ($1, $2, 'Casa', 'UTC')`,
      [propertyId, t],
    ],
    [
      `insert into calendar_sources (id, tenant_id, property_id, channel, url_masked, url_digest) values ($1, $2, $3, 'airbnb', 'https://www.airbnb.com/…ics', 'd')`,
      [sourceId, t, propertyId],
    ],
    [
      `insert into bookings (id, tenant_id, property_id, source_id, uid, check_in, check_out, status)
       values ($1, $3, $4, $5, 'u1', current_date + 10, current_date + 14, 'confirmed'), ($2, $3, $4, null, null, current_date + 12, current_date + 13, 'blocked')`,
      [stay, block, t, propertyId, sourceId],
    ],
    [
      `insert into calendar_conflicts (id, tenant_id, property_id, booking_a_id, booking_b_id, overlap_start, overlap_end, severity)
       values ($1, $2, $3, $4, $5, current_date + 12, current_date + 13, 'warning')`,
      [newId('cfl'), t, propertyId, stay, block],
    ],
    [
      `insert into calendar_sync_runs (tenant_id, source_id, kind, status) values ($1, $2, 'scheduled', 'succeeded')`,
      [t, sourceId],
    ],
    [`insert into calendar_alert_settings (tenant_id, telegram_chat_id) values ($1, '42')`, [t]],
    [
      `insert into outbound_messages (id, tenant_id, channel, purpose, recipient, payload, idempotency_key, status, sent_at)
       values ($1, $2, 'email', 'test.seed', 'cliente@example.test', '{"content":{"subject":"Oi","text":"Olá"}}', 'seed', 'sent', now())`,
      [newId('msg'), t],
    ],
    [
      `insert into customers (id, tenant_id, name, phone, email) values ($1, $2, 'Cliente', '+5511912345678', 'cliente@example.test')`,
      [newId('cus'), t],
    ],
    // Accounts (issue 20): a reset link of the member, spent.
    [
      `insert into account_tokens (tenant_id, user_id, purpose, token_hash, request_key, expires_at, used_at)
       values ($1, $2, 'password_reset', $3, 'seed', now() + interval '30 minutes', now())`,
      [t, memberId, `seed-${newId('aud')}`],
    ],
  ]
  // Placeholder vault rows (and the Meta settings that point into the vault): nothing can decrypt
  // them, so a tenant whose routes run for real (the fuzzed one) lets the vault create its own.
  if (options.vault !== false) {
    rows.push(
      [`insert into tenant_keys (tenant_id, master_kid, wrapped_key) values ($1, 'k', 'x.y')`, [t]],
      ['insert into meta_webhook_settings (tenant_id) values ($1)', [t]],
      [
        `insert into vault_edge_copies (tenant_id, name, kv_key) values ($1, 'meta-webhook', $2)`,
        [t, `edge/meta-webhook/${tenant.slug}`],
      ],
    )
  }
  for (const [text, params] of rows) await db.owner(text, params)
}

/** Tables with a tenant_id column, read from the catalog so a new table is covered unasked. */
async function tenantTables(db: TestDatabase): Promise<{ table: string; hasId: boolean }[]> {
  return db.owner<{ table: string; hasId: boolean }>(
    `select c.table_name as table,
       exists (select 1 from information_schema.columns i
               where i.table_schema = 'public' and i.table_name = c.table_name and i.column_name = 'id') as "hasId"
     from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
     where c.table_schema = 'public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'
     order by c.table_name`,
  )
}

/**
 * A digest per table of everything a tenant owns (its rows in every tenant_id table, its tenant
 * row and its plans), as the owner role: equal digests mean not one byte of its data changed.
 * Rows are hashed and sorted by hash, which orders them as stably as a primary key would.
 */
export async function tenantDigest(db: TestDatabase, tenantId: string): Promise<Record<string, string>> {
  const digest = (from: string, where: string) =>
    `select '${from}' as "table", md5(coalesce(string_agg(md5(x::text), ',' order by md5(x::text)), '')) as digest, count(*)::int as n from ${from} x where ${where}`
  const parts = [
    digest('tenants', 'id = $1'),
    digest('plans', 'id in (select plan_id from licenses where tenant_id = $1)'),
    ...(await tenantTables(db)).map(({ table }) => digest(table, 'tenant_id = $1')),
  ]
  const rows = await db.owner<{ table: string; digest: string; n: number }>(parts.join(' union all '), [
    tenantId,
  ])
  return Object.fromEntries(rows.map((row) => [row.table, `${row.n}:${row.digest}`]))
}

/** Every id a tenant owns, by prefix (`con`, `usr`, ... and `uuid` for unprefixed uuids). */
export async function tenantIds(db: TestDatabase, tenantId: string): Promise<Map<string, string[]>> {
  const tables = (await tenantTables(db)).filter((t) => t.hasId).map((t) => t.table)
  const rows = await db.owner<{ id: string }>(
    [
      'select id::text as id from tenants where id = $1',
      'select plan_id::text from licenses where tenant_id = $1',
      ...tables.map((table) => `select id::text from ${table} where tenant_id = $1`),
    ].join(' union '),
    [tenantId],
  )
  const ids = new Map<string, string[]>()
  for (const { id } of rows) {
    const prefix = /^[0-9a-f]{8}-/.test(id) ? 'uuid' : (id.split('_')[0] ?? '')
    ids.set(prefix, [...(ids.get(prefix) ?? []), id])
  }
  return ids
}
