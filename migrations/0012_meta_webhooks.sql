CREATE TABLE "meta_webhook_counters" (
	"tenant_id" text NOT NULL,
	"platform" text NOT NULL,
	"account_id" text NOT NULL,
	"phone_number_id" text DEFAULT '' NOT NULL,
	"day" date NOT NULL,
	"metric" text NOT NULL,
	"pricing_category" text DEFAULT 'all' NOT NULL,
	"value" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "meta_webhook_counters_tenant_id_platform_account_id_phone_number_id_day_metric_pricing_category_pk" PRIMARY KEY("tenant_id","platform","account_id","phone_number_id","day","metric","pricing_category")
);
--> statement-breakpoint
CREATE TABLE "meta_webhook_seen" (
	"tenant_id" text NOT NULL,
	"platform" text NOT NULL,
	"object_id" text NOT NULL,
	"event" text NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "meta_webhook_seen_tenant_id_platform_object_id_event_pk" PRIMARY KEY("tenant_id","platform","object_id","event")
);
--> statement-breakpoint
CREATE TABLE "meta_webhook_settings" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vault_edge_copies" (
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"kv_key" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vault_edge_copies_tenant_id_name_pk" PRIMARY KEY("tenant_id","name")
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"source" text NOT NULL,
	"object" text,
	"field" text,
	"payload" jsonb NOT NULL,
	"digest" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "meta_webhook_settings" ADD CONSTRAINT "meta_webhook_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vault_edge_copies" ADD CONSTRAINT "vault_edge_copies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "meta_webhook_counters_tenant_day_idx" ON "meta_webhook_counters" USING btree ("tenant_id","day");--> statement-breakpoint
CREATE INDEX "meta_webhook_seen_seen_at_idx" ON "meta_webhook_seen" USING btree ("seen_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_digest_key" ON "webhook_events" USING btree ("tenant_id","source","digest");--> statement-breakpoint
CREATE INDEX "webhook_events_tenant_id_idx" ON "webhook_events" USING btree ("tenant_id","received_at");--> statement-breakpoint
CREATE INDEX "webhook_events_received_at_idx" ON "webhook_events" USING btree ("received_at");