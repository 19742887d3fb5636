-- Scheduled metrics reports (docs/reports.md): schedules and their runs, one scheduled run per
-- (schedule, period start) so a doubled cron tick makes one.
CREATE TABLE "report_schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"name" text NOT NULL,
	"connection_ids" text[],
	"platforms" text[],
	"frequency" text NOT NULL CHECK ("frequency" IN ('weekly', 'monthly')),
	"weekday" smallint,
	"month_day" smallint,
	"local_time" text NOT NULL,
	"time_zone" text NOT NULL,
	"period" text NOT NULL CHECK ("period" IN ('previous_week', 'previous_month', 'last_n_days')),
	"period_days" smallint,
	"comparison" text DEFAULT 'previous_period' NOT NULL CHECK ("comparison" IN ('previous_period', 'previous_year')),
	"language" text DEFAULT 'pt-BR' NOT NULL CHECK ("language" IN ('pt-BR', 'en')),
	"recipients" text[] NOT NULL,
	"format" text DEFAULT 'attachment' NOT NULL CHECK ("format" IN ('attachment', 'link')),
	"hold_for_review" boolean DEFAULT false NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"next_run_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL REFERENCES "users"("id"),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "report_schedules_weekday" CHECK ("weekday" between 1 and 7),
	CONSTRAINT "report_schedules_month_day" CHECK ("month_day" between 1 and 28),
	CONSTRAINT "report_schedules_period_days" CHECK ("period_days" between 1 and 366),
	CONSTRAINT "report_schedules_when" CHECK (("frequency" = 'weekly') = ("weekday" IS NOT NULL)
		AND ("frequency" = 'monthly') = ("month_day" IS NOT NULL)),
	CONSTRAINT "report_schedules_days" CHECK (("period" = 'last_n_days') = ("period_days" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX "report_schedules_tenant_id_idx" ON "report_schedules" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "report_schedules_due_idx" ON "report_schedules" ("next_run_at") WHERE "active";
--> statement-breakpoint
CREATE TABLE "report_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"schedule_id" text NOT NULL REFERENCES "report_schedules"("id") ON DELETE CASCADE,
	"kind" text DEFAULT 'scheduled' NOT NULL CHECK ("kind" IN ('scheduled', 'preview')),
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"requested_by" text REFERENCES "users"("id"),
	"status" text DEFAULT 'queued' NOT NULL
		CHECK ("status" IN ('queued', 'rendering', 'held', 'sent', 'skipped', 'failed')),
	"attempts" integer DEFAULT 0 NOT NULL,
	"claimed_at" timestamp with time zone,
	"hold_reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"file_key" text,
	"file_size" integer,
	"pages" integer,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rendered_at" timestamp with time zone,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "report_runs_tenant_id_idx" ON "report_runs" ("tenant_id", "created_at");
--> statement-breakpoint
CREATE INDEX "report_runs_schedule_idx" ON "report_runs" ("schedule_id", "created_at");
--> statement-breakpoint
CREATE UNIQUE INDEX "report_runs_period_key" ON "report_runs" ("schedule_id", "period_start") WHERE "kind" = 'scheduled';
--> statement-breakpoint
SELECT integra_enable_tenant_rls('report_schedules');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('report_runs');
