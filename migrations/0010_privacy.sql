CREATE TABLE "data_exports" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"requested_by" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"progress" jsonb,
	"object_key" text,
	"size_bytes" bigint,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "erasure_receipts" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"scope" text NOT NULL,
	"subject_id" text NOT NULL,
	"request_id" text,
	"requested_at" timestamp with time zone,
	"confirmed_by" text,
	"confirmed_at" timestamp with time zone,
	"row_counts" jsonb NOT NULL,
	"kv_keys_deleted" integer DEFAULT 0 NOT NULL,
	"objects_deleted" integer DEFAULT 0 NOT NULL,
	"key_destroyed" boolean NOT NULL,
	"completed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erasure_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"requested_by_type" text NOT NULL,
	"requested_by" text NOT NULL,
	"confirmed_by" text,
	"progress" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"confirmed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "data_exports" ADD CONSTRAINT "data_exports_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erasure_requests" ADD CONSTRAINT "erasure_requests_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "data_exports_tenant_id_idx" ON "data_exports" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "data_exports_one_in_flight_key" ON "data_exports" USING btree ("tenant_id") WHERE status in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "erasure_receipts_tenant_id_idx" ON "erasure_receipts" USING btree ("tenant_id","completed_at");--> statement-breakpoint
CREATE INDEX "erasure_requests_tenant_id_idx" ON "erasure_requests" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "erasure_requests_one_open_key" ON "erasure_requests" USING btree ("tenant_id") WHERE status in ('pending', 'confirmed');