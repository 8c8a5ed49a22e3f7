CREATE TABLE "activity_day_counts" (
	"day" date PRIMARY KEY NOT NULL,
	"active_users" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "last_active_on" date;--> statement-breakpoint
CREATE INDEX "audit_events_target_time_idx" ON "audit_events" USING btree ("target_type","target_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "user_activity_days_user_id_idx" ON "user_activity_days" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "users_last_active_on_idx" ON "users" USING btree ("last_active_on");--> statement-breakpoint
-- A new (day, user) activity row counts the user in that day's active users and moves their last active day forward.
-- ON CONFLICT DO NOTHING inserts of a row that exists fire nothing, so each user counts once per day.
CREATE OR REPLACE FUNCTION latchkey_activity_recorded() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO activity_day_counts (day, active_users) VALUES (NEW.day, 1)
    ON CONFLICT (day) DO UPDATE SET active_users = activity_day_counts.active_users + 1;
  UPDATE users SET last_active_on = NEW.day
    WHERE id = NEW.user_id AND (last_active_on IS NULL OR last_active_on < NEW.day);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER user_activity_days_recorded AFTER INSERT ON "user_activity_days"
  FOR EACH ROW EXECUTE FUNCTION latchkey_activity_recorded();
