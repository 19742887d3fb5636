-- The tenant's current license and plan modules, for the request's first statement: it runs in
-- the same statement that sets app.tenant_id, so it must not depend on row-level security having
-- seen that setting yet. Returns only what module gating needs, for the tenant the caller names
-- (the service runner passes the tenant of the verified principal).
CREATE OR REPLACE FUNCTION auth_entitlement(p_tenant text)
RETURNS TABLE (status text, valid_from timestamptz, valid_until timestamptz, modules text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public SET app.operator = 'on' AS $$
  SELECT l.status, l.valid_from, l.valid_until, p.modules
  FROM licenses l JOIN plans p ON p.id = l.plan_id
  WHERE l.tenant_id = p_tenant
  ORDER BY l.created_at DESC
  LIMIT 1
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION auth_entitlement(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_entitlement(text) TO integra_app;
