-- The commerce module (db/schema/commerce.ts, docs/commerce.md): stores, catalog, stock,
-- reservations, shipping bands, orders, payments. Row-level security in 0029.
ALTER TABLE "plans" ADD COLUMN "stores_limit" integer DEFAULT 1 NOT NULL;
--> statement-breakpoint
CREATE TABLE "commerce_settings" (
	"tenant_id" text PRIMARY KEY NOT NULL REFERENCES "tenants"("id"),
	"storefront_origins" text[] DEFAULT '{}'::text[] NOT NULL,
	"whatsapp_connection_id" text,
	"whatsapp_phone_number_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "commerce_stores" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"name" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"timezone" text DEFAULT 'America/Sao_Paulo' NOT NULL,
	"street" text NOT NULL,
	"city" text NOT NULL,
	"state" text NOT NULL,
	"cep" text NOT NULL,
	"latitude" double precision NOT NULL,
	"longitude" double precision NOT NULL,
	"opening_hours" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"hours_exceptions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"preorder_when_closed" boolean DEFAULT false NOT NULL,
	"pickup" boolean DEFAULT true NOT NULL,
	"delivery" boolean DEFAULT true NOT NULL,
	"minimum_order_cents" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commerce_stores_cep_format" CHECK ("cep" ~ '^[0-9]{8}$'),
	CONSTRAINT "commerce_stores_minimum_order" CHECK ("minimum_order_cents" >= 0),
	CONSTRAINT "commerce_stores_fulfilment" CHECK ("pickup" or "delivery")
);
--> statement-breakpoint
CREATE INDEX "commerce_stores_tenant_id_idx" ON "commerce_stores" ("tenant_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_stores_name_key" ON "commerce_stores" ("tenant_id", "name");
--> statement-breakpoint
CREATE TABLE "commerce_categories" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"name" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "commerce_categories_tenant_id_idx" ON "commerce_categories" ("tenant_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_categories_name_key" ON "commerce_categories" ("tenant_id", "name");
--> statement-breakpoint
CREATE TABLE "commerce_products" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"category_id" text REFERENCES "commerce_categories"("id") ON DELETE set null,
	"name" text NOT NULL,
	"description" text,
	"price_cents" integer NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commerce_products_price" CHECK ("price_cents" >= 0)
);
--> statement-breakpoint
CREATE INDEX "commerce_products_tenant_id_idx" ON "commerce_products" ("tenant_id", "id");
--> statement-breakpoint
CREATE TABLE "commerce_option_groups" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"product_id" text NOT NULL REFERENCES "commerce_products"("id") ON DELETE cascade,
	"name" text NOT NULL,
	"min_choices" integer DEFAULT 0 NOT NULL,
	"max_choices" integer DEFAULT 1 NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "commerce_option_groups_choices" CHECK ("min_choices" >= 0 and "max_choices" >= greatest("min_choices", 1))
);
--> statement-breakpoint
CREATE INDEX "commerce_option_groups_tenant_id_idx" ON "commerce_option_groups" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "commerce_option_groups_product_idx" ON "commerce_option_groups" ("product_id");
--> statement-breakpoint
CREATE TABLE "commerce_options" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"group_id" text NOT NULL REFERENCES "commerce_option_groups"("id") ON DELETE cascade,
	"name" text NOT NULL,
	"price_delta_cents" integer DEFAULT 0 NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "commerce_options_delta" CHECK ("price_delta_cents" >= 0)
);
--> statement-breakpoint
CREATE INDEX "commerce_options_tenant_id_idx" ON "commerce_options" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "commerce_options_group_idx" ON "commerce_options" ("group_id");
--> statement-breakpoint
CREATE TABLE "commerce_stock" (
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"store_id" text NOT NULL REFERENCES "commerce_stores"("id") ON DELETE cascade,
	"product_id" text NOT NULL REFERENCES "commerce_products"("id") ON DELETE cascade,
	"available" boolean DEFAULT true NOT NULL,
	"on_hand" integer DEFAULT 0 NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commerce_stock_store_id_product_id_pk" PRIMARY KEY ("store_id", "product_id"),
	-- The last word on overselling: no statement may hold more than there is, or less than none.
	CONSTRAINT "commerce_stock_reserved" CHECK ("reserved" >= 0 and "reserved" <= "on_hand")
);
--> statement-breakpoint
CREATE INDEX "commerce_stock_tenant_id_idx" ON "commerce_stock" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "commerce_stock_product_idx" ON "commerce_stock" ("product_id");
--> statement-breakpoint
CREATE TABLE "commerce_orders" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"store_id" text NOT NULL REFERENCES "commerce_stores"("id"),
	"customer_id" text REFERENCES "customers"("id") ON DELETE set null,
	"status" text DEFAULT 'pending_payment' NOT NULL,
	"fulfilment" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"customer_name" text NOT NULL,
	"customer_phone" text,
	"customer_email" text,
	"address" jsonb,
	"subtotal_cents" integer NOT NULL,
	"shipping_cents" integer NOT NULL,
	"total_cents" integer NOT NULL,
	"preorder" boolean DEFAULT false NOT NULL,
	"notes" text,
	"payment_due_at" timestamp with time zone NOT NULL,
	"anonymized_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commerce_orders_amounts" CHECK ("subtotal_cents" >= 0 and "shipping_cents" >= 0 and "total_cents" = "subtotal_cents" + "shipping_cents")
);
--> statement-breakpoint
CREATE INDEX "commerce_orders_tenant_id_idx" ON "commerce_orders" ("tenant_id", "created_at", "id");
--> statement-breakpoint
CREATE INDEX "commerce_orders_status_idx" ON "commerce_orders" ("tenant_id", "status", "created_at", "id");
--> statement-breakpoint
CREATE INDEX "commerce_orders_customer_idx" ON "commerce_orders" ("customer_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_orders_idempotency_key" ON "commerce_orders" ("tenant_id", "idempotency_key");
--> statement-breakpoint
CREATE TABLE "commerce_reservations" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"order_id" text NOT NULL REFERENCES "commerce_orders"("id") ON DELETE cascade,
	"store_id" text NOT NULL,
	"product_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"status" text DEFAULT 'held' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commerce_reservations_quantity" CHECK ("quantity" > 0)
);
--> statement-breakpoint
CREATE INDEX "commerce_reservations_tenant_id_idx" ON "commerce_reservations" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "commerce_reservations_order_idx" ON "commerce_reservations" ("order_id");
--> statement-breakpoint
CREATE INDEX "commerce_reservations_due_idx" ON "commerce_reservations" ("expires_at") WHERE status = 'held';
--> statement-breakpoint
CREATE TABLE "commerce_stock_movements" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"store_id" text NOT NULL,
	"product_id" text NOT NULL,
	"kind" text NOT NULL,
	"delta" integer NOT NULL,
	"order_id" text,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "commerce_stock_movements_tenant_id_idx" ON "commerce_stock_movements" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "commerce_stock_movements_stock_idx" ON "commerce_stock_movements" ("store_id", "product_id", "created_at");
