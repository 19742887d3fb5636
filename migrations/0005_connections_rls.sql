-- Row-level security for the collection tables (see 0003 for the policy).
SELECT integra_enable_tenant_rls('tenant_keys');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('connections');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('consents');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('metric_points');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('collection_runs');
--> statement-breakpoint
-- Consent records are immutable: the application role may add, never change or remove them
-- (erasure runs as the owner).
REVOKE UPDATE, DELETE ON consents FROM integra_app;
