-- Scheduling settings per tenant (issue 15): which approved WhatsApp template of the attendance
-- module's store carries the reminders. Without one (or once it is no longer approved) reminders
-- go by e-mail. Deleting the template (a re-sync that drops it) clears the choice. And the
-- language a customer booked in on the public page, for their notices and invitations; and each
-- appointment's invitation SEQUENCE (RFC 5546: every notice of the event a higher one); and when
-- the appointment's customer was erased (their link, notes and messages gone; times kept).
CREATE TABLE "scheduling_settings" (
	"tenant_id" text PRIMARY KEY NOT NULL REFERENCES "tenants"("id"),
	"reminder_template_id" text REFERENCES "attendance_templates"("id") ON DELETE SET NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
SELECT integra_enable_tenant_rls('scheduling_settings');
--> statement-breakpoint
ALTER TABLE "scheduling_customer_facts" ADD COLUMN "language" text;
--> statement-breakpoint
ALTER TABLE "appointments" ADD COLUMN "notice_sequence" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "appointments" ADD COLUMN "customer_erased_at" timestamp with time zone;
