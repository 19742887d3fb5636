-- The customers every module shares (attendance contacts, scheduling, commerce): one person per
-- phone number and tenant (db/schema/customers.ts). Row-level security as for every tenant table.
CREATE TABLE "customers" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"phone" text,
	"email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_phone_e164" CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
	CONSTRAINT "customers_email_lower" CHECK (email = lower(email))
);
--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "customers_phone_key" ON "customers" USING btree ("tenant_id","phone") WHERE phone is not null;--> statement-breakpoint
CREATE INDEX "customers_email_idx" ON "customers" USING btree ("tenant_id","email") WHERE email is not null;--> statement-breakpoint
CREATE INDEX "customers_tenant_id_idx" ON "customers" USING btree ("tenant_id",lower("name"),"id");--> statement-breakpoint
SELECT integra_enable_tenant_rls('customers');
