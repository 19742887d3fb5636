import { sql } from 'drizzle-orm'
import { tenantHasModuleSql } from '../licensing.ts'

/**
 * The conditions under which a connection may be collected, as one SQL predicate over a
 * `connections c` row, shared by the cron fan-out and the consumer so both gates are the same:
 * active tenant (with X switched on, for X), no erasure of the connection scheduled (paused by it,
 * and not collected even if resumed meanwhile), a usable license whose plan has `metrics`
 * (`tenant_has_module`, the one spelling of that rule), consent for `metrics_collection`
 * granted for the connection and not revoked for the tenant (the latest record wins).
 */
export const collectableSql = (now: Date) => sql`
  c.status = 'active'
  and exists (select 1 from tenants t where t.id = c.tenant_id and t.status = 'active'
    and (c.platform <> 'x' or t.x_collection_enabled))
  and not exists (select 1 from erasure_requests r where r.tenant_id = c.tenant_id and r.subject_id = c.id
    and r.status in ('scheduled', 'erasing'))
  and ${tenantHasModuleSql(sql`c.tenant_id`, 'metrics', now)}
  and coalesce((select k.granted from consents k where k.tenant_id = c.tenant_id and k.subject = 'connection'
      and k.subject_id = c.id and k.purpose = 'metrics_collection' order by k.created_at desc limit 1), false)
  and coalesce((select k.granted from consents k where k.tenant_id = c.tenant_id and k.subject = 'tenant'
      and k.subject_id = c.tenant_id and k.purpose = 'metrics_collection' order by k.created_at desc limit 1), true)`

/** The collection interval (minutes) of the plan of the connection's tenant's current license. */
export const intervalMinutesSql = sql`(
  select p.collection_interval_minutes from auth_entitlement(c.tenant_id) e join plans p on p.id = e.plan_id)`
