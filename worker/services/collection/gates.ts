import { sql } from 'drizzle-orm'

/**
 * The conditions under which a connection may be collected, as one SQL predicate over a
 * `connections c` row, shared by the cron fan-out and the consumer so both gates are the same:
 * active tenant (with X switched on, for X), a usable license whose plan has `metrics`, consent for `metrics_collection`
 * granted for the connection and not revoked for the tenant (the latest record wins).
 */
export const collectableSql = (now: Date) => sql`
  c.status = 'active'
  and exists (select 1 from tenants t where t.id = c.tenant_id and t.status = 'active'
    and (c.platform <> 'x' or t.x_collection_enabled))
  and exists (
    select 1 from (
      select l.status, l.valid_from, l.valid_until, l.plan_id from licenses l
      where l.tenant_id = c.tenant_id order by l.created_at desc limit 1
    ) cur join plans p on p.id = cur.plan_id
    where cur.status in ('trialing', 'active') and cur.valid_from <= ${now} and cur.valid_until > ${now}
      and 'metrics' = any(p.modules)
  )
  and coalesce((select k.granted from consents k where k.tenant_id = c.tenant_id and k.subject = 'connection'
      and k.subject_id = c.id and k.purpose = 'metrics_collection' order by k.created_at desc limit 1), false)
  and coalesce((select k.granted from consents k where k.tenant_id = c.tenant_id and k.subject = 'tenant'
      and k.subject_id = c.tenant_id and k.purpose = 'metrics_collection' order by k.created_at desc limit 1), true)`

/** The plan's collection interval for the connection's tenant (minutes). */
export const intervalMinutesSql = sql`(
  select p.collection_interval_minutes from licenses l join plans p on p.id = l.plan_id
  where l.tenant_id = c.tenant_id order by l.created_at desc limit 1)`
