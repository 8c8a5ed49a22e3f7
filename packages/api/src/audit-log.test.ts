/**
 * The audit log stays fast at 100,000 events: rather than a timed test, each page query must walk an index in the
 * page's order (no sequential scan of audit_events), so a page reads about `limit` rows however deep the cursor is.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { auditEventsQuery, decodeAuditCursor, encodeAuditCursor, type AuditQueryParams } from "./audit-log.ts";

const db = useTestDb();
const EVENTS = 100_000;

async function plan(params: AuditQueryParams): Promise<string> {
  const result = (await db().db.execute(sql`explain ${auditEventsQuery(db().db, params)}`)) as unknown;
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, string>>;
  return rows.map((row) => Object.values(row)[0]).join("\n");
}

beforeAll(async () => {
  await db().query(`insert into audit_events (id, action, outcome, actor_user_id, organization_id, occurred_at)
    select 'aud_p' || g,
      (array['session.created','session.revoked','invitation.created','member.role_changed','user.updated','authorization.denied','organization.updated','domain.added'])[1 + g % 8],
      (array['success','success','success','failure','denied'])[1 + g % 5],
      'user_p' || (g % 2000),
      case when g % 10 = 0 then null else 'org_p' || (g % 50) end,
      timestamptz '2025-01-01T00:00:00Z' - (g || ' seconds')::interval
    from generate_series(1, ${EVENTS}) g`);
  await db().query("analyze audit_events");
}, 180_000);

const deep = { occurredAt: "2024-12-31T01:46:40.000000Z", id: "aud_p80000" };

describe("the audit log queries at 100,000 events", () => {
  const cases: Array<[string, AuditQueryParams, string | null]> = [
    ["an organization's first page", { scope: { organizationId: "org_p7" }, filters: {}, limit: 50 }, "audit_events_org_time_idx"],
    ["an organization's page deep in the log", { scope: { organizationId: "org_p7" }, filters: {}, limit: 50, cursor: { ...deep, direction: "older" } }, "audit_events_org_time_idx"],
    ["an organization's previous page", { scope: { organizationId: "org_p7" }, filters: {}, limit: 50, cursor: { ...deep, direction: "newer" } }, "audit_events_org_time_idx"],
    ["an organization's events by action prefix", { scope: { organizationId: "org_p7" }, filters: { action: "session." }, limit: 50 }, "audit_events_org_time_idx"],
    ["the instance's first page", { scope: { instance: true }, filters: {}, limit: 50 }, "audit_events_time_idx"],
    ["the instance's page deep in the log", { scope: { instance: true }, filters: {}, limit: 50, cursor: { ...deep, direction: "older" } }, "audit_events_time_idx"],
    ["the instance's events in a date range", { scope: { instance: true }, filters: { from: new Date("2024-12-31T10:00:00Z"), to: new Date("2024-12-31T12:00:00Z") }, limit: 50 }, "audit_events_time_idx"],
    ["the instance's events by one actor", { scope: { instance: true }, filters: { actorUserId: "user_p17" }, limit: 50 }, "audit_events_actor_time_idx"],
    ["the instance's events with a rare exact action", { scope: { instance: true }, filters: { action: "nothing.here" }, limit: 50 }, "audit_events_action_time_idx"],
    ["an organization's events by one actor", { scope: { organizationId: "org_p7" }, filters: { actorUserId: "user_p17" }, limit: 50 }, null],
    ["an organization's events with an exact action", { scope: { organizationId: "org_p7" }, filters: { action: "domain.added" }, limit: 50 }, null],
  ];
  for (const [label, params, index] of cases) {
    it(`reads ${label} through an index${index ? ` (${index})` : ""}, never a sequential scan`, async () => {
      const text = await plan(params);
      if (index) expect(text).toContain(index);
      expect(text).not.toMatch(/Seq Scan on audit_events/);
    });
  }
});

describe("audit cursors", () => {
  it("round-trip and refuse anything that isn't one", () => {
    const cursor = { occurredAt: "2025-01-01T00:00:00.123456Z", id: "aud_abc", direction: "newer" as const };
    expect(decodeAuditCursor(encodeAuditCursor(cursor))).toEqual(cursor);
    for (const bad of ["", "garbage", Buffer.from("o|2025-01-01|aud_x").toString("base64url"), Buffer.from("x|2025-01-01T00:00:00.123456Z|aud_x").toString("base64url"), Buffer.from("o|2025-01-01T00:00:00.123456Z|user_x").toString("base64url"), Buffer.from("o|2025-01-01T00:00:00.123456Z|aud_x|more").toString("base64url")]) {
      expect(decodeAuditCursor(bad), bad).toBeNull();
    }
  });
});
