CREATE TABLE "connections" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"platform" text NOT NULL,
	"external_account_id" text NOT NULL,
	"label" text,
	"display_name" text,
	"status" text DEFAULT 'active' NOT NULL,
	"token_version" integer DEFAULT 1 NOT NULL,
	"token_expires_at" timestamp with time zone,
	"has_refresh_token" boolean DEFAULT false NOT NULL,
	"last_collected_at" timestamp with time zone,
	"next_collect_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"backfill_done_days" integer DEFAULT 0 NOT NULL,
	"backfill_total_days" integer DEFAULT 0 NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"subject" text NOT NULL,
	"subject_id" text NOT NULL,
	"purpose" text NOT NULL,
	"policy_version" text NOT NULL,
	"granted" boolean NOT NULL,
	"actor_id" text,
	"ip" text,
	"user_agent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenant_keys" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"master_kid" text,
	"wrapped_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rewrapped_at" timestamp with time zone,
	"destroyed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "collection_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"connection_id" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"message_id" text,
	"attempt" integer DEFAULT 1 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"points" integer DEFAULT 0 NOT NULL,
	"api_calls" integer DEFAULT 0 NOT NULL,
	"error" text,
	"failed_metrics" text[]
);
--> statement-breakpoint
CREATE TABLE "metric_points" (
	"tenant_id" text NOT NULL,
	"connection_id" text NOT NULL,
	"metric" text NOT NULL,
	"granularity" text NOT NULL,
	"period_start" date NOT NULL,
	"value" double precision NOT NULL,
	"collected_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metric_points_connection_id_metric_granularity_period_start_pk" PRIMARY KEY("connection_id","metric","granularity","period_start")
);
--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_keys" ADD CONSTRAINT "tenant_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collection_runs" ADD CONSTRAINT "collection_runs_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_points" ADD CONSTRAINT "metric_points_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connections_tenant_id_idx" ON "connections" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "connections_account_key" ON "connections" USING btree ("tenant_id","platform","external_account_id");--> statement-breakpoint
CREATE INDEX "connections_due_idx" ON "connections" USING btree ("next_collect_at","id") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "consents_tenant_id_idx" ON "consents" USING btree ("tenant_id","subject","subject_id","purpose","created_at");--> statement-breakpoint
CREATE INDEX "collection_runs_tenant_id_idx" ON "collection_runs" USING btree ("tenant_id","connection_id","started_at");--> statement-breakpoint
CREATE INDEX "collection_runs_started_at_idx" ON "collection_runs" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "metric_points_tenant_id_idx" ON "metric_points" USING btree ("tenant_id","period_start");