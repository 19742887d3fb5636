-- Accounts (issue 20): password recovery by e-mail, invitations by e-mail, and a forced password
-- change after someone else set the password. Hand-written (docs/security.md, "Account recovery").
--
-- users.status gains 'invited' (no CHECK constraint: the values live in db/schema/identity.ts): an
-- invited member is a users row with an unusable password until the invitation is accepted, so
-- e-mail uniqueness, seats and the team listing need nothing new.
ALTER TABLE "users" ADD COLUMN "must_change_password" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
-- What a session may do before its person has done something first ('password_change'); null: anything.
ALTER TABLE "sessions" ADD COLUMN "restriction" text;
--> statement-breakpoint
-- Single-use tokens sent by e-mail (a password reset, an invitation): only the SHA-256 of the
-- token is stored. A newer token of the same purpose for the same person revokes the older ones.
CREATE TABLE "account_tokens" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"purpose" text NOT NULL,
	"token_hash" text NOT NULL,
	-- The request (or job) that issued it: a redelivered job issues nothing twice.
	"request_key" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "account_tokens_purpose" CHECK (purpose in ('password_reset', 'invitation'))
);
--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_tokens_token_hash_key" ON "account_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "account_tokens_request_key" ON "account_tokens" USING btree ("tenant_id","request_key");--> statement-breakpoint
CREATE INDEX "account_tokens_tenant_id_idx" ON "account_tokens" USING btree ("tenant_id","user_id");--> statement-breakpoint
SELECT integra_enable_tenant_rls('account_tokens');
--> statement-breakpoint
-- Requests for a reset link, for the rate limit (per hashed e-mail and per client IP), like
-- login_attempts: no address is kept, and no tenant is known when they arrive.
CREATE TABLE "password_reset_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account_key" text NOT NULL,
	"ip" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "password_reset_requests_account_idx" ON "password_reset_requests" USING btree ("account_key","created_at");--> statement-breakpoint
CREATE INDEX "password_reset_requests_ip_idx" ON "password_reset_requests" USING btree ("ip","created_at");--> statement-breakpoint
-- The pre-authentication lookup of a token: its holder knows the token, not the tenant.
CREATE OR REPLACE FUNCTION auth_find_account_token(p_token_hash text)
RETURNS TABLE (id bigint, tenant_id text, user_id text, purpose text, expires_at timestamptz, used_at timestamptz, revoked_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public SET app.operator = 'on' AS $$
  SELECT id, tenant_id, user_id, purpose, expires_at, used_at, revoked_at FROM account_tokens WHERE token_hash = p_token_hash
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION auth_find_account_token(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_find_account_token(text) TO integra_app;
