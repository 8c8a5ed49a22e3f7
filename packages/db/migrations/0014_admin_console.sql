CREATE TABLE "instance_invitations" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"token_hash" text NOT NULL,
	"invited_by_user_id" text,
	"expires_at" timestamp with time zone NOT NULL,
	"accepted_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instance_invitations_token_hash_key" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "user_activity_days" (
	"day" date NOT NULL,
	"user_id" text NOT NULL,
	CONSTRAINT "user_activity_days_day_user_id_pk" PRIMARY KEY("day","user_id")
);
--> statement-breakpoint
CREATE TABLE "waitlist_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"invitation_id" text,
	"decided_by_user_id" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "waitlist_entries_email_key" UNIQUE("email")
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "impersonator_user_id" text;--> statement-breakpoint
ALTER TABLE "sign_up_attempts" ADD COLUMN "username" text;--> statement-breakpoint
ALTER TABLE "sign_up_attempts" ADD COLUMN "phone" text;--> statement-breakpoint
ALTER TABLE "sign_up_attempts" ADD COLUMN "instance_invitation_id" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "has_second_factor" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "instance_invitations" ADD CONSTRAINT "instance_invitations_invited_by_user_id_users_id_fk" FOREIGN KEY ("invited_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_activity_days" ADD CONSTRAINT "user_activity_days_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_invitation_id_instance_invitations_id_fk" FOREIGN KEY ("invitation_id") REFERENCES "public"."instance_invitations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_decided_by_user_id_users_id_fk" FOREIGN KEY ("decided_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "instance_invitations_email_idx" ON "instance_invitations" USING btree ("email");--> statement-breakpoint
CREATE INDEX "instance_invitations_created_at_idx" ON "instance_invitations" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "waitlist_entries_status_created_idx" ON "waitlist_entries" USING btree ("status","created_at","id");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_impersonator_user_id_users_id_fk" FOREIGN KEY ("impersonator_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sign_up_attempts" ADD CONSTRAINT "sign_up_attempts_instance_invitation_id_instance_invitations_id_fk" FOREIGN KEY ("instance_invitation_id") REFERENCES "public"."instance_invitations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_addresses_email_pattern_idx" ON "email_addresses" USING btree ("email" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "email_addresses_unverified_primary_idx" ON "email_addresses" USING btree ("user_id") WHERE "email_addresses"."is_primary" and "email_addresses"."verified_at" is null;--> statement-breakpoint
CREATE INDEX "organizations_created_at_id_idx" ON "organizations" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "organizations_name_pattern_idx" ON "organizations" USING btree (lower("name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "users_created_at_id_idx" ON "users" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "users_last_sign_in_at_id_idx" ON "users" USING btree ("last_sign_in_at","id");--> statement-breakpoint
CREATE INDEX "users_banned_created_idx" ON "users" USING btree ("created_at","id") WHERE "users"."banned_at" is not null;--> statement-breakpoint
CREATE INDEX "users_locked_created_idx" ON "users" USING btree ("created_at","id") WHERE "users"."locked_until" is not null;--> statement-breakpoint
CREATE INDEX "users_mfa_created_idx" ON "users" USING btree ("created_at","id") WHERE "users"."has_second_factor";--> statement-breakpoint
CREATE INDEX "users_first_name_pattern_idx" ON "users" USING btree (lower("first_name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "users_last_name_pattern_idx" ON "users" USING btree (lower("last_name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "users_username_pattern_idx" ON "users" USING btree (lower("username") text_pattern_ops);--> statement-breakpoint
-- users.has_second_factor: true while the user has a verified TOTP, a passkey or a verified MFA phone number. Kept by
-- the triggers below in the same transaction as the factor change, so the auth lookup reads one column.
CREATE OR REPLACE FUNCTION latchkey_refresh_second_factor(uid text) RETURNS void
LANGUAGE sql AS $$
  UPDATE users u SET has_second_factor = (
    EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = uid AND f.verified_at IS NOT NULL)
    OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = uid)
    OR EXISTS (SELECT 1 FROM phone_numbers n WHERE n.user_id = uid AND n.used_for_mfa AND n.verified_at IS NOT NULL)
  )
  WHERE u.id = uid AND u.has_second_factor IS DISTINCT FROM (
    EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = uid AND f.verified_at IS NOT NULL)
    OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = uid)
    OR EXISTS (SELECT 1 FROM phone_numbers n WHERE n.user_id = uid AND n.used_for_mfa AND n.verified_at IS NOT NULL)
  )
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_second_factor_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM latchkey_refresh_second_factor(OLD.user_id);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.user_id IS DISTINCT FROM OLD.user_id) THEN
    PERFORM latchkey_refresh_second_factor(NEW.user_id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER totp_factors_second_factor AFTER INSERT OR DELETE OR UPDATE OF "verified_at", "user_id" ON "totp_factors"
  FOR EACH ROW EXECUTE FUNCTION latchkey_second_factor_changed();
--> statement-breakpoint
CREATE TRIGGER passkeys_second_factor AFTER INSERT OR DELETE OR UPDATE OF "user_id" ON "passkeys"
  FOR EACH ROW EXECUTE FUNCTION latchkey_second_factor_changed();
--> statement-breakpoint
CREATE TRIGGER phone_numbers_second_factor AFTER INSERT OR DELETE OR UPDATE OF "verified_at", "used_for_mfa", "user_id" ON "phone_numbers"
  FOR EACH ROW EXECUTE FUNCTION latchkey_second_factor_changed();
--> statement-breakpoint
UPDATE users u SET has_second_factor = true WHERE
  EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = u.id AND f.verified_at IS NOT NULL)
  OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)
  OR EXISTS (SELECT 1 FROM phone_numbers n WHERE n.user_id = u.id AND n.used_for_mfa AND n.verified_at IS NOT NULL);
