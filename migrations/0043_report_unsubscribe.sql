-- One-click unsubscribe from scheduled reports (docs/reports.md, "Unsubscribe"): each schedule
-- has its own secret key; a recipient's link is an HMAC of the schedule and the address under it,
-- so a link opens that schedule for that address only, and a link of another schedule is refused.
-- Two random UUIDs (244 random bits) need no extension; existing schedules get theirs here.
ALTER TABLE "report_schedules" ADD COLUMN "unsubscribe_key" text
	DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') NOT NULL;
