-- Campaigns and coupons of the commerce module (docs/commerce.md, "Campaigns"). The budget and
-- the per-customer limit are counters that only a conditional UPDATE moves, and their CHECKs are
-- the last word: however many checkouts race, Postgres refuses the one that would pass the limit.
CREATE TABLE "commerce_campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"name" text NOT NULL,
	"code" text,
	"target" text NOT NULL CHECK ("target" IN ('order', 'items', 'shipping')),
	"kind" text NOT NULL CHECK ("kind" IN ('percent', 'fixed')),
	"value" integer NOT NULL,
	"product_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"category_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"minimum_order_cents" integer DEFAULT 0 NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"budget_kind" text CHECK ("budget_kind" IN ('spend', 'uses')),
	"budget_limit" integer,
	"budget_used" integer DEFAULT 0 NOT NULL,
	"per_customer_limit" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commerce_campaigns_value" CHECK ("value" > 0 AND ("kind" <> 'percent' OR "value" <= 100)),
	CONSTRAINT "commerce_campaigns_code_format" CHECK ("code" IS NULL OR "code" ~ '^[A-Za-z0-9_-]{3,40}$'),
	CONSTRAINT "commerce_campaigns_minimum" CHECK ("minimum_order_cents" >= 0),
	CONSTRAINT "commerce_campaigns_period" CHECK ("ends_at" IS NULL OR "ends_at" > "starts_at"),
	CONSTRAINT "commerce_campaigns_budget" CHECK (
		("budget_kind" IS NULL AND "budget_limit" IS NULL)
		OR ("budget_kind" IS NOT NULL AND "budget_limit" > 0)),
	CONSTRAINT "commerce_campaigns_budget_used" CHECK (
		"budget_used" >= 0 AND ("budget_limit" IS NULL OR "budget_used" <= "budget_limit")),
	CONSTRAINT "commerce_campaigns_per_customer" CHECK ("per_customer_limit" IS NULL OR "per_customer_limit" > 0)
);
--> statement-breakpoint
CREATE INDEX "commerce_campaigns_tenant_id_idx" ON "commerce_campaigns" ("tenant_id", "starts_at");
--> statement-breakpoint
-- A coupon code is the tenant's, whatever its case: SUMMER10 and summer10 are one code.
CREATE UNIQUE INDEX "commerce_campaigns_code_key" ON "commerce_campaigns" ("tenant_id", lower("code")) WHERE "code" IS NOT NULL;
--> statement-breakpoint
-- One row per order a campaign discounted: what it gave, and whether a cancellation returned it.
CREATE TABLE "commerce_campaign_redemptions" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"campaign_id" text NOT NULL REFERENCES "commerce_campaigns"("id") ON DELETE cascade,
	"order_id" text NOT NULL REFERENCES "commerce_orders"("id") ON DELETE cascade,
	"customer_id" text REFERENCES "customers"("id") ON DELETE set null,
	"discount_cents" integer NOT NULL,
	"status" text DEFAULT 'active' NOT NULL CHECK ("status" IN ('active', 'returned')),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"returned_at" timestamp with time zone,
	CONSTRAINT "commerce_campaign_redemptions_discount" CHECK ("discount_cents" > 0)
);
--> statement-breakpoint
CREATE INDEX "commerce_campaign_redemptions_tenant_id_idx" ON "commerce_campaign_redemptions" ("tenant_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_campaign_redemptions_key" ON "commerce_campaign_redemptions" ("campaign_id", "order_id");
--> statement-breakpoint
CREATE INDEX "commerce_campaign_redemptions_order_idx" ON "commerce_campaign_redemptions" ("order_id");
--> statement-breakpoint
-- How many times each customer used a campaign (active redemptions): the counter the per-customer
-- limit is enforced on, by an upsert whose update is conditional.
CREATE TABLE "commerce_campaign_customer_uses" (
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"campaign_id" text NOT NULL REFERENCES "commerce_campaigns"("id") ON DELETE cascade,
	"customer_id" text NOT NULL REFERENCES "customers"("id") ON DELETE cascade,
	"uses" integer NOT NULL,
	CONSTRAINT "commerce_campaign_customer_uses_pk" PRIMARY KEY ("campaign_id", "customer_id"),
	CONSTRAINT "commerce_campaign_customer_uses_uses" CHECK ("uses" >= 0)
);
--> statement-breakpoint
CREATE INDEX "commerce_campaign_customer_uses_tenant_id_idx" ON "commerce_campaign_customer_uses" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "commerce_campaign_customer_uses_customer_idx" ON "commerce_campaign_customer_uses" ("customer_id");
--> statement-breakpoint
-- The order carries its discount: total = subtotal + shipping - discount, never below zero.
ALTER TABLE "commerce_orders" ADD COLUMN "discount_cents" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "commerce_orders" DROP CONSTRAINT "commerce_orders_amounts";
--> statement-breakpoint
ALTER TABLE "commerce_orders" ADD CONSTRAINT "commerce_orders_amounts" CHECK (
	"subtotal_cents" >= 0 AND "shipping_cents" >= 0 AND "discount_cents" >= 0
	AND "discount_cents" <= "subtotal_cents" + "shipping_cents"
	AND "total_cents" = "subtotal_cents" + "shipping_cents" - "discount_cents");
