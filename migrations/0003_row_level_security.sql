-- Row-level security: the second lock behind every query's tenant filter.
--
-- Each request's transaction runs `select set_config('app.tenant_id', <tenant>, true)`;
-- policies compare tenant_id with it. With nothing set, current_setting(..., true) is NULL and
-- no row matches. Operators reach tenant rows only through transactions that set
-- `app.operator = on` (DbHandle.transaction({ operator: true })), which the operator services
-- open after checking the operator principal and which write an audit row.
--
-- FORCE makes the policies apply to the table owner too (Neon's owner role is not a superuser).

CREATE OR REPLACE FUNCTION integra_enable_tenant_rls(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', target);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s
       USING (tenant_id = current_setting(''app.tenant_id'', true)
              OR current_setting(''app.operator'', true) = ''on'')
       WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true)
              OR current_setting(''app.operator'', true) = ''on'')',
    target);
END
$$;
--> statement-breakpoint
SELECT integra_enable_tenant_rls('licenses');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('users');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('api_keys');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('audit_log');
--> statement-breakpoint
-- Audit rows without a tenant (operator actions, failed logins for unknown accounts) may be
-- written by anyone but read only by operators: a second, insert-only policy.
CREATE POLICY audit_untenanted_insert ON audit_log FOR INSERT WITH CHECK (tenant_id IS NULL);
--> statement-breakpoint
-- The explicit pre-authentication lookups: login knows an e-mail, an API key knows its id, and
-- neither knows the tenant yet. SECURITY DEFINER + a function-local app.operator lets exactly
-- these columns through; the application role cannot read the tables otherwise.
CREATE OR REPLACE FUNCTION auth_find_member(p_email text)
RETURNS TABLE (id text, tenant_id text, role text, status text, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public SET app.operator = 'on' AS $$
  SELECT id, tenant_id, role, status, password_hash FROM users WHERE lower(email) = lower(p_email)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION auth_find_api_key(p_id text)
RETURNS TABLE (id text, tenant_id text, role text, secret_hash text, revoked_at timestamptz, last_used_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public SET app.operator = 'on' AS $$
  SELECT id, tenant_id, role, secret_hash, revoked_at, last_used_at FROM api_keys WHERE id = p_id
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION auth_find_member(text), auth_find_api_key(text), integra_enable_tenant_rls(regclass) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_find_member(text), auth_find_api_key(text) TO integra_app;
