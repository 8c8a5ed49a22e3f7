-- The transactional outbox (ADR outbox-by-triggers): triggers write one `outbox_events` row per change to users,
-- sessions, organizations, memberships and invitations, inside the change's own transaction, so a rolled-back change
-- leaves no event and no code path can forget one. Events whose payload depends on rows written later in the same
-- transaction (a user's email addresses, a membership's roles) come from DEFERRABLE INITIALLY DEFERRED constraint
-- triggers, which run at COMMIT and read the final state. A transaction-local setting remembers what was already
-- emitted, so one transaction gives one `user.updated` however many statements touched the user.
-- Payloads follow Clerk's webhook objects (snake_case, times in epoch milliseconds) and never carry a hash or secret.

CREATE OR REPLACE FUNCTION latchkey_ms(ts timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN ts IS NULL THEN NULL ELSE floor(extract(epoch FROM ts) * 1000)::bigint END $$;
--> statement-breakpoint
-- Whether `key` was already emitted in this transaction; marks it when not. The setting is transaction-local.
CREATE OR REPLACE FUNCTION latchkey_outbox_once(key text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  seen text := coalesce(current_setting('latchkey.outbox_seen', true), '');
BEGIN
  IF position('|' || key || '|' IN seen) > 0 THEN
    RETURN false;
  END IF;
  PERFORM set_config('latchkey.outbox_seen', seen || '|' || key || '|', true);
  RETURN true;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_outbox_emit(event_type text, payload jsonb, org_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- clock_timestamp(), not now(): events of one transaction keep the order they happened in.
  INSERT INTO outbox_events (id, type, data, organization_id, occurred_at)
  VALUES ('evt_' || replace(gen_random_uuid()::text, '-', ''), event_type, payload, org_id, clock_timestamp());
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_user_json(uid text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', u.id,
    'object', 'user',
    'username', u.username,
    'first_name', u.first_name,
    'last_name', u.last_name,
    'image_url', u.image_url,
    'has_image', u.image_url IS NOT NULL,
    'locale', u.locale,
    'primary_email_address_id', (SELECT e.id FROM email_addresses e WHERE e.user_id = u.id AND e.is_primary LIMIT 1),
    'email_addresses', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
        'id', e.id,
        'object', 'email_address',
        'email_address', e.email,
        'verification', jsonb_build_object('status', CASE WHEN e.verified_at IS NULL THEN 'unverified' ELSE 'verified' END),
        'linked_to', '[]'::jsonb,
        'created_at', latchkey_ms(e.created_at)
      ) ORDER BY e.is_primary DESC, e.created_at, e.id)
      FROM email_addresses e WHERE e.user_id = u.id), '[]'::jsonb),
    'phone_numbers', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
        'id', p.id,
        'object', 'phone_number',
        'phone_number', p.phone,
        'verification', jsonb_build_object('status', CASE WHEN p.verified_at IS NULL THEN 'unverified' ELSE 'verified' END),
        'reserved_for_second_factor', p.used_for_mfa,
        'created_at', latchkey_ms(p.created_at)
      ) ORDER BY p.created_at, p.id)
      FROM phone_numbers p WHERE p.user_id = u.id), '[]'::jsonb),
    'password_enabled', EXISTS (SELECT 1 FROM password_credentials c WHERE c.user_id = u.id),
    'totp_enabled', EXISTS (SELECT 1 FROM totp_factors t WHERE t.user_id = u.id AND t.verified_at IS NOT NULL),
    'two_factor_enabled', EXISTS (SELECT 1 FROM totp_factors t WHERE t.user_id = u.id AND t.verified_at IS NOT NULL)
      OR EXISTS (SELECT 1 FROM phone_numbers p WHERE p.user_id = u.id AND p.used_for_mfa AND p.verified_at IS NOT NULL),
    'public_metadata', u.public_metadata,
    'private_metadata', u.private_metadata,
    'unsafe_metadata', u.unsafe_metadata,
    'banned', u.banned_at IS NOT NULL,
    'last_sign_in_at', latchkey_ms(u.last_sign_in_at),
    'created_at', latchkey_ms(u.created_at),
    'updated_at', latchkey_ms(u.updated_at)
  )
  FROM users u WHERE u.id = uid
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_organization_json(oid text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', o.id,
    'object', 'organization',
    'name', o.name,
    'slug', o.slug,
    'image_url', o.image_url,
    'has_image', o.image_url IS NOT NULL,
    'created_by', o.created_by,
    'max_allowed_memberships', o.max_memberships,
    'require_mfa', o.require_mfa,
    'public_metadata', o.public_metadata,
    'private_metadata', o.private_metadata,
    'created_at', latchkey_ms(o.created_at),
    'updated_at', latchkey_ms(o.updated_at)
  )
  FROM organizations o WHERE o.id = oid
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_membership_json(m memberships) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', m.id,
    'object', 'organization_membership',
    'role', m.role_keys[1],
    'role_name', (SELECT r.name FROM roles r WHERE r.key = m.role_keys[1]),
    'roles', to_jsonb(m.role_keys),
    'permissions', to_jsonb(m.permissions),
    'public_metadata', '{}'::jsonb,
    'private_metadata', '{}'::jsonb,
    'organization', coalesce(latchkey_organization_json(m.organization_id), jsonb_build_object('id', m.organization_id, 'object', 'organization')),
    'public_user_data', coalesce((
      SELECT jsonb_build_object(
        'user_id', u.id,
        'first_name', u.first_name,
        'last_name', u.last_name,
        'image_url', u.image_url,
        'has_image', u.image_url IS NOT NULL,
        'identifier', (SELECT e.email FROM email_addresses e WHERE e.user_id = u.id AND e.is_primary LIMIT 1)
      ) FROM users u WHERE u.id = m.user_id), jsonb_build_object('user_id', m.user_id)),
    'created_at', latchkey_ms(m.created_at),
    'updated_at', latchkey_ms(m.updated_at)
  )
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_invitation_json(i invitations) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', i.id,
    'object', 'organization_invitation',
    'email_address', i.email,
    'role', (SELECT r.key FROM roles r WHERE r.id = i.role_id),
    'role_name', (SELECT r.name FROM roles r WHERE r.id = i.role_id),
    'organization_id', i.organization_id,
    'inviter_user_id', i.inviter_user_id,
    'status', i.status,
    'public_metadata', '{}'::jsonb,
    'private_metadata', '{}'::jsonb,
    'expires_at', latchkey_ms(i.expires_at),
    'created_at', latchkey_ms(i.created_at),
    'updated_at', latchkey_ms(i.updated_at)
  )
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_session_json(s sessions, session_status text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', s.id,
    'object', 'session',
    'user_id', s.user_id,
    'client_id', NULL,
    'status', session_status,
    'last_active_organization_id', s.active_organization_id,
    'last_active_at', latchkey_ms(s.last_active_at),
    'expire_at', latchkey_ms(s.idle_expires_at),
    'abandon_at', latchkey_ms(s.expires_at),
    'created_at', latchkey_ms(s.created_at),
    'updated_at', latchkey_ms(s.last_active_at)
  )
