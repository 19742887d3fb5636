-- Row-level security for the OAuth connect tables (see 0003 for the policy).
SELECT integra_enable_tenant_rls('oauth_states');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('oauth_selections');
