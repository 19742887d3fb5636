-- Row-level security for campaigns (see 0003 for the policy): every table is the tenant's.
SELECT integra_enable_tenant_rls('commerce_campaigns');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('commerce_campaign_redemptions');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('commerce_campaign_customer_uses');
