CREATE TABLE "cron_ticks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"cron" text NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"message_id" text NOT NULL,
	"type" text,
	"attempts" integer NOT NULL,
	"body" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "cron_ticks_cron_scheduled_at_key" ON "cron_ticks" USING btree ("cron","scheduled_at");