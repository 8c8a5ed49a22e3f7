DROP INDEX "audit_events_org_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_actor_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_time_idx";--> statement-breakpoint
CREATE INDEX "audit_events_action_time_idx" ON "audit_events" USING btree ("action","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_org_action_time_idx" ON "audit_events" USING btree ("organization_id","action","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_org_time_idx" ON "audit_events" USING btree ("organization_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_time_idx" ON "audit_events" USING btree ("actor_user_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_time_idx" ON "audit_events" USING btree ("occurred_at","id");--> statement-breakpoint
-- The organization's audit log is read with the system permission `org:sys_audit:read`, granted to admins. The role
-- trigger refreshes every admin's materialised permissions in the same transaction.
UPDATE "roles" SET "permissions" = array_append("permissions", 'org:sys_audit:read')
  WHERE "key" = 'org:admin' AND NOT ('org:sys_audit:read' = ANY ("permissions"));
