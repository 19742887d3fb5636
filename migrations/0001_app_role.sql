-- The Worker connects as integra_app: it owns nothing and has no BYPASSRLS, so row-level
-- security always applies to it. Migrations run as the owner, which keeps DDL rights.
-- The role is created NOLOGIN; each environment enables login with its own password
-- (ALTER ROLE integra_app LOGIN PASSWORD '...'), never stored here.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'integra_app') THEN
    CREATE ROLE integra_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO integra_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO integra_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO integra_app;
--> statement-breakpoint
-- Tables and sequences created by later migrations (run by this same owner) get the same rights.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO integra_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO integra_app;
