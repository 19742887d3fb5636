-- The WhatsApp attendance module (issue 14, docs/attendance.md): numbers, contacts, conversations,
-- messages, templates and the monthly usage counter, each under row-level security like every
-- tenant table; plans gain the monthly limit of messages the team may send. Conversations go with
-- their number (a WhatsApp connection's erasure deletes its numbers) or contact, messages with
-- their conversation. (0025 is unused: the row-level security is at the end of this file.)
CREATE TABLE "attendance_numbers" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"connection_id" text NOT NULL REFERENCES "connections"("id"),
	"phone_number_id" text NOT NULL,
	"waba_id" text NOT NULL,
	"display_number" text NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "attendance_numbers_phone_key" ON "attendance_numbers" USING btree ("tenant_id","phone_number_id");
--> statement-breakpoint
CREATE TABLE "attendance_contacts" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"contact_key" text NOT NULL,
	"bsuid" text,
	"wa_id" text,
	"profile_name" text,
	"name" text,
	"customer_id" text REFERENCES "customers"("id"),
	"opted_in_at" timestamp with time zone,
	"opt_in_source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attendance_contacts_identity" CHECK (bsuid IS NOT NULL OR wa_id IS NOT NULL)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "attendance_contacts_key" ON "attendance_contacts" USING btree ("tenant_id","contact_key");
--> statement-breakpoint
CREATE INDEX "attendance_contacts_wa_id_idx" ON "attendance_contacts" USING btree ("tenant_id","wa_id") WHERE wa_id is not null;
--> statement-breakpoint
CREATE INDEX "attendance_contacts_customer_idx" ON "attendance_contacts" USING btree ("tenant_id","customer_id") WHERE customer_id is not null;
--> statement-breakpoint
CREATE TABLE "attendance_conversations" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"number_id" text NOT NULL REFERENCES "attendance_numbers"("id") ON DELETE CASCADE,
	"contact_id" text NOT NULL REFERENCES "attendance_contacts"("id") ON DELETE CASCADE,
	"status" text DEFAULT 'open' NOT NULL,
	"assignee_id" text REFERENCES "users"("id"),
	"last_inbound_at" timestamp with time zone,
	"last_message_at" timestamp with time zone DEFAULT now() NOT NULL,
	"waiting_since" timestamp with time zone,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"first_reply_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"snoozed_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attendance_conversations_status" CHECK (status IN ('open', 'pending', 'snoozed', 'resolved'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "attendance_conversations_pair_key" ON "attendance_conversations" USING btree ("tenant_id","number_id","contact_id");
--> statement-breakpoint
CREATE INDEX "attendance_conversations_tenant_id_idx" ON "attendance_conversations" USING btree ("tenant_id","last_message_at","id");
--> statement-breakpoint
CREATE TABLE "attendance_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"conversation_id" text NOT NULL REFERENCES "attendance_conversations"("id") ON DELETE CASCADE,
	"direction" text NOT NULL,
	"type" text NOT NULL,
	"body" text,
	"wamid" text,
	"reply_to" text,
	"details" jsonb,
	"outbound_message_id" text REFERENCES "outbound_messages"("id"),
	"author_id" text REFERENCES "users"("id"),
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attendance_messages_direction" CHECK (direction IN ('in', 'out', 'note'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "attendance_messages_wamid_key" ON "attendance_messages" USING btree ("tenant_id","wamid") WHERE wamid is not null;
--> statement-breakpoint
CREATE UNIQUE INDEX "attendance_messages_outbound_key" ON "attendance_messages" USING btree ("tenant_id","outbound_message_id") WHERE outbound_message_id is not null;
--> statement-breakpoint
CREATE INDEX "attendance_messages_tenant_id_idx" ON "attendance_messages" USING btree ("tenant_id","conversation_id","sent_at","id");
--> statement-breakpoint
CREATE TABLE "attendance_templates" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"waba_id" text NOT NULL,
	"external_id" text,
	"name" text NOT NULL,
	"language" text NOT NULL,
	"category" text NOT NULL,
	"status" text NOT NULL,
	"body" text,
	"parameters" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "attendance_templates_key" ON "attendance_templates" USING btree ("tenant_id","waba_id","name","language");
--> statement-breakpoint
CREATE TABLE "attendance_usage" (
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"month" text NOT NULL,
	"sent" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "attendance_usage_key" ON "attendance_usage" USING btree ("tenant_id","month");
--> statement-breakpoint
-- Messages the team may send per month under the plan (the attendance module's limit).
ALTER TABLE "plans" ADD COLUMN "attendance_messages_limit" integer DEFAULT 1000 NOT NULL;
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_numbers');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_contacts');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_conversations');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_messages');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_templates');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('attendance_usage');
