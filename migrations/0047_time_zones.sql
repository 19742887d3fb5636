-- Times on screen in the member's zone (issue 22): the tenant's zone (where the business is; São
-- Paulo unless its owner says otherwise) and a person's own choice on top of it (null: follow the
-- tenant; operators, who belong to none, fall back to São Paulo). Never the zone the request came
-- from: a member travelling, or a proxy, must not move a clinic's 08:30 to 05:30.
-- The values are IANA names checked at the boundary (Intl); the database keeps them as text.
ALTER TABLE "tenants" ADD COLUMN "time_zone" text DEFAULT 'America/Sao_Paulo' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "time_zone" text;--> statement-breakpoint
ALTER TABLE "operators" ADD COLUMN "time_zone" text;
