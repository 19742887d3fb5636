-- Issue 19, goal 4: the dashboard's two statements (KPI summary and charts) read a few metrics
-- of one tenant over a period. Through metric_points_tenant_id_idx (tenant_id, period_start) they
-- visited every metric of every day in the range and the heap for each row; this index finds
-- exactly the metrics asked for and carries the columns those statements aggregate, so both run
-- as index-only scans. metric_points_tenant_id_idx stays: the keyset pages of the points list and
-- the export read the tenant's points in period order, all metrics together, and the retention
-- purge and the metrics read without a metric filter use it. drizzle cannot declare INCLUDE
-- (db/schema/metrics.ts declares the key columns).
CREATE INDEX "metric_points_tenant_metric_idx" ON "metric_points" USING btree ("tenant_id","metric","period_start") INCLUDE ("connection_id","granularity","value");