$$;
--> statement-breakpoint
-- Users --------------------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION latchkey_outbox_user_deferred() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  uid text;
  live boolean;
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    uid := NEW.id;
  ELSIF TG_OP = 'DELETE' THEN
    uid := OLD.user_id;
  ELSE
    uid := NEW.user_id;
  END IF;
  -- At commit: the user as it finally is. Gone or deleted: user.deleted said it already.
  SELECT u.deleted_at IS NULL INTO live FROM users u WHERE u.id = uid;
  IF live IS NOT TRUE THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'users' AND TG_OP = 'INSERT' THEN
    IF latchkey_outbox_once('user:' || uid) THEN
      PERFORM latchkey_outbox_emit('user.created', latchkey_user_json(uid), NULL);
    END IF;
  ELSIF latchkey_outbox_once('user:' || uid) THEN
    PERFORM latchkey_outbox_emit('user.updated', latchkey_user_json(uid), NULL);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_outbox_user_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Soft deletion (deleted_at set) or removal of the row; a row soft-deleted earlier was announced then.
  IF OLD.deleted_at IS NULL THEN
    PERFORM latchkey_outbox_once('user:' || OLD.id);
    PERFORM latchkey_outbox_emit('user.deleted', jsonb_build_object('id', OLD.id, 'object', 'user', 'deleted', true), NULL);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER users_outbox_created AFTER INSERT ON "users"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_user_deferred();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER users_outbox_updated AFTER UPDATE ON "users"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.username, OLD.first_name, OLD.last_name, OLD.image_url, OLD.locale, OLD.public_metadata, OLD.private_metadata,
         OLD.unsafe_metadata, OLD.banned_at, OLD.is_instance_admin)
        IS DISTINCT FROM
        (NEW.username, NEW.first_name, NEW.last_name, NEW.image_url, NEW.locale, NEW.public_metadata, NEW.private_metadata,
         NEW.unsafe_metadata, NEW.banned_at, NEW.is_instance_admin))
  EXECUTE FUNCTION latchkey_outbox_user_deferred();
--> statement-breakpoint
CREATE TRIGGER users_outbox_soft_deleted AFTER UPDATE OF "deleted_at" ON "users"
  FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
  EXECUTE FUNCTION latchkey_outbox_user_deleted();
--> statement-breakpoint
CREATE TRIGGER users_outbox_deleted AFTER DELETE ON "users"
  FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_user_deleted();
