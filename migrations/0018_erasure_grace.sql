-- Erasure with a grace period (issue 23): a request names its scope and subject (a tenant or one
-- connection), is scheduled for a time after which the cron tick runs the deletion, and can be
-- canceled until then. Requests confirmed before this migration are already under way: `erasing`.
DROP INDEX "erasure_requests_one_open_key";--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "scope" text DEFAULT 'tenant' NOT NULL;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "subject_id" text;--> statement-breakpoint
UPDATE "erasure_requests" SET "subject_id" = "tenant_id";--> statement-breakpoint
ALTER TABLE "erasure_requests" ALTER COLUMN "subject_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "grace_days" integer;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "previous_status" text;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "scheduled_for" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "canceled_by" text;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "canceled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "cancel_reason" text;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "completed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD COLUMN "receipt_id" text;--> statement-breakpoint
UPDATE "erasure_requests" SET "status" = 'erasing', "scheduled_for" = "confirmed_at", "started_at" = "confirmed_at"
  WHERE "status" = 'confirmed';--> statement-breakpoint
CREATE INDEX "erasure_requests_due_idx" ON "erasure_requests" USING btree ("scheduled_for") WHERE status = 'scheduled';--> statement-breakpoint
CREATE UNIQUE INDEX "erasure_requests_one_open_key" ON "erasure_requests" USING btree ("tenant_id","subject_id") WHERE status in ('pending', 'scheduled', 'erasing');
