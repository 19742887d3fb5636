-- Row-level security for the scheduling module (see 0003 for the policy).
SELECT integra_enable_tenant_rls('scheduling_services');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('scheduling_professionals');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('scheduling_service_professionals');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('scheduling_plan_intervals');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('scheduling_exceptions');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('scheduling_blocked_periods');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('scheduling_customer_facts');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('appointments');
