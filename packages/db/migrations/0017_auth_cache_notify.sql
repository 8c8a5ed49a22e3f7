-- The in-process auth cache (packages/api/src/auth-cache.ts, ADR 023) is told what changed through NOTIFY on the
-- channel `latchkey_auth`, sent by these triggers in the writing transaction and delivered on commit. Payloads:
--   s:<session id>   that session's cached auth is dropped
--   u:<user id>      every cached session of that user is dropped (user row, primary email, memberships)
--   o:<org id>       every cached entry scoped to that organization, and every "no such organization" entry
--   *                everything (instance settings, roles)
-- A trigger fires on every column the auth lookup reads (auth-cache.test.ts compares the lookup's columns with this
-- list). Identical payloads in one transaction are folded into one notification by Postgres.

CREATE OR REPLACE FUNCTION latchkey_auth_notify_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('latchkey_auth', 's:' || OLD.id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER sessions_auth_notify AFTER UPDATE OF id, secret_hash, user_id, created_at, last_active_at,
  idle_expires_at, expires_at, active_organization_id, last_reverified_at, impersonator_user_id OR DELETE
  ON sessions FOR EACH ROW EXECUTE FUNCTION latchkey_auth_notify_session();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_auth_notify_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('latchkey_auth', 'u:' || OLD.id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER users_auth_notify AFTER UPDATE OF id, first_name, last_name, username, image_url, locale,
  is_instance_admin, banned_at, deleted_at, has_second_factor OR DELETE
  ON users FOR EACH ROW EXECUTE FUNCTION latchkey_auth_notify_user();
--> statement-breakpoint
-- email_addresses and memberships carry a user id: both the old and the new owner are told (a row may move).
CREATE OR REPLACE FUNCTION latchkey_auth_notify_user_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('latchkey_auth', 'u:' || OLD.user_id);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify('latchkey_auth', 'u:' || NEW.user_id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER email_addresses_auth_notify AFTER INSERT OR UPDATE OF user_id, email, is_primary OR DELETE
  ON email_addresses FOR EACH ROW EXECUTE FUNCTION latchkey_auth_notify_user_of_row();
--> statement-breakpoint
-- role_keys and permissions are rewritten by the membership-rights triggers (0003) on every role change, so a role
-- edit reaches here too, once per member.
CREATE TRIGGER memberships_auth_notify AFTER INSERT OR UPDATE OF id, user_id, organization_id, role_keys, permissions
  OR DELETE ON memberships FOR EACH ROW EXECUTE FUNCTION latchkey_auth_notify_user_of_row();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_auth_notify_organization() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM pg_notify('latchkey_auth', 'o:' || NEW.id);
  ELSE
    PERFORM pg_notify('latchkey_auth', 'o:' || OLD.id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- INSERT too: a cached "no organization by that slug" answer must not outlive the organization's creation.
CREATE TRIGGER organizations_auth_notify AFTER INSERT OR UPDATE OF id, slug, name, image_url, require_mfa OR DELETE
  ON organizations FOR EACH ROW EXECUTE FUNCTION latchkey_auth_notify_organization();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_auth_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('latchkey_auth', '*');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER instance_settings_auth_notify AFTER INSERT OR UPDATE OR DELETE
  ON instance_settings FOR EACH STATEMENT EXECUTE FUNCTION latchkey_auth_notify_all();
--> statement-breakpoint
-- Not read by the lookup (memberships carry the rights), but a role edit flushing everything is cheap and rare.
CREATE TRIGGER roles_auth_notify AFTER UPDATE OF key, permissions OR DELETE
  ON roles FOR EACH STATEMENT EXECUTE FUNCTION latchkey_auth_notify_all();
