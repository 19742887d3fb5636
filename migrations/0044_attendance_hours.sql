-- Business hours and the away message of the attendance inbox (docs/attendance.md, "Business
-- hours and the away message"). One row per tenant: the weekly hours and dated exceptions in the
-- tenant's zone, the text sent to a customer who writes while the business is closed, and the
-- "away now" switch. The away message is an outbox row whose idempotency key names the
-- conversation and the closed period, so it leaves at most once per conversation and period.
CREATE TABLE "attendance_settings" (
	"tenant_id" text PRIMARY KEY NOT NULL REFERENCES "tenants"("id"),
	"time_zone" text DEFAULT 'America/Sao_Paulo' NOT NULL,
	"weekly" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"exceptions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"away_message" text,
	"away_now" boolean DEFAULT false NOT NULL,
	"away_since" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attendance_settings_away_since" CHECK (NOT "away_now" OR "away_since" IS NOT NULL)
);
--> statement-breakpoint
-- A team may keep its members without handing them conversations in turn.
ALTER TABLE "attendance_teams" ADD COLUMN "round_robin" boolean DEFAULT true NOT NULL;
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_settings');
