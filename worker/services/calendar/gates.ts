import { sql } from 'drizzle-orm'
import { tenantHasModuleSql } from '../licensing.ts'

/** How often an active source is read. Conditional requests make an unchanged feed cost a 304. */
export const SYNC_INTERVAL_MINUTES = 30

/**
 * When a calendar source may be synced, as one SQL predicate over a `calendar_sources s` row,
 * shared by the cron fan-out and the consumer (which re-checks it): the source is active, its
 * tenant is active, and the tenant's current license is usable and includes `calendar`
 * (`tenant_has_module`, the one spelling of that rule).
 */
export const syncableSql = (now: Date) => sql`
  s.status = 'active'
  and exists (select 1 from tenants t where t.id = s.tenant_id and t.status = 'active')
  and ${tenantHasModuleSql(sql`s.tenant_id`, 'calendar', now)}`