--> statement-breakpoint
-- A user's email addresses, phone numbers, password and authenticator are part of the user object.
CREATE CONSTRAINT TRIGGER email_addresses_outbox AFTER INSERT OR UPDATE OR DELETE ON "email_addresses"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_user_deferred();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER phone_numbers_outbox AFTER INSERT OR UPDATE OR DELETE ON "phone_numbers"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_user_deferred();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER password_credentials_outbox AFTER INSERT OR DELETE ON "password_credentials"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_user_deferred();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER totp_factors_outbox AFTER INSERT OR DELETE OR UPDATE OF "verified_at" ON "totp_factors"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_user_deferred();
--> statement-breakpoint
-- Sessions -----------------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION latchkey_outbox_session() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM latchkey_outbox_emit('session.created', latchkey_session_json(NEW, 'active'), NULL);
  ELSE
    PERFORM latchkey_outbox_emit('session.revoked', latchkey_session_json(OLD, 'revoked'), NULL);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER sessions_outbox AFTER INSERT OR DELETE ON "sessions"
  FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_session();
--> statement-breakpoint
-- Organizations ------------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION latchkey_outbox_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  payload jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM latchkey_outbox_once('org:' || OLD.id);
    PERFORM latchkey_outbox_emit('organization.deleted', jsonb_build_object('id', OLD.id, 'object', 'organization', 'slug', OLD.slug, 'deleted', true), OLD.id);
    RETURN NULL;
  END IF;
  payload := latchkey_organization_json(NEW.id);
  IF payload IS NULL THEN
    RETURN NULL; -- deleted later in the same transaction
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF latchkey_outbox_once('org:' || NEW.id) THEN
      PERFORM latchkey_outbox_emit('organization.created', payload, NEW.id);
    END IF;
  ELSIF latchkey_outbox_once('org:' || NEW.id) THEN
    PERFORM latchkey_outbox_emit('organization.updated', payload, NEW.id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER organizations_outbox_created AFTER INSERT ON "organizations"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_organization();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER organizations_outbox_updated AFTER UPDATE ON "organizations"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.name, OLD.slug, OLD.image_url, OLD.public_metadata, OLD.private_metadata, OLD.max_memberships, OLD.require_mfa)
        IS DISTINCT FROM
        (NEW.name, NEW.slug, NEW.image_url, NEW.public_metadata, NEW.private_metadata, NEW.max_memberships, NEW.require_mfa))
  EXECUTE FUNCTION latchkey_outbox_organization();
--> statement-breakpoint
CREATE TRIGGER organizations_outbox_deleted AFTER DELETE ON "organizations"
  FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_organization();
--> statement-breakpoint
-- Memberships (their roles are materialised on the row by the membership-rights triggers) -----------------------------
CREATE OR REPLACE FUNCTION latchkey_outbox_membership() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  m memberships;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF latchkey_outbox_once('orgmem-deleted:' || OLD.id) THEN
      PERFORM latchkey_outbox_once('orgmem:' || OLD.id);
      PERFORM latchkey_outbox_emit('organizationMembership.deleted', latchkey_membership_json(OLD), OLD.organization_id);
    END IF;
    RETURN NULL;
  END IF;
  SELECT * INTO m FROM memberships WHERE id = NEW.id;
  IF NOT FOUND THEN
    RETURN NULL; -- removed later in the same transaction
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF latchkey_outbox_once('orgmem:' || m.id) THEN
      PERFORM latchkey_outbox_emit('organizationMembership.created', latchkey_membership_json(m), m.organization_id);
    END IF;
  ELSIF latchkey_outbox_once('orgmem:' || m.id) THEN
    PERFORM latchkey_outbox_emit('organizationMembership.updated', latchkey_membership_json(m), m.organization_id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER memberships_outbox_created AFTER INSERT ON "memberships"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_membership();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER memberships_outbox_updated AFTER UPDATE ON "memberships"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.role_keys, OLD.permissions) IS DISTINCT FROM (NEW.role_keys, NEW.permissions))
  EXECUTE FUNCTION latchkey_outbox_membership();
--> statement-breakpoint
CREATE TRIGGER memberships_outbox_deleted AFTER DELETE ON "memberships"
  FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_membership();
--> statement-breakpoint
-- Invitations --------------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION latchkey_outbox_invitation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM latchkey_outbox_emit('organizationInvitation.created', latchkey_invitation_json(NEW), NEW.organization_id);
  ELSIF NEW.status = 'accepted' THEN
    PERFORM latchkey_outbox_emit('organizationInvitation.accepted', latchkey_invitation_json(NEW), NEW.organization_id);
  ELSIF NEW.status = 'revoked' THEN
    PERFORM latchkey_outbox_emit('organizationInvitation.revoked', latchkey_invitation_json(NEW), NEW.organization_id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER invitations_outbox_created AFTER INSERT ON "invitations"
  FOR EACH ROW EXECUTE FUNCTION latchkey_outbox_invitation();
--> statement-breakpoint
CREATE TRIGGER invitations_outbox_status AFTER UPDATE OF "status" ON "invitations"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION latchkey_outbox_invitation();
