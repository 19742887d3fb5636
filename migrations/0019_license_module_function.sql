-- "A usable license that includes module M", spelled once: every gate (the request runner, the
-- collection and calendar fan-outs and their consumers, the calendar export) reads these
-- functions instead of its own copy of the rule.

-- A license is usable while it is trialing or active and `p_at` is inside [valid_from, valid_until).
-- Pure and inlinable, so it also serves as a filter over license rows.
CREATE OR REPLACE FUNCTION license_usable(
  p_status text, p_valid_from timestamptz, p_valid_until timestamptz, p_at timestamptz
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_status IN ('trialing', 'active') AND p_valid_from <= p_at AND p_valid_until > p_at
$$;
--> statement-breakpoint
-- auth_entitlement() is the one reading of "the tenant's current license" (the latest created).
-- It now also names the license and its plan, for the readers that need more of the plan than
-- its modules (retention days, collection interval). The return type changes, hence drop + create.
DROP FUNCTION auth_entitlement(text);
--> statement-breakpoint
CREATE FUNCTION auth_entitlement(p_tenant text)
RETURNS TABLE (
  status text, valid_from timestamptz, valid_until timestamptz, modules text[], license_id text, plan_id text
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public SET app.operator = 'on' AS $$
  SELECT l.status, l.valid_from, l.valid_until, p.modules, l.id, p.id
  FROM licenses l JOIN plans p ON p.id = l.plan_id
  WHERE l.tenant_id = p_tenant
  ORDER BY l.created_at DESC
  LIMIT 1
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION auth_entitlement(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_entitlement(text) TO integra_app;
--> statement-breakpoint
-- The modules the tenant may use at `p_at`: its current license's plan modules while that license
-- is usable; NULL when there is no usable license (so a caller can tell "license inactive" from
-- "plan without the module"). Like auth_entitlement(), independent of app.tenant_id, so it can
-- run in the statement that sets it.
CREATE OR REPLACE FUNCTION tenant_modules(p_tenant text, p_at timestamptz)
RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT e.modules FROM auth_entitlement(p_tenant) e
  WHERE license_usable(e.status, e.valid_from, e.valid_until, p_at)
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION tenant_modules(text, timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION tenant_modules(text, timestamptz) TO integra_app;
--> statement-breakpoint
-- The gate: the tenant's current license is usable at `p_at` and its plan includes `p_module`.
CREATE OR REPLACE FUNCTION tenant_has_module(p_tenant text, p_module text, p_at timestamptz)
RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(p_module = ANY (tenant_modules(p_tenant, p_at)), false)
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION tenant_has_module(text, text, timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION tenant_has_module(text, text, timestamptz) TO integra_app;
