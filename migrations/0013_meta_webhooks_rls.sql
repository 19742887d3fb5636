-- Row-level security for the Meta webhook tables and the vault's edge copies (see 0003 for the
-- policy). The webhook endpoint itself never touches these: it reads KV only.
SELECT integra_enable_tenant_rls('meta_webhook_settings');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('vault_edge_copies');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('meta_webhook_seen');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('meta_webhook_counters');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('webhook_events');
--> statement-breakpoint
-- Dedupe claims are facts, never edited: the application role adds them and never changes them
-- (the retention purge runs as the owner).
REVOKE UPDATE ON meta_webhook_seen FROM integra_app;