--> statement-breakpoint
CREATE TABLE "commerce_shipping_bands" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"store_id" text NOT NULL REFERENCES "commerce_stores"("id") ON DELETE cascade,
	"max_km" double precision NOT NULL,
	"price_cents" integer NOT NULL,
	CONSTRAINT "commerce_shipping_bands_values" CHECK ("max_km" > 0 and "price_cents" >= 0)
);
--> statement-breakpoint
CREATE INDEX "commerce_shipping_bands_tenant_id_idx" ON "commerce_shipping_bands" ("tenant_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_shipping_bands_key" ON "commerce_shipping_bands" ("store_id", "max_km");
--> statement-breakpoint
CREATE TABLE "commerce_addresses" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"customer_id" text NOT NULL REFERENCES "customers"("id") ON DELETE cascade,
	"street" text NOT NULL,
	"number" text NOT NULL,
	"complement" text,
	"district" text,
	"city" text NOT NULL,
	"state" text NOT NULL,
	"cep" text NOT NULL,
	"latitude" double precision,
	"longitude" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "commerce_addresses_tenant_id_idx" ON "commerce_addresses" ("tenant_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_addresses_key" ON "commerce_addresses" ("customer_id", "cep", "street", "number");
--> statement-breakpoint
CREATE TABLE "commerce_order_items" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"order_id" text NOT NULL REFERENCES "commerce_orders"("id") ON DELETE cascade,
	"product_id" text NOT NULL,
	"name" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_cents" integer NOT NULL,
	"options" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"line_total_cents" integer NOT NULL,
	CONSTRAINT "commerce_order_items_quantity" CHECK ("quantity" > 0)
);
--> statement-breakpoint
CREATE INDEX "commerce_order_items_tenant_id_idx" ON "commerce_order_items" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "commerce_order_items_order_idx" ON "commerce_order_items" ("order_id");
--> statement-breakpoint
CREATE TABLE "commerce_payments" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"order_id" text NOT NULL REFERENCES "commerce_orders"("id") ON DELETE cascade,
	"provider" text NOT NULL,
	"method" text NOT NULL,
	"status" text DEFAULT 'creating' NOT NULL,
	"amount_cents" integer NOT NULL,
	"provider_payment_id" text,
	"pix_code" text,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "commerce_payments_tenant_id_idx" ON "commerce_payments" ("tenant_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_payments_order_key" ON "commerce_payments" ("order_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_payments_provider_key" ON "commerce_payments" ("provider", "provider_payment_id");
--> statement-breakpoint
CREATE TABLE "commerce_payment_events" (
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"webhook_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"status" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commerce_payment_events_tenant_id_webhook_id_pk" PRIMARY KEY ("tenant_id", "webhook_id")
);
--> statement-breakpoint
CREATE TABLE "commerce_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"order_id" text NOT NULL REFERENCES "commerce_orders"("id") ON DELETE cascade,
	"distance_km" double precision NOT NULL,
	"distance_method" text NOT NULL,
	"fee_cents" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "commerce_deliveries_tenant_id_idx" ON "commerce_deliveries" ("tenant_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "commerce_deliveries_order_key" ON "commerce_deliveries" ("order_id");
--> statement-breakpoint
CREATE TABLE "commerce_order_events" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL REFERENCES "tenants"("id"),
	"order_id" text NOT NULL REFERENCES "commerce_orders"("id") ON DELETE cascade,
	"from_status" text,
	"to_status" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "commerce_order_events_tenant_id_idx" ON "commerce_order_events" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "commerce_order_events_order_idx" ON "commerce_order_events" ("order_id", "created_at");
