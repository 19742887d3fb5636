-- Two-factor sign-in (issue 20): TOTP (RFC 6238) with recovery codes. Hand-written
-- (docs/security.md, "Two-factor sign-in").
--
-- The TOTP secret is a column of the person's row, but only as ciphertext sealed by the vault
-- (worker/vault/vault.ts, `sealRow`): members' under their tenant's data key (crypto-shredded with
-- the tenant), operators' under a key derived from the master key. It lives beside the row rather
-- than in KV so sign-in reads it in the same transaction that checks the password, with no KV lag.
-- A secret without totp_enabled_at is an enrolment not yet confirmed with a code.
ALTER TABLE "users" ADD COLUMN "totp_secret" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "totp_enabled_at" timestamp with time zone;--> statement-breakpoint
-- The 30-second step of the last code accepted: that step and earlier ones are refused (no replay).
ALTER TABLE "users" ADD COLUMN "totp_last_step" bigint;--> statement-breakpoint
ALTER TABLE "operators" ADD COLUMN "totp_secret" text;--> statement-breakpoint
ALTER TABLE "operators" ADD COLUMN "totp_enabled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "operators" ADD COLUMN "totp_last_step" bigint;--> statement-breakpoint
-- The owner's switch: every member must sign in with a second factor (those without one enrol first).
ALTER TABLE "tenants" ADD COLUMN "require_totp" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
-- Ten single-use recovery codes per person, stored as SHA-256 (they are 50 random bits, not
-- passwords). Operators' rows have no tenant: the tenant policy lets only operators read them.
CREATE TABLE "recovery_codes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text,
	"user_id" text NOT NULL,
	"code_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "recovery_codes" ADD CONSTRAINT "recovery_codes_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "recovery_codes_user_code_key" ON "recovery_codes" USING btree ("user_id","code_hash");--> statement-breakpoint
CREATE INDEX "recovery_codes_tenant_id_idx" ON "recovery_codes" USING btree ("tenant_id");--> statement-breakpoint
SELECT integra_enable_tenant_rls('recovery_codes');
--> statement-breakpoint
-- The second step of a sign-in: a password was right and a code is owed. Authentication state
-- looked up by its token before any tenant is known, like sessions: not under row-level security,
-- every query filters by the token's hash. Short-lived, single use, a few wrong codes burn it.
CREATE TABLE "login_challenges" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"principal" text NOT NULL,
	"user_id" text NOT NULL,
	"tenant_id" text,
	-- The login rate limit's key (hash of the e-mail): wrong codes count as failed sign-ins.
	"account_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "login_challenges_principal" CHECK (principal in ('operator', 'member'))
);
--> statement-breakpoint
ALTER TABLE "login_challenges" ADD CONSTRAINT "login_challenges_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "login_challenges_token_hash_key" ON "login_challenges" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "login_challenges_user_id_idx" ON "login_challenges" USING btree ("user_id");
