-- Attendance teams and round-robin assignment (docs/attendance.md, "Teams and round-robin").
-- A team is a group of members who answer; a number may belong to one team, and a new
-- conversation on it goes to the team's next available member. `rr_next` is the rotation's
-- counter: the inbound job bumps it in the same statement that assigns, so concurrent new
-- conversations each take their own turn (the row lock serialises the bumps).
CREATE TABLE "attendance_teams" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"name" text NOT NULL,
	"rr_next" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "attendance_teams_name_key" ON "attendance_teams" ("tenant_id", lower("name"));
--> statement-breakpoint
CREATE TABLE "attendance_team_members" (
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"team_id" text NOT NULL REFERENCES "attendance_teams"("id") ON DELETE CASCADE,
	"user_id" text NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	PRIMARY KEY ("team_id", "user_id")
);
--> statement-breakpoint
CREATE INDEX "attendance_team_members_tenant_idx" ON "attendance_team_members" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "attendance_team_members_user_idx" ON "attendance_team_members" ("user_id");
--> statement-breakpoint
-- A member's presence in the inbox: an agent marked away is skipped by the rotation.
CREATE TABLE "attendance_agents" (
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"user_id" text PRIMARY KEY NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"away" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "attendance_agents_tenant_idx" ON "attendance_agents" ("tenant_id");
--> statement-breakpoint
ALTER TABLE "attendance_numbers" ADD COLUMN "team_id" text REFERENCES "attendance_teams"("id") ON DELETE SET NULL;
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_teams');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_team_members');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_agents');
