-- Scheduling reminders (issue 15): rules per tenant (service_id null: the tenant's default) or per
-- service, and one reminder row per (appointment, rule), planned when an appointment is confirmed,
-- voided when it is cancelled or closed, and moved with it. The cron tick sends due ones through
-- the messaging outbox (worker/services/scheduling/reminders.ts).
CREATE TABLE "scheduling_reminder_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"service_id" text REFERENCES "scheduling_services"("id") ON DELETE CASCADE,
	"minutes_before" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scheduling_reminder_rules_minutes" CHECK ("minutes_before" BETWEEN 5 AND 20160)
);
--> statement-breakpoint
CREATE INDEX "scheduling_reminder_rules_tenant_id_idx" ON "scheduling_reminder_rules" USING btree ("tenant_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "scheduling_reminder_rules_key" ON "scheduling_reminder_rules" USING btree ("tenant_id", coalesce("service_id", ''), "minutes_before");
--> statement-breakpoint
CREATE TABLE "scheduling_reminders" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"appointment_id" text NOT NULL REFERENCES "appointments"("id") ON DELETE CASCADE,
	"rule_id" text NOT NULL REFERENCES "scheduling_reminder_rules"("id") ON DELETE CASCADE,
	"due_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"channel" text,
	"message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scheduling_reminders_status" CHECK ("status" IN ('pending', 'sent', 'void', 'skipped'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "scheduling_reminders_key" ON "scheduling_reminders" USING btree ("appointment_id", "rule_id");
--> statement-breakpoint
CREATE INDEX "scheduling_reminders_tenant_id_idx" ON "scheduling_reminders" USING btree ("tenant_id");
--> statement-breakpoint
CREATE INDEX "scheduling_reminders_due_idx" ON "scheduling_reminders" USING btree ("due_at") WHERE status = 'pending';
--> statement-breakpoint
SELECT integra_enable_tenant_rls('scheduling_reminder_rules');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('scheduling_reminders');
