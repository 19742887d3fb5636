-- Row-level security for the calendar module (see 0003 for the policy).
SELECT integra_enable_tenant_rls('properties');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('calendar_sources');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('bookings');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('calendar_conflicts');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('calendar_sync_runs');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('calendar_alert_settings');
--> statement-breakpoint
-- The public iCal export (GET /ical/<token>.ics) knows only its token, not the tenant: like the
-- login and API-key lookups, one SECURITY DEFINER function returns exactly what it needs for the
-- SHA-256 of a token, and nothing else of the table.
CREATE OR REPLACE FUNCTION calendar_find_export(p_token_hash text)
RETURNS TABLE (property_id text, tenant_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public SET app.operator = 'on' AS $$
  SELECT id, tenant_id FROM properties WHERE ical_token_hash = p_token_hash
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION calendar_find_export(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION calendar_find_export(text) TO integra_app;
