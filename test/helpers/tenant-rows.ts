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
  const [customerId, serviceId, professionalId] = [newId('cus'), newId('svc'), newId('pro')]
  const [appointmentId, ruleId] = [newId('apt'), newId('rrl')]
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
      [customerId, t],
    ],
    // Scheduling: a service performed by a professional with a plan, an exception, a holiday, a
    // customer's consent and one appointment.
    [
      `insert into scheduling_services (id, tenant_id, name, duration_minutes) values ($1, $2, 'Consulta', 60)`,
      [serviceId, t],
    ],
    [
      `insert into scheduling_professionals (id, tenant_id, name) values ($1, $2, 'Dra. Ana')`,
      [professionalId, t],
    ],
    [
      `insert into scheduling_service_professionals (tenant_id, service_id, professional_id) values ($1, $2, $3)`,
      [t, serviceId, professionalId],
    ],
    [
      `insert into scheduling_plan_intervals (id, tenant_id, professional_id, weekday, kind, start_minute, end_minute)
       values ($1, $2, $3, 1, 'work', 540, 1080)`,
      [newId('pin'), t, professionalId],
    ],
    [
      `insert into scheduling_exceptions (id, tenant_id, professional_id, date, kind) values ($1, $2, $3, current_date + 30, 'off')`,
      [newId('exc'), t, professionalId],
    ],
    [
      `insert into scheduling_blocked_periods (id, tenant_id, starts_at, ends_at, reason)
       values ($1, $2, now() + interval '60 days', now() + interval '61 days', 'Feriado')`,
      [newId('blk'), t],
    ],
    [
      `insert into scheduling_customer_facts (customer_id, tenant_id, reminders_consent, consent_at, consent_source)
       values ($1, $2, true, now(), 'public')`,
      [customerId, t],
    ],
    [
      `insert into appointments (id, tenant_id, service_id, professional_id, customer_id, starts_at, ends_at,
         blocked_from, blocked_until, slot_key, status, source)
       values ($1, $2, $3, $4, $5, date_trunc('hour', now()) + interval '3 days', date_trunc('hour', now()) + interval '3 days 1 hour',
         date_trunc('hour', now()) + interval '3 days', date_trunc('hour', now()) + interval '3 days 1 hour', $1, 'confirmed', 'portal')`,
      [appointmentId, t, serviceId, professionalId, customerId],
    ],
    [
      `insert into scheduling_reminder_rules (id, tenant_id, service_id, minutes_before) values ($1, $2, null, 1440)`,
      [ruleId, t],
    ],
    [
      `insert into scheduling_reminders (id, tenant_id, appointment_id, rule_id, due_at, status)
       values ($1, $2, $3, $4, date_trunc('hour', now()) + interval '2 days', 'pending')`,
      [newId('rmd'), t, appointmentId, ruleId],
    ],
    // Scheduling settings (0041): reminders by e-mail (no WhatsApp template chosen).
    [`insert into scheduling_settings (tenant_id) values ($1)`, [t]],
    ...commerceRows(t, customerId),
    ...attendanceTeamRows(t, memberId),
    // Scheduled reports (issue 18): a schedule and one held run of it.
    ...reportRows(t, memberId),
    // Accounts (issue 20): a reset link of the member, spent.
    [
      `insert into account_tokens (tenant_id, user_id, purpose, token_hash, request_key, expires_at, used_at)
       values ($1, $2, 'password_reset', $3, 'seed', now() + interval '30 minutes', now())`,
      [t, memberId, `seed-${newId('aud')}`],
    ],
    // Two-factor sign-in (issue 20): a recovery code of the member, and a sign-in's second step.
    [
      `insert into recovery_codes (tenant_id, user_id, code_hash) values ($1, $2, $3)`,
      [t, memberId, `seed-${newId('aud')}`],
    ],
    [
      `insert into login_challenges (id, token_hash, principal, user_id, tenant_id, account_key, expires_at)
       values ($1, $2, 'member', $3, $4, 'seed', now() + interval '5 minutes')`,
      [newId('lgc'), `seed-${newId('aud')}`, memberId, t],
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

/** One row in each commerce table: a store selling a product with options, an order paid by PIX. */
function commerceRows(t: string, customerId: string): [string, unknown[]][] {
  const [store, category, product, group, order] = [
    newId('sto'),
    newId('cat'),
    newId('prd'),
    newId('opg'),
    newId('ord'),
  ]
  const payment = newId('pay')
  return [
    [
      `insert into commerce_settings (tenant_id, storefront_origins) values ($1, '{https://loja.example}')`,
      [t],
    ],
    [
      `insert into commerce_stores (id, tenant_id, name, street, city, state, cep, latitude, longitude)
       values ($1, $2, 'Loja', 'Rua A, 1', 'São Paulo', 'SP', '01310100', -23.56, -46.65)`,
      [store, t],
    ],
    [`insert into commerce_categories (id, tenant_id, name) values ($1, $2, 'Bebidas')`, [category, t]],
    [
      `insert into commerce_products (id, tenant_id, category_id, name, price_cents) values ($1, $2, $3, 'Café', 1000)`,
      [product, t, category],
    ],
    [
      `insert into commerce_option_groups (id, tenant_id, product_id, name, min_choices, max_choices) values ($1, $2, $3, 'Tamanho', 1, 1)`,
      [group, t, product],
    ],
    [
      `insert into commerce_options (id, tenant_id, group_id, name, price_delta_cents) values ($1, $2, $3, 'Grande', 200)`,
      [newId('opt'), t, group],
    ],
    [
      `insert into commerce_stock (tenant_id, store_id, product_id, on_hand, reserved) values ($1, $2, $3, 10, 1)`,
      [t, store, product],
    ],
    [
      `insert into commerce_shipping_bands (id, tenant_id, store_id, max_km, price_cents) values ($1, $2, $3, 5, 500)`,
      [newId('shb'), t, store],
    ],
    [
      `insert into commerce_addresses (id, tenant_id, customer_id, street, number, city, state, cep)
       values ($1, $2, $3, 'Rua B', '2', 'São Paulo', 'SP', '01310200')`,
      [newId('adr'), t, customerId],
    ],
    [
      `insert into commerce_orders (id, tenant_id, store_id, customer_id, fulfilment, idempotency_key, request_hash,
         customer_name, customer_phone, subtotal_cents, shipping_cents, total_cents, payment_due_at)
       values ($1, $2, $3, $4, 'delivery', 'seed', 'h', 'Cliente', '+5511912345678', 1000, 500, 1500, now() + interval '1 day')`,
      [order, t, store, customerId],
    ],
    [
      `insert into commerce_order_items (id, tenant_id, order_id, product_id, name, quantity, unit_price_cents, line_total_cents)
       values ($1, $2, $3, $4, 'Café', 1, 1000, 1000)`,
      [newId('oit'), t, order, product],
    ],
    [
      `insert into commerce_reservations (id, tenant_id, order_id, store_id, product_id, quantity, expires_at)
       values ($1, $2, $3, $4, $5, 1, now() + interval '1 day')`,
      [newId('rsv'), t, order, store, product],
    ],
    [
      `insert into commerce_stock_movements (id, tenant_id, store_id, product_id, kind, delta, actor_type, reason)
       values ($1, $2, $3, $4, 'restock', 10, 'system', 'seed')`,
      [newId('stm'), t, store, product],
    ],
    [
      `insert into commerce_payments (id, tenant_id, order_id, provider, method, status, amount_cents, provider_payment_id)
       values ($1, $2, $3, 'mercadopago', 'pix', 'pending', 1500, $4)`,
      [payment, t, order, `seed-${order}`],
    ],
    [
      `insert into commerce_payment_events (tenant_id, webhook_id, payment_id, status) values ($1, $2, $3, 'approved')`,
      [t, `evt-${order}`, payment],
    ],
    [
      `insert into commerce_deliveries (id, tenant_id, order_id, distance_km, distance_method, fee_cents)
       values ($1, $2, $3, 1.2, 'straight_line', 500)`,
      [newId('dlv'), t, order],
    ],
    [
      `insert into commerce_order_events (id, tenant_id, order_id, to_status, actor_type) values ($1, $2, $3, 'pending_payment', 'customer')`,
      [newId('oev'), t, order],
    ],
    // Campaigns: a coupon that discounted the order, counted against the customer.
    ...campaignRows(t, order, customerId),
    // The attendance module: a number, a contact, its conversation, an inbound message and a reply.
    ...attendanceRows(t),
  ]
}

/** A campaign of tenant `t`, its redemption by `order` and the customer's use of it. */
function campaignRows(t: string, order: string, customerId: string): [string, unknown[]][] {
  const campaign = newId('cmp')
  return [
    [
      `insert into commerce_campaigns (id, tenant_id, name, code, target, kind, value, starts_at, budget_kind, budget_limit, budget_used)
       values ($1, $2, 'Verão', 'VERAO', 'order', 'fixed', 100, now(), 'uses', 10, 1)`,
      [campaign, t],
    ],
    [
      `insert into commerce_campaign_redemptions (id, tenant_id, campaign_id, order_id, customer_id, discount_cents)
       values ($1, $2, $3, $4, $5, 100)`,
      [newId('red'), t, campaign, order, customerId],
    ],
    [
      `insert into commerce_campaign_customer_uses (tenant_id, campaign_id, customer_id, uses) values ($1, $2, $3, 1)`,
      [t, campaign, customerId],
    ],
  ]
}

/** One of each attendance table's rows for tenant `t`, in dependency order. */
function attendanceRows(t: string): [string, unknown[]][] {
  const [connectionId, numberId, contactId, conversationId, outboxId] = [
    newId('con'),
    newId('anb'),
    newId('ctc'),
    newId('cnv'),
    newId('msg'),
  ]
  return [
    [
      `insert into connections (id, tenant_id, platform, external_account_id, label) values ($1, $2, 'whatsapp', '102000000000999', 'WhatsApp')`,
      [connectionId, t],
    ],
    [
      `insert into attendance_numbers (id, tenant_id, connection_id, phone_number_id, waba_id, display_number)
       values ($1, $2, $3, '109900000000999', '102000000000999', '+55 11 4000-1000')`,
      [numberId, t, connectionId],
    ],
    [
      `insert into attendance_contacts (id, tenant_id, contact_key, bsuid, wa_id, profile_name, opted_in_at, opt_in_source)
       values ($1, $2, 'BR.1502576394655843', 'BR.1502576394655843', '5511912345678', 'Cliente', now(), 'inbound_message')`,
      [contactId, t],
    ],
    [
      `insert into attendance_conversations (id, tenant_id, number_id, contact_id, last_inbound_at, waiting_since)
       values ($1, $2, $3, $4, now(), now())`,
      [conversationId, t, numberId, contactId],
    ],
    [
      `insert into outbound_messages (id, tenant_id, channel, purpose, recipient, payload, idempotency_key)
       values ($1, $2, 'whatsapp', 'attendance.reply', '5511912345678', '{"content":{"type":"text","text":"Oi"}}', 'attendance:seed')`,
      [outboxId, t],
    ],
    [
      `insert into attendance_messages (id, tenant_id, conversation_id, direction, type, body, wamid, outbound_message_id)
       values ($1, $3, $4, 'in', 'text', 'Olá', 'wamid.seed', null), ($2, $3, $4, 'out', 'text', 'Oi', null, $5)`,
      [newId('amg'), newId('amg'), t, conversationId, outboxId],
    ],
    [
      `insert into attendance_templates (id, tenant_id, waba_id, name, language, category, status, body, parameters)
       values ($1, $2, '102000000000999', 'hello_world', 'en_US', 'UTILITY', 'APPROVED', 'Hello World', '[]')`,
      [newId('tpl'), t],
    ],
    [`insert into attendance_usage (tenant_id, month, sent) values ($1, '2026-12-01', 1)`, [t]],
  ]
}

/** Attendance teams (0036): a team with the member in it, and the member's presence. */
function attendanceTeamRows(t: string, memberId: string): [string, unknown[]][] {
  const teamId = newId('atm')
  return [
    [`insert into attendance_teams (id, tenant_id, name) values ($1, $2, 'Recepção')`, [teamId, t]],
    [
      `insert into attendance_team_members (tenant_id, team_id, user_id) values ($1, $2, $3)`,
      [t, teamId, memberId],
    ],
    [`insert into attendance_agents (tenant_id, user_id, away) values ($1, $2, true)`, [t, memberId]],
    // Business hours and the away message (0044).
    [
      `insert into attendance_settings (tenant_id, weekly, away_message) values ($1, '[{"weekday":1,"start":540,"end":1080}]', 'Voltamos às 9h.')`,
      [t],
    ],
  ]
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

/** A weekly report schedule of the tenant, owned by the member, and one run held for review. */
function reportRows(t: string, memberId: string): [string, unknown[]][] {
  const scheduleId = newId('rps')
  return [
    [
      `insert into report_schedules (id, tenant_id, name, frequency, weekday, local_time, time_zone, period,
         recipients, next_run_at, created_by)
       values ($1, $2, 'Semanal', 'weekly', 1, '09:00', 'America/Sao_Paulo', 'previous_week',
         array['cliente@example.test'], now() + interval '7 days', $3)`,
      [scheduleId, t, memberId],
    ],
    [
      `insert into report_runs (id, tenant_id, schedule_id, period_start, period_end, status, hold_reasons)
       values ($1, $2, $3, current_date - 14, current_date - 8, 'held', '["seeded"]')`,
      [newId('rpr'), t, scheduleId],
    ],
  ]
}
