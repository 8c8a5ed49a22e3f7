-- A member's role keys and the union of their roles' permissions, materialised on `memberships` so the per-request
-- auth lookup reads two columns instead of joining roles. Triggers keep them exact in the same transaction as any
-- change, so a new role, a removed role or an edited role applies on the very next request.
CREATE OR REPLACE FUNCTION latchkey_refresh_membership_rights(target text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Serialise concurrent changes to one membership and wait for concurrent edits of its roles; the UPDATE below is a
  -- new statement, so under READ COMMITTED it takes a fresh snapshot that sees all of them.
  PERFORM 1 FROM memberships WHERE id = target FOR UPDATE;
  PERFORM 1 FROM roles r JOIN membership_roles mr ON mr.role_id = r.id WHERE mr.membership_id = target FOR SHARE OF r;
  UPDATE memberships m SET
    role_keys = coalesce(
      (SELECT array_agg(r.key ORDER BY r.key) FROM membership_roles mr JOIN roles r ON r.id = mr.role_id
        WHERE mr.membership_id = m.id),
      '{}'::text[]),
    permissions = coalesce(
      (SELECT array_agg(DISTINCT p.permission ORDER BY p.permission)
        FROM membership_roles mr JOIN roles r ON r.id = mr.role_id
        CROSS JOIN LATERAL unnest(r.permissions) AS p(permission)
        WHERE mr.membership_id = m.id),
      '{}'::text[])
  WHERE m.id = target;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_membership_roles_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM latchkey_refresh_membership_rights(NEW.membership_id);
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    PERFORM latchkey_refresh_membership_rights(OLD.membership_id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER membership_roles_refresh_rights
  AFTER INSERT OR UPDATE OR DELETE ON "membership_roles"
  FOR EACH ROW EXECUTE FUNCTION latchkey_membership_roles_changed();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latchkey_role_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM latchkey_refresh_membership_rights(mr.membership_id)
    FROM membership_roles mr WHERE mr.role_id = NEW.id ORDER BY mr.membership_id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER roles_refresh_rights
  AFTER UPDATE OF "key", "permissions" ON "roles"
  FOR EACH ROW WHEN (OLD."key" IS DISTINCT FROM NEW."key" OR OLD."permissions" IS DISTINCT FROM NEW."permissions")
  EXECUTE FUNCTION latchkey_role_changed();
--> statement-breakpoint
SELECT latchkey_refresh_membership_rights(id) FROM memberships;
