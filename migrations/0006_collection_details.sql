ALTER TABLE "connections" ADD COLUMN "manual_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "collection_runs" ADD COLUMN "range_from" date;--> statement-breakpoint
ALTER TABLE "collection_runs" ADD COLUMN "range_to" date;