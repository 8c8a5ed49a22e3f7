-- System roles. `org:admin` holds every system permission; `org:member` may read the member list.
-- The example `projects` resource ships with its own permissions, granted here so a fresh instance works.
INSERT INTO "roles" ("id", "key", "name", "description", "permissions", "is_system") VALUES
  ('role_org_admin', 'org:admin', 'Admin', 'Manages the organization, its members and its settings.',
   ARRAY['org:sys_profile:manage', 'org:sys_profile:delete', 'org:sys_memberships:read', 'org:sys_memberships:manage',
         'org:sys_domains:read', 'org:sys_domains:manage', 'org:projects:read', 'org:projects:manage']::text[], true),
  ('role_org_member', 'org:member', 'Member', 'A regular member of the organization.',
   ARRAY['org:sys_memberships:read', 'org:projects:read']::text[], true)
ON CONFLICT ("key") DO NOTHING;
--> statement-breakpoint
-- The audit log is append-only: no code path may rewrite history, and the database refuses it too.
CREATE OR REPLACE FUNCTION latchkey_audit_events_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION latchkey_audit_events_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION latchkey_audit_events_append_only();
