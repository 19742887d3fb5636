-- The scheduling module (issue 15): services, professionals and their weekly plans, date
-- exceptions, business-wide blocked periods, scheduling's facts about shared customers, and
-- appointments that Postgres refuses to double-book (db/schema/scheduling.ts, docs/scheduling.md).
-- Hand-written: the exclusion constraint cannot be declared in drizzle.
--
-- btree_gist lets a GiST index compare plain columns with = and <> beside the range's &&. The
-- migration runs as the owner role, which may create it (on Neon too: btree_gist is on its list of
-- extensions the database owner may create); the application role only uses the constraint.
CREATE EXTENSION IF NOT EXISTS btree_gist;
--> statement-breakpoint
CREATE TABLE "scheduling_services" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"duration_minutes" integer NOT NULL,
	"buffer_before_minutes" integer DEFAULT 0 NOT NULL,
	"buffer_after_minutes" integer DEFAULT 0 NOT NULL,
	"price_cents" integer DEFAULT 0 NOT NULL,
	"currency" text DEFAULT 'BRL' NOT NULL,
	"capacity" integer DEFAULT 1 NOT NULL,
	"min_notice_minutes" integer DEFAULT 60 NOT NULL,
	"horizon_days" integer DEFAULT 60 NOT NULL,
	"slot_interval_minutes" integer DEFAULT 30 NOT NULL,
	"cancel_cutoff_minutes" integer DEFAULT 120 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scheduling_services_duration" CHECK ("scheduling_services"."duration_minutes" between 5 and 720),
	CONSTRAINT "scheduling_services_capacity" CHECK ("scheduling_services"."capacity" between 1 and 500)
);
--> statement-breakpoint
CREATE TABLE "scheduling_professionals" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"user_id" text,
	"time_zone" text DEFAULT 'America/Sao_Paulo' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduling_service_professionals" (
	"tenant_id" text NOT NULL,
	"service_id" text NOT NULL,
	"professional_id" text NOT NULL,
	CONSTRAINT "scheduling_service_professionals_service_id_professional_id_pk" PRIMARY KEY("service_id","professional_id")
);
--> statement-breakpoint
CREATE TABLE "scheduling_plan_intervals" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"professional_id" text NOT NULL,
	"weekday" smallint NOT NULL,
	"kind" text NOT NULL,
	"start_minute" integer NOT NULL,
	"end_minute" integer NOT NULL,
	CONSTRAINT "scheduling_plan_intervals_weekday" CHECK ("scheduling_plan_intervals"."weekday" between 0 and 6),
	CONSTRAINT "scheduling_plan_intervals_minutes" CHECK ("scheduling_plan_intervals"."start_minute" >= 0 and "scheduling_plan_intervals"."end_minute" <= 1440 and "scheduling_plan_intervals"."end_minute" > "scheduling_plan_intervals"."start_minute")
);
--> statement-breakpoint
CREATE TABLE "scheduling_exceptions" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"professional_id" text NOT NULL,
	"date" date NOT NULL,
	"kind" text NOT NULL,
	"start_minute" integer,
	"end_minute" integer,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scheduling_exceptions_hours" CHECK (("scheduling_exceptions"."kind" = 'off' and "scheduling_exceptions"."start_minute" is null and "scheduling_exceptions"."end_minute" is null)
        or ("scheduling_exceptions"."kind" = 'hours' and "scheduling_exceptions"."start_minute" >= 0 and "scheduling_exceptions"."end_minute" <= 1440 and "scheduling_exceptions"."end_minute" > "scheduling_exceptions"."start_minute"))
);
--> statement-breakpoint
CREATE TABLE "scheduling_blocked_periods" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scheduling_blocked_periods_order" CHECK ("scheduling_blocked_periods"."ends_at" > "scheduling_blocked_periods"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "scheduling_customer_facts" (
	"customer_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"reminders_consent" boolean DEFAULT false NOT NULL,
	"consent_at" timestamp with time zone,
	"consent_source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "appointments" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"service_id" text NOT NULL,
	"professional_id" text NOT NULL,
	"customer_id" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"blocked_from" timestamp with time zone NOT NULL,
	"blocked_until" timestamp with time zone NOT NULL,
	"slot_key" text NOT NULL,
	"status" text NOT NULL,
	"source" text NOT NULL,
	"notes" text,
	"hold_expires_at" timestamp with time zone,
	"hold_visitor" text,
	"price_cents" integer DEFAULT 0 NOT NULL,
	"currency" text DEFAULT 'BRL' NOT NULL,
	"created_by" text,
	"cancelled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "appointments_order" CHECK ("appointments"."ends_at" > "appointments"."starts_at"),
	CONSTRAINT "appointments_blocked" CHECK ("appointments"."blocked_from" <= "appointments"."starts_at" and "appointments"."blocked_until" >= "appointments"."ends_at"),
	-- The no-double-booking guarantee. Two live (pending or confirmed) appointments of one
	-- professional whose blocked ranges overlap ('[)': back to back is no overlap) are refused with
	-- SQLSTATE 23P01, also between concurrent transactions (the second waits for the first, then
	-- fails). Seats of one group class share a slot_key and so do not exclude each other.
	CONSTRAINT "appointments_no_overlap" EXCLUDE USING gist (
		"tenant_id" WITH =,
		"professional_id" WITH =,
		tstzrange("blocked_from", "blocked_until", '[)') WITH &&,
		"slot_key" WITH <>
	) WHERE ("status" IN ('pending', 'confirmed'))
);
--> statement-breakpoint
ALTER TABLE "scheduling_services" ADD CONSTRAINT "scheduling_services_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_professionals" ADD CONSTRAINT "scheduling_professionals_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_professionals" ADD CONSTRAINT "scheduling_professionals_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_service_professionals" ADD CONSTRAINT "scheduling_service_professionals_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_service_professionals" ADD CONSTRAINT "scheduling_service_professionals_service_id_scheduling_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."scheduling_services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_service_professionals" ADD CONSTRAINT "scheduling_service_professionals_professional_id_scheduling_professionals_id_fk" FOREIGN KEY ("professional_id") REFERENCES "public"."scheduling_professionals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_plan_intervals" ADD CONSTRAINT "scheduling_plan_intervals_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_plan_intervals" ADD CONSTRAINT "scheduling_plan_intervals_professional_id_scheduling_professionals_id_fk" FOREIGN KEY ("professional_id") REFERENCES "public"."scheduling_professionals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_exceptions" ADD CONSTRAINT "scheduling_exceptions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_exceptions" ADD CONSTRAINT "scheduling_exceptions_professional_id_scheduling_professionals_id_fk" FOREIGN KEY ("professional_id") REFERENCES "public"."scheduling_professionals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_blocked_periods" ADD CONSTRAINT "scheduling_blocked_periods_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_customer_facts" ADD CONSTRAINT "scheduling_customer_facts_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduling_customer_facts" ADD CONSTRAINT "scheduling_customer_facts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_service_id_scheduling_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."scheduling_services"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_professional_id_scheduling_professionals_id_fk" FOREIGN KEY ("professional_id") REFERENCES "public"."scheduling_professionals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scheduling_services_tenant_id_idx" ON "scheduling_services" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "scheduling_services_name_key" ON "scheduling_services" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE INDEX "scheduling_professionals_tenant_id_idx" ON "scheduling_professionals" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "scheduling_professionals_name_key" ON "scheduling_professionals" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE INDEX "scheduling_service_professionals_tenant_id_idx" ON "scheduling_service_professionals" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "scheduling_service_professionals_professional_idx" ON "scheduling_service_professionals" USING btree ("professional_id");--> statement-breakpoint
CREATE INDEX "scheduling_plan_intervals_tenant_id_idx" ON "scheduling_plan_intervals" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "scheduling_plan_intervals_professional_idx" ON "scheduling_plan_intervals" USING btree ("professional_id","weekday");--> statement-breakpoint
CREATE INDEX "scheduling_exceptions_tenant_id_idx" ON "scheduling_exceptions" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "scheduling_exceptions_day_key" ON "scheduling_exceptions" USING btree ("professional_id","date");--> statement-breakpoint
CREATE INDEX "scheduling_blocked_periods_tenant_id_idx" ON "scheduling_blocked_periods" USING btree ("tenant_id","starts_at");--> statement-breakpoint
CREATE INDEX "scheduling_customer_facts_tenant_id_idx" ON "scheduling_customer_facts" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "appointments_tenant_id_idx" ON "appointments" USING btree ("tenant_id","starts_at","id");--> statement-breakpoint
CREATE INDEX "appointments_professional_idx" ON "appointments" USING btree ("professional_id","starts_at");--> statement-breakpoint
CREATE INDEX "appointments_customer_idx" ON "appointments" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "appointments_holds_idx" ON "appointments" USING btree ("hold_expires_at") WHERE status = 'pending' and hold_expires_at is not null;
