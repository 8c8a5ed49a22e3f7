-- Issue 21 (ADR 024): proven verifications, add_email keyed by user, outbox order by sequence and its retention index,
-- exact counters kept by triggers for the admin overview, and trigram search.

-- Trigram search (member and admin user search by any part of a name or address). PGlite loads the extension too.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
-- A proven verification (consumed by the right code or link) against one a newer request retired.
ALTER TABLE "verifications" ADD COLUMN "verified_at" timestamp with time zone;--> statement-breakpoint
-- add_email verifications are now keyed `<user id>:<address>`; move the pending ones along.
UPDATE "verifications" SET "target" = "user_id" || ':' || "target"
WHERE "purpose" = 'add_email' AND "user_id" IS NOT NULL AND position(':' IN "target") = 0;--> statement-breakpoint
-- The outbox's order: a sequence, numbering existing rows in the order they happened.
DROP INDEX "outbox_events_undispatched_idx";--> statement-breakpoint
CREATE SEQUENCE "outbox_events_seq_seq" AS bigint;--> statement-breakpoint
ALTER TABLE "outbox_events" ADD COLUMN "seq" bigint;--> statement-breakpoint
UPDATE "outbox_events" o SET "seq" = n.rn
FROM (SELECT "id", row_number() OVER (ORDER BY "occurred_at", "id") AS rn FROM "outbox_events") n
WHERE n."id" = o."id";--> statement-breakpoint
SELECT setval('"outbox_events_seq_seq"', coalesce((SELECT max("seq") FROM "outbox_events"), 0) + 1, false);--> statement-breakpoint
ALTER TABLE "outbox_events" ALTER COLUMN "seq" SET DEFAULT nextval('"outbox_events_seq_seq"');--> statement-breakpoint
ALTER TABLE "outbox_events" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
ALTER SEQUENCE "outbox_events_seq_seq" OWNED BY "outbox_events"."seq";--> statement-breakpoint
CREATE INDEX "outbox_events_undispatched_idx" ON "outbox_events" USING btree ("seq") WHERE "outbox_events"."dispatched_at" is null;--> statement-breakpoint
CREATE INDEX "outbox_events_dispatched_at_idx" ON "outbox_events" USING btree ("dispatched_at") WHERE "outbox_events"."dispatched_at" is not null;--> statement-breakpoint
CREATE INDEX "email_addresses_email_trgm_idx" ON "email_addresses" USING gin ("email" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "users_name_trgm_idx" ON "users" USING gin ((coalesce("first_name", '') || ' ' || coalesce("last_name", '')) gin_trgm_ops);--> statement-breakpoint
-- Exact counters. A count is the sum of its slot rows; a change picks slot hashtext(user id) & 7, so concurrent
-- sign-ups update different rows instead of queueing on one.
CREATE TABLE "row_counts" (
	"counter" text NOT NULL,
	"bucket" text DEFAULT '' NOT NULL,
	"slot" integer DEFAULT 0 NOT NULL,
	"n" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "row_counts_counter_bucket_slot_pk" PRIMARY KEY("counter","bucket","slot")
);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_count(counter_name text, bucket_key text, slot_key text, delta bigint) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO row_counts (counter, bucket, slot, n) VALUES (counter_name, coalesce(bucket_key, ''), hashtext(slot_key) & 7, delta)
  ON CONFLICT (counter, bucket, slot) DO UPDATE SET n = row_counts.n + excluded.n
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_utc_day(ts timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD') $$;
--> statement-breakpoint
-- users: not deleted; sign_ups: per UTC day of created_at (deleted users included, as the chart counts them);
-- last_active: per last_active_on day (deleted users included, as monthly active users counts them).
CREATE OR REPLACE FUNCTION latchkey_users_row_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF OLD.deleted_at IS NULL AND (TG_OP = 'DELETE' OR NEW.deleted_at IS NOT NULL) THEN
      PERFORM latchkey_count('users', '', OLD.id, -1);
    END IF;
    IF TG_OP = 'DELETE' OR OLD.created_at IS DISTINCT FROM NEW.created_at THEN
      PERFORM latchkey_count('sign_ups', latchkey_utc_day(OLD.created_at), OLD.id, -1);
    END IF;
    IF OLD.last_active_on IS NOT NULL AND (TG_OP = 'DELETE' OR OLD.last_active_on IS DISTINCT FROM NEW.last_active_on) THEN
      PERFORM latchkey_count('last_active', to_char(OLD.last_active_on, 'YYYY-MM-DD'), OLD.id, -1);
    END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    IF NEW.deleted_at IS NULL AND (TG_OP = 'INSERT' OR OLD.deleted_at IS NOT NULL) THEN
      PERFORM latchkey_count('users', '', NEW.id, 1);
    END IF;
    IF TG_OP = 'INSERT' OR OLD.created_at IS DISTINCT FROM NEW.created_at THEN
      PERFORM latchkey_count('sign_ups', latchkey_utc_day(NEW.created_at), NEW.id, 1);
    END IF;
    IF NEW.last_active_on IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.last_active_on IS DISTINCT FROM NEW.last_active_on) THEN
      PERFORM latchkey_count('last_active', to_char(NEW.last_active_on, 'YYYY-MM-DD'), NEW.id, 1);
    END IF;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER users_row_counts AFTER INSERT OR DELETE OR UPDATE OF deleted_at, created_at, last_active_on ON users
FOR EACH ROW EXECUTE FUNCTION latchkey_users_row_counts();
--> statement-breakpoint
-- Rebuilds the user counters from the table (here, and after bulk loads that switch triggers off).
CREATE OR REPLACE FUNCTION latchkey_recount_users() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE users IN SHARE MODE;
  DELETE FROM row_counts WHERE counter IN ('users', 'sign_ups', 'last_active');
  INSERT INTO row_counts (counter, bucket, slot, n) SELECT 'users', '', 0, count(*) FROM users WHERE deleted_at IS NULL;
  INSERT INTO row_counts (counter, bucket, slot, n)
    SELECT 'sign_ups', latchkey_utc_day(created_at), 0, count(*) FROM users GROUP BY 2;
  INSERT INTO row_counts (counter, bucket, slot, n)
    SELECT 'last_active', to_char(last_active_on, 'YYYY-MM-DD'), 0, count(*) FROM users WHERE last_active_on IS NOT NULL GROUP BY 2;
END;
$$;
--> statement-breakpoint
SELECT latchkey_recount_users();
--> statement-breakpoint
-- session.created/revoked name the acting admin of an impersonation session (`actor`, as the session JWT's `act`
-- claim and Clerk's session object do); null for the user's own sessions.
CREATE OR REPLACE FUNCTION latchkey_session_json(s sessions, session_status text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', s.id,
    'object', 'session',
    'user_id', s.user_id,
    'client_id', NULL,
    'status', session_status,
    'actor', CASE WHEN s.impersonator_user_id IS NULL THEN NULL ELSE jsonb_build_object('sub', s.impersonator_user_id) END,
    'last_active_organization_id', s.active_organization_id,
    'last_active_at', latchkey_ms(s.last_active_at),
    'expire_at', latchkey_ms(s.idle_expires_at),
    'abandon_at', latchkey_ms(s.expires_at),
    'created_at', latchkey_ms(s.created_at),
    'updated_at', latchkey_ms(s.last_active_at)
  )
$$;
