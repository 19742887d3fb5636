import { and, eq, type SQL, sql } from 'drizzle-orm'
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate'
import type { Tx } from '../../../db/client.ts'
import { dataExports, type ExportProgress } from '../../../db/schema/index.ts'
import type { JobOf } from '../../jobs/messages.ts'
import { log } from '../../log.ts'
import type { ObjectWriter, Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'
import { exportObjectKey } from './exports.ts'
import { EXPORT_RETENTION_DAYS } from './processing-records.ts'

/**
 * One file of the archive: rows of one table (and its joins) for one tenant, read page by page
 * in keyset order so a tenant of any size is never held in memory. Every string here is ours
 * (no caller input reaches the SQL text); the tenant and the keyset values travel as parameters.
 */
type Source = {
  file: string
  /** The table the rows come from (the export's coverage of tenant tables is tested). */
  table: string
  description: string
  /** Select list: never a secret (no password or key hashes, no tokens: those are not in Postgres). */
  columns: string
  from: string
  /** The tenant filter (and, with `scopes`, the scope's): values as parameters. */
  where: (tenantId: string, scope: string | null) => SQL
  key: { column: string; type: string }[]
  /** Read scope by scope (e.g. per connection, to walk an index prefix instead of sorting). */
  scopes?: (tx: Tx, tenantId: string) => Promise<string[]>
}

const SOURCES: Source[] = [
  {
    file: 'tenant.ndjson',
    table: 'tenants',
    description: 'the tenant',
    columns: 'id, slug, name, status, x_collection_enabled, created_at, updated_at',
    from: 'tenants',
    where: (tenantId) => sql`id = ${tenantId}`,
    key: [{ column: 'id', type: 'text' }],
  },
  {
    file: 'licenses.ndjson',
    table: 'licenses',
    description: 'licenses, each with its plan',
    columns: `l.id, l.status, l.valid_from, l.valid_until, l.external_ref, l.created_at, l.updated_at,
      p.code as plan_code, p.name as plan_name, p.modules as plan_modules, p.users_limit,
      p.connections_limit, p.retention_days, p.collection_interval_minutes`,
    from: 'licenses l join plans p on p.id = l.plan_id',
    where: (tenantId) => sql`l.tenant_id = ${tenantId}`,
    key: [
      { column: 'l.created_at', type: 'timestamptz' },
      { column: 'l.id', type: 'text' },
    ],
  },
  {
    file: 'users.ndjson',
    table: 'users',
    description: 'members, without password hashes',
    columns:
      'id, email, name, role, locale, status, password_changed_at, last_login_at, totp_enabled_at, created_at, updated_at',
    from: 'users',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'api_keys.ndjson',
    table: 'api_keys',
    description: 'API keys, without their secret hashes',
    columns: 'id, name, role, last_four, created_by, created_at, last_used_at, revoked_at',
    from: 'api_keys',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'connections.ndjson',
    table: 'connections',
    description: 'connected accounts, without tokens',
    columns: `id, platform, external_account_id, label, display_name, status, token_expires_at,
      has_refresh_token, last_collected_at, next_collect_at, last_error, last_error_at,
      backfill_done_days, backfill_total_days, created_by, created_at, updated_at`,
    from: 'connections',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'metrics.ndjson',
    table: 'metric_points',
    description: 'every metric point, by connection, metric, granularity and day',
    columns: 'connection_id, metric, granularity, period_start, value, collected_at',
    from: 'metric_points',
    // One connection at a time walks the primary key's prefix: no sort of the whole history.
    where: (tenantId, connectionId) => sql`tenant_id = ${tenantId} and connection_id = ${connectionId}`,
    scopes: async (tx, tenantId) =>
      (
        await tx.execute<{ id: string }>(
          sql`select id from connections where tenant_id = ${tenantId} order by id`,
        )
      ).rows.map((row) => row.id),
    key: [
      { column: 'metric', type: 'text' },
      { column: 'granularity', type: 'text' },
      { column: 'period_start', type: 'date' },
    ],
  },
  {
    file: 'collection_runs.ndjson',
    table: 'collection_runs',
    description: 'collection runs (what was collected when, and how it ended)',
    columns: `id, connection_id, kind, status, attempt, range_from, range_to, started_at,
      finished_at, points, api_calls, error, failed_metrics`,
    from: 'collection_runs',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'bigint' }],
  },
  {
    file: 'sessions.ndjson',
    table: 'sessions',
    description: "members' sign-in sessions: when, from which IP and user agent (no session ids)",
    columns: 'user_id, ip, user_agent, created_at, last_seen_at, revoked_at, revoked_reason',
    from: 'sessions',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'webhook_counters.ndjson',
    table: 'meta_webhook_counters',
    description: 'daily counters from platform webhooks (message statuses, comments, mentions)',
    columns: 'platform, account_id, phone_number_id, day, metric, pricing_category, value, updated_at',
    from: 'meta_webhook_counters',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'platform', type: 'text' },
      { column: 'account_id', type: 'text' },
      { column: 'phone_number_id', type: 'text' },
      { column: 'day', type: 'date' },
      { column: 'metric', type: 'text' },
      { column: 'pricing_category', type: 'text' },
    ],
  },
  {
    file: 'webhook_events.ndjson',
    table: 'webhook_events',
    description: 'raw platform webhook events still kept (30 days)',
    columns: 'id, source, object, field, payload, received_at',
    from: 'webhook_events',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'bigint' }],
  },
  {
    file: 'properties.ndjson',
    table: 'properties',
    description: 'rental properties (module calendar), without the iCal export token',
    columns: `id, name, address, timezone, capacity, ical_token_created_at, created_at, updated_at`,
    from: 'properties',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'calendar_sources.ndjson',
    table: 'calendar_sources',
    description: 'iCal feeds of each property, the URL masked (the URL itself is a secret in the vault)',
    columns: `id, property_id, channel, name, url_masked, status, last_synced_at, last_error, last_error_at, created_by,
      created_at, updated_at`,
    from: 'calendar_sources',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'bookings.ndjson',
    table: 'bookings',
    description: 'stays and blocks, from feeds or entered by hand',
    columns: `id, property_id, source_id, uid, guest_name, check_in, check_out, status, summary, notes, created_by,
      created_at, updated_at`,
    from: 'bookings',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'calendar_conflicts.ndjson',
    table: 'calendar_conflicts',
    description: 'overlapping bookings found, open or resolved',
    columns: `id, property_id, booking_a_id, booking_b_id, overlap_start, overlap_end, severity, status,
      detected_at, resolved_at, alerted_at, created_at, updated_at`,
    from: 'calendar_conflicts',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'calendar_sync_runs.ndjson',
    table: 'calendar_sync_runs',
    description: 'calendar feed syncs (when, how they ended, what changed)',
    columns: `id, source_id, kind, status, attempt, started_at, finished_at, http_status, bytes, events, created,
      updated, cancelled, error`,
    from: 'calendar_sync_runs',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'bigint' }],
  },
  {
    file: 'calendar_alert_settings.ndjson',
    table: 'calendar_alert_settings',
    description: 'where conflict alerts go (the bot token is a secret in the vault)',
    columns: `telegram_chat_id, updated_by, created_at, updated_at`,
    from: 'calendar_alert_settings',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'tenant_id', type: 'text' }],
  },
  {
    file: 'customers.ndjson',
    table: 'customers',
    description: 'the tenant’s customers, shared by its modules',
    columns: 'id, name, phone, email, created_at, updated_at',
    from: 'customers',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  // Scheduling
  {
    file: 'scheduling_services.ndjson',
    table: 'scheduling_services',
    description: 'services booked by the hour: duration, buffers, price, capacity',
    columns: `id, name, description, duration_minutes, buffer_before_minutes, buffer_after_minutes, price_cents, currency,
      capacity, min_notice_minutes, horizon_days, slot_interval_minutes, cancel_cutoff_minutes, active, created_at, updated_at`,
    from: 'scheduling_services',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'scheduling_professionals.ndjson',
    table: 'scheduling_professionals',
    description: 'who performs the services, and in which time zone',
    columns: `id, name, user_id, time_zone, active, created_at, updated_at`,
    from: 'scheduling_professionals',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'scheduling_service_professionals.ndjson',
    table: 'scheduling_service_professionals',
    description: 'which professional performs which service',
    columns: `service_id, professional_id`,
    from: 'scheduling_service_professionals',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'service_id', type: 'text' },
      { column: 'professional_id', type: 'text' },
    ],
  },
  {
    file: 'scheduling_plan_intervals.ndjson',
    table: 'scheduling_plan_intervals',
    description: 'weekly working plans and breaks (minutes of the local day)',
    columns: `id, professional_id, weekday, kind, start_minute, end_minute`,
    from: 'scheduling_plan_intervals',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'text' }],
  },
  {
    file: 'scheduling_exceptions.ndjson',
    table: 'scheduling_exceptions',
    description: 'days off and other hours on given dates',
    columns: `id, professional_id, date, kind, start_minute, end_minute, reason, created_at, updated_at`,
    from: 'scheduling_exceptions',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'scheduling_blocked_periods.ndjson',
    table: 'scheduling_blocked_periods',
    description: 'periods the whole business is closed',
    columns: `id, starts_at, ends_at, reason, created_at, updated_at`,
    from: 'scheduling_blocked_periods',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'scheduling_customer_facts.ndjson',
    table: 'scheduling_customer_facts',
    description: 'customers’ consent to reminders, with when and how it was given, and their language',
    columns: `customer_id, reminders_consent, consent_at, consent_source, language, created_at, updated_at`,
    from: 'scheduling_customer_facts',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'customer_id', type: 'text' }],
  },
  {
    file: 'appointments.ndjson',
    table: 'appointments',
    description: 'appointments: service, professional, customer, times, status, source, notes',
    columns: `id, service_id, professional_id, customer_id, starts_at, ends_at, blocked_from, blocked_until, status, source,
      notes, hold_expires_at, price_cents, currency, created_by, cancelled_at, created_at, updated_at`,
    from: 'appointments',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  // Scheduled reports (issue 18): schedules with their recipients, and the run history.
  {
    file: 'report_schedules.ndjson',
    table: 'report_schedules',
    description: 'scheduled PDF reports: scope, timing, period, language, recipients',
    columns: `id, name, connection_ids, platforms, frequency, weekday, month_day, local_time, time_zone, period,
      period_days, comparison, language, recipients, format, hold_for_review, active, next_run_at, created_by,
      created_at, updated_at`,
    from: 'report_schedules',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'report_runs.ndjson',
    table: 'report_runs',
    description:
      'report runs: period, status, reasons held, when rendered and sent (the PDFs are not included)',
    columns: `id, schedule_id, kind, period_start, period_end, requested_by, status, hold_reasons, pages, file_size,
      error, created_at, rendered_at, sent_at`,
    from: 'report_runs',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  // Scheduling reminders (issue 15): the rules, and each appointment's reminders with their message.
  {
    file: 'scheduling_reminder_rules.ndjson',
    table: 'scheduling_reminder_rules',
    description: 'when customers are reminded: minutes before, per service or the default',
    columns: 'id, service_id, minutes_before, created_at',
    from: 'scheduling_reminder_rules',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'scheduling_reminders.ndjson',
    table: 'scheduling_reminders',
    description: 'appointments’ reminders: when due, whether sent (and the outbox message) or skipped',
    columns: 'id, appointment_id, rule_id, due_at, status, channel, message_id, created_at, updated_at',
    from: 'scheduling_reminders',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'scheduling_settings.ndjson',
    table: 'scheduling_settings',
    description: 'scheduling: the WhatsApp template reminders go as',
    columns: 'reminder_template_id, created_at, updated_at',
    from: 'scheduling_settings',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'tenant_id', type: 'text' }],
  },
  {
    file: 'commerce_settings.ndjson',
    table: 'commerce_settings',
    description: 'commerce: storefront origins and the WhatsApp number order updates go from',
    columns: 'storefront_origins, whatsapp_connection_id, whatsapp_phone_number_id, created_at, updated_at',
    from: 'commerce_settings',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'tenant_id', type: 'text' }],
  },
  {
    file: 'commerce_stores.ndjson',
    table: 'commerce_stores',
    description: 'commerce: stores, their address, hours and rules',
    columns:
      'id, name, status, timezone, street, city, state, cep, latitude, longitude, opening_hours, hours_exceptions, preorder_when_closed, pickup, delivery, minimum_order_cents, created_at, updated_at',
    from: 'commerce_stores',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'commerce_categories.ndjson',
    table: 'commerce_categories',
    description: 'commerce: catalog categories',
    columns: 'id, name, position, created_at, updated_at',
    from: 'commerce_categories',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'commerce_products.ndjson',
    table: 'commerce_products',
    description: 'commerce: products and prices (centavos)',
    columns: 'id, category_id, name, description, price_cents, active, created_at, updated_at',
    from: 'commerce_products',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'commerce_option_groups.ndjson',
    table: 'commerce_option_groups',
    description: 'commerce: option groups of products (min/max choices)',
    columns: 'id, product_id, name, min_choices, max_choices, position',
    from: 'commerce_option_groups',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'text' }],
  },
  {
    file: 'commerce_options.ndjson',
    table: 'commerce_options',
    description: 'commerce: options and their price deltas',
    columns: 'id, group_id, name, price_delta_cents, position',
    from: 'commerce_options',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'text' }],
  },
  {
    file: 'commerce_stock.ndjson',
    table: 'commerce_stock',
    description: 'commerce: stock per store and product',
    columns: 'store_id, product_id, available, on_hand, reserved, updated_at',
    from: 'commerce_stock',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'store_id', type: 'text' },
      { column: 'product_id', type: 'text' },
    ],
  },
  {
    file: 'commerce_stock_movements.ndjson',
    table: 'commerce_stock_movements',
    description: 'commerce: every stock movement, with who and why',
    columns: 'id, store_id, product_id, kind, delta, order_id, actor_type, actor_id, reason, created_at',
    from: 'commerce_stock_movements',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'commerce_shipping_bands.ndjson',
    table: 'commerce_shipping_bands',
    description: 'commerce: delivery prices by distance',
    columns: 'id, store_id, max_km, price_cents',
    from: 'commerce_shipping_bands',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'text' }],
  },
  {
    file: 'commerce_addresses.ndjson',
    table: 'commerce_addresses',
    description: 'commerce: customers’ delivery addresses',
    columns:
      'id, customer_id, street, number, complement, district, city, state, cep, latitude, longitude, created_at, updated_at',
    from: 'commerce_addresses',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'commerce_orders.ndjson',
    table: 'commerce_orders',
    description: 'commerce: orders, with the customer’s name and contact as given',
    columns:
      'id, store_id, customer_id, status, fulfilment, customer_name, customer_phone, customer_email, address, subtotal_cents, shipping_cents, discount_cents, total_cents, preorder, notes, payment_due_at, anonymized_at, created_at, updated_at',
    from: 'commerce_orders',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'commerce_order_items.ndjson',
    table: 'commerce_order_items',
    description: 'commerce: items of each order, priced as ordered',
    columns: 'id, order_id, product_id, name, quantity, unit_price_cents, options, line_total_cents',
    from: 'commerce_order_items',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'text' }],
  },
  {
    file: 'commerce_order_events.ndjson',
    table: 'commerce_order_events',
    description: 'commerce: each order’s status history, with who moved it',
    columns: 'id, order_id, from_status, to_status, actor_type, actor_id, reason, created_at',
    from: 'commerce_order_events',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'commerce_payments.ndjson',
    table: 'commerce_payments',
    description: 'commerce: payments of orders at the provider (no card data is ever held)',
    columns:
      'id, order_id, provider, method, status, amount_cents, provider_payment_id, expires_at, created_at, updated_at',
    from: 'commerce_payments',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  // Commerce campaigns and coupons: the rules, which orders they discounted, each customer's uses.
  {
    file: 'commerce_campaigns.ndjson',
    table: 'commerce_campaigns',
    description: 'commerce: campaigns and coupons, their rules, period and budget (centavos or uses)',
    columns:
      'id, name, code, target, kind, value, product_ids, category_ids, minimum_order_cents, starts_at, ends_at, budget_kind, budget_limit, budget_used, per_customer_limit, created_at, updated_at',
    from: 'commerce_campaigns',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'text' }],
  },
  {
    file: 'commerce_campaign_redemptions.ndjson',
    table: 'commerce_campaign_redemptions',
    description:
      'commerce: the discount each campaign gave each order, and whether a cancellation returned it',
    columns: 'id, campaign_id, order_id, customer_id, discount_cents, status, created_at, returned_at',
    from: 'commerce_campaign_redemptions',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'text' }],
  },
  {
    file: 'commerce_campaign_customer_uses.ndjson',
    table: 'commerce_campaign_customer_uses',
    description: 'commerce: how many times each customer used each campaign (its per-customer limit)',
    columns: 'campaign_id, customer_id, uses',
    from: 'commerce_campaign_customer_uses',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'campaign_id', type: 'text' },
      { column: 'customer_id', type: 'text' },
    ],
  },
  {
    file: 'commerce_deliveries.ndjson',
    table: 'commerce_deliveries',
    description: 'commerce: delivery distance and fee of each order',
    columns: 'id, order_id, distance_km, distance_method, fee_cents, created_at',
    from: 'commerce_deliveries',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'commerce_reservations.ndjson',
    table: 'commerce_reservations',
    description: 'commerce: stock held for unpaid orders',
    columns: 'id, order_id, store_id, product_id, quantity, status, expires_at, created_at',
    from: 'commerce_reservations',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'account_tokens.ndjson',
    table: 'account_tokens',
    description: 'password reset links and invitations sent to members (never the link itself)',
    columns: 'id, user_id, purpose, created_by, created_at, expires_at, used_at, revoked_at',
    from: 'account_tokens',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'id', type: 'bigint' }],
  },
  {
    file: 'outbound_messages.ndjson',
    table: 'outbound_messages',
    description: 'messages sent (or tried) by WhatsApp, e-mail and Telegram, with status and errors',
    columns: `id, channel, purpose, recipient, payload, idempotency_key, status, provider_message_id,
      error_code, provider_error_code, error_message, cost_category, attempts, created_at, sent_at, updated_at`,
    from: 'outbound_messages',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  // The attendance module (the WhatsApp inbox).
  ...(
    [
      [
        'attendance_numbers',
        'the WhatsApp numbers of the inbox',
        'id, connection_id, phone_number_id, waba_id, display_number, label, created_at, updated_at',
      ],
      [
        'attendance_contacts',
        'people who wrote on WhatsApp: profile name, WhatsApp id, user id, opt-in',
        'id, contact_key, bsuid, wa_id, profile_name, name, customer_id, opted_in_at, opt_in_source, created_at, updated_at',
      ],
      [
        'attendance_conversations',
        'conversations with their status, assignee and times',
        'id, number_id, contact_id, status, assignee_id, last_inbound_at, last_message_at, waiting_since, opened_at, first_reply_at, resolved_at, snoozed_until, created_at, updated_at',
      ],
      [
        'attendance_messages',
        'messages received and sent, and internal notes',
        'id, conversation_id, direction, type, body, wamid, reply_to, details, outbound_message_id, author_id, sent_at, created_at',
      ],
      [
        'attendance_templates',
        'WhatsApp message templates as synced from Meta',
        'id, waba_id, external_id, name, language, category, status, body, parameters, synced_at, created_at, updated_at',
      ],
      ['attendance_teams', 'teams of the inbox (round-robin assignment)', 'id, name, created_at, updated_at'],
    ] as const
  ).map(
    ([table, description, columns]): Source => ({
      file: `${table}.ndjson`,
      table,
      description,
      columns,
      from: table,
      where: (tenantId) => sql`tenant_id = ${tenantId}`,
      key: [
        { column: 'created_at', type: 'timestamptz' },
        { column: 'id', type: 'text' },
      ],
    }),
  ),
  // Teams' members and members' presence in the inbox (no id of their own).
  {
    file: 'attendance_team_members.ndjson',
    table: 'attendance_team_members',
    description: 'who is in each team of the inbox',
    columns: 'team_id, user_id, created_at',
    from: 'attendance_team_members',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'team_id', type: 'text' },
      { column: 'user_id', type: 'text' },
    ],
  },
  {
    file: 'attendance_agents.ndjson',
    table: 'attendance_agents',
    description: 'members marked away from the inbox',
    columns: 'user_id, away, updated_at',
    from: 'attendance_agents',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'user_id', type: 'text' }],
  },
  {
    // Business hours and the away message (0044): one row per tenant.
    file: 'attendance_settings.ndjson',
    table: 'attendance_settings',
    description: 'the inbox business hours, dates that differ, away message and away switch',
    columns: 'time_zone, weekly, exceptions, away_message, away_now, away_since, updated_at',
    from: 'attendance_settings',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [{ column: 'updated_at', type: 'timestamptz' }],
  },
  {
    file: 'consents.ndjson',
    table: 'consents',
    description: 'consent records, oldest first',
    columns:
      'id, subject, subject_id, purpose, policy_version, granted, actor_id, ip, user_agent, created_at',
    from: 'consents',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
  {
    file: 'audit.ndjson',
    table: 'audit_log',
    description: 'the audit trail, oldest first',
    columns: `id, actor_type, actor_id, action, target_type, target_id, ip, user_agent, request_id,
      data, created_at`,
    from: 'audit_log',
    where: (tenantId) => sql`tenant_id = ${tenantId}`,
    key: [
      { column: 'created_at', type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
  },
]

/** The files an export contains, for the manifest and the README. */
export const EXPORT_FILES = SOURCES.map(({ file, description }) => ({ file, description }))
/** Tables an export reads. */
export const EXPORTED_TABLES: ReadonlySet<string> = new Set(SOURCES.map((source) => source.table))

/**
 * Tenant tables deliberately left out of the archive, and why: none holds data of the tenant
 * that is not already in a file above or that the tenant could use elsewhere. A new tenant table
 * must be exported or listed here (a test enumerates them).
 */
export const NOT_EXPORTED: Readonly<Record<string, string>> = {
  tenant_keys: 'the wrapped data key: key material is never exported',
  vault_edge_copies: 'pointers to sealed secrets in KV; secrets are never exported',
  oauth_states: 'OAuth handshakes in flight for minutes (PKCE verifiers)',
  oauth_selections: 'accounts one login offered, kept minutes until the person picks',
  meta_webhook_settings: 'the version of webhook secrets kept in the vault',
  meta_webhook_seen: 'deduplication claims of event ids, already counted in webhook_counters.ndjson',
  data_exports: 'the exports themselves',
  erasure_requests: 'an open erasure request (ids only)',
  erasure_receipts: 'ids and counts of past erasures; nothing of the tenant',
  commerce_payment_events:
    'webhook delivery ids already applied (deduplication); the payments are in commerce_payments.ndjson',
  attendance_usage:
    'a monthly count of replies sent, against the plan (the messages themselves are exported)',
  // Two-factor sign-in (issue 20): whether a member has it on is in users.ndjson.
  recovery_codes: 'hashes of single-use sign-in codes: credentials are never exported',
  login_challenges: 'second steps of sign-ins in flight for minutes (token hashes)',
}

/** Rows per page (and per transaction). */
export const EXPORT_PAGE_ROWS = 2000
/** Attempts of a `privacy.export` message (wrangler.toml: max_retries 5, plus the first). */
export const EXPORT_MAX_ATTEMPTS = 6

/** One page: each row already as a line of JSON, and the key to continue after (null: done). */
type Page = { lines: string[]; after: string[] | null }

/**
 * One keyset page of a source, after `after` (the previous page's last key, as text). Postgres
 * writes each row's JSON itself (`to_json`): timestamps in ISO 8601, numbers as numbers, arrays
 * and JSON as they are, and no parse-and-stringify round trip in the Worker.
 */
async function readPage(
  tx: Tx,
  source: Source,
  tenantId: string,
  scope: string | null,
  after: string[] | null,
): Promise<Page> {
  const keyList = sql.raw(source.key.map((k) => k.column).join(', '))
  const keyText = sql.raw(source.key.map((k, i) => `(${k.column})::text as "_k${i}"`).join(', '))
  const keyset = after
    ? sql`and (${keyList}) > (${sql.join(
        after.map((value, i) => sql`cast(${value} as ${sql.raw(source.key[i]?.type ?? 'text')})`),
        sql`, `,
      )})`
    : sql``
  const result = await tx.execute<Record<string, string>>(sql`
    select (select to_json(r) from (select ${sql.raw(source.columns)}) r)::text as "_line", ${keyText}
    from ${sql.raw(source.from)}
    where ${source.where(tenantId, scope)} ${keyset} order by ${keyList} limit ${EXPORT_PAGE_ROWS}`)
  const rows = result.rows
  const last = rows.at(-1)
  const next =
    rows.length === EXPORT_PAGE_ROWS && last ? source.key.map((_, i) => String(last[`_k${i}`])) : null
  return { lines: rows.map((row) => row._line as string), after: next }
}

const encoder = new TextEncoder()

/**
 * Streams fflate's zip output into an object writer: fflate emits synchronously, the writer is
 * async, so chunks wait in a queue drained after each push (at most one page's output).
 */
function zipTo(writer: ObjectWriter) {
  const queue: Uint8Array[] = []
  let failure: Error | null = null
  const zip = new Zip((error, chunk) => {
    if (error) failure = error
    else queue.push(chunk)
  })
  const drain = async () => {
    if (failure) throw failure
    for (let chunk = queue.shift(); chunk; chunk = queue.shift()) await writer.write(chunk)
  }
  return { zip, drain }
}

/**
 * Builds the archive of one export: for each source, pages read in the tenant's own transaction
 * (row-level security applies: nothing of another tenant can be read), each page's progress
 * recorded in the same transaction, its NDJSON deflated into the zip and written out in parts.
 * A redelivered message starts the archive over (same object key); a completed one is left alone.
 */
export async function buildExport(
  job: JobOf<'privacy.export'>,
  services: Services,
  delivery: { attempts: number },
): Promise<void> {
  const { db } = services
  const { tenantId, exportId } = job
  const now = new Date()
  const exportRow = and(eq(dataExports.id, exportId), eq(dataExports.tenantId, tenantId))
  // Erasure stops the tenant (status `deleted`) before it lists the tenant's archives: an export
  // that starts or finishes after that writes nothing that would outlive the erasure.
  const tenantActive = sql`exists (select 1 from tenants t where t.id = ${tenantId} and t.status = 'active')`
  const progress: ExportProgress = { doneFiles: 0, totalFiles: SOURCES.length + 1, rows: {} }
  const started = await db.transaction(
    async (tx) => {
      const [row] = await tx
        .update(dataExports)
        .set({
          status: 'running',
          startedAt: now,
          attempts: sql`${dataExports.attempts} + 1`,
          progress,
          error: null,
        })
        .where(and(exportRow, sql`${dataExports.status} in ('queued', 'running', 'failed')`, tenantActive))
        .returning({ id: dataExports.id })
      return Boolean(row)
    },
    { tenantId },
  )
  const objectKey = exportObjectKey(tenantId, exportId)
  if (!started) {
    // A tenant being erased gets no new archive; an earlier attempt's object must not outlive it.
    await services.exports.delete([objectKey])
    log('info', 'export skipped: unknown, completed, or tenant not active', {
      export_id: exportId,
      tenant_id: tenantId,
    })
    return
  }

  const writer = await services.exports.create(objectKey, { contentType: 'application/zip' })
  try {
    const { zip, drain } = zipTo(writer)
    for (const source of SOURCES) {
      const file = new ZipDeflate(source.file, { level: 6 })
      file.mtime = now
      zip.add(file)
      progress.rows[source.file] = 0
      const listScopes = source.scopes
      const scopes: (string | null)[] = listScopes
        ? await db.transaction((tx) => listScopes(tx, tenantId), { tenantId })
        : [null]
      for (const scope of scopes) {
        let after: string[] | null = null
        do {
          const page: Page = await db.transaction(
            async (tx) => {
              const read = await readPage(tx, source, tenantId, scope, after)
              progress.rows[source.file] = (progress.rows[source.file] ?? 0) + read.lines.length
              await tx.update(dataExports).set({ progress }).where(exportRow)
              return read
            },
            { tenantId },
          )
          if (page.lines.length > 0) file.push(encoder.encode(`${page.lines.join('\n')}\n`))
          await drain()
          after = page.after
        } while (after)
      }
      file.push(new Uint8Array(0), true)
      await drain()
      progress.doneFiles++
    }
    const manifest = new ZipPassThrough('manifest.json')
    manifest.mtime = now
    zip.add(manifest)
    manifest.push(
      encoder.encode(
        JSON.stringify(
          {
            format: 'integra-export/1',
            export_id: exportId,
            tenant_id: tenantId,
            generated_at: now.toISOString(),
            files: EXPORT_FILES.map((f) => ({ ...f, rows: progress.rows[f.file] ?? 0 })),
          },
          null,
          2,
        ),
      ),
      true,
    )
    zip.end()
    await drain()
    progress.doneFiles++
    const { size } = await writer.close()
    const completed = await db.transaction(
      async (tx) => {
        const [row] = await tx
          .update(dataExports)
          .set({
            status: 'completed',
            progress,
            objectKey,
            sizeBytes: size,
            completedAt: new Date(),
            expiresAt: new Date(Date.now() + EXPORT_RETENTION_DAYS * 86_400_000),
          })
          .where(and(exportRow, tenantActive))
          .returning({ id: dataExports.id })
        if (!row) return false
        await writeAudit(tx, { type: 'system', id: null }, null, {
          action: 'export.completed',
          tenantId,
          target: { type: 'export', id: exportId },
          data: { size_bytes: size, rows: progress.rows },
        })
        return true
      },
      { tenantId },
    )
    if (!completed) {
      // The tenant's erasure started meanwhile (it lists archives only after stopping the tenant).
      await services.exports.delete([objectKey])
      log('info', 'export discarded: tenant no longer active', { export_id: exportId, tenant_id: tenantId })
      return
    }
    log('info', 'export completed', { export_id: exportId, tenant_id: tenantId, size_bytes: size })
  } catch (error) {
    await writer.abort().catch(() => undefined)
    const final = delivery.attempts >= EXPORT_MAX_ATTEMPTS
    // The message names the failure for the tenant; details stay in the log (consumer).
    await db
      .transaction(
        (tx) =>
          tx
            .update(dataExports)
            .set({
              status: final ? 'failed' : 'queued',
              error: final ? 'The export could not be built; request a new one.' : 'Retrying after an error.',
            })
            .where(exportRow),
        { tenantId },
      )
      .catch(() => undefined)
    throw error
  }
}
