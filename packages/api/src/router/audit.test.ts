import { describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { auditEvents, type DbHandle } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { openAuditExport } from "../audit-export.ts";
import { callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();

async function instanceAdmin(handle: DbHandle) {
  const root = await signUp(handle, uniqueEmail("root"));
  await handle.query(`update users set is_instance_admin = true where id = '${root.userId}'`);
  return root;
}

/** An event written straight into the log, as any code path would through recordAuditEvent. */
async function insertEvent(handle: DbHandle, values: Partial<typeof auditEvents.$inferInsert> & { action: string }) {
  const [row] = await handle.db.insert(auditEvents).values({ outcome: "success", ...values }).returning();
  return row!;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("audit.listForOrganization", () => {
  it("shows an org admin their organization's events, newest first, with the actor's name and address", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Audited");
    const asAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    await asAdmin.invitation.create({ emails: [uniqueEmail("invitee")], roleKey: "org:member" });
    const page = await asAdmin.audit.listForOrganization({});
    expect(page.events.length).toBeGreaterThan(0);
    expect(page.events.every((e) => e.organizationId === org.id)).toBe(true);
    const invited = page.events.find((e) => e.action === "invitation.created");
    expect(invited?.actor).toEqual({ type: "user", userId: admin.userId, name: "Ada", email: admin.email, exists: true });
    const times = page.events.map((e) => e.occurredAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("never shows another organization's events or instance-level events", async () => {
    const mine = await createOrgWithMember(db(), "Mine");
    const theirs = await createOrgWithMember(db(), "Theirs");
    await insertEvent(db(), { action: "secret.theirs", organizationId: theirs.org.id });
    await insertEvent(db(), { action: "secret.instance", organizationId: null, actorUserId: mine.admin.userId });
    const asAdmin = callerFor(db(), { token: mine.admin.token, orgSlug: mine.org.slug }).caller;
    const everything = await asAdmin.audit.listForOrganization({ limit: 100 });
    expect(everything.events.map((e) => e.action)).not.toContain("secret.theirs");
    expect(everything.events.map((e) => e.action)).not.toContain("secret.instance");
    expect(JSON.stringify(everything)).not.toContain(theirs.org.id);
    // Filtering by the other org's admin finds nothing of theirs either.
    const byThem = await asAdmin.audit.listForOrganization({ actor: theirs.admin.email });
    expect(byThem.events).toEqual([]);
  });

  it("refuses a plain member, a member of another organization and an anonymous caller", async () => {
    const { member, org } = await createOrgWithMember(db(), "Closed");
    const other = await createOrgWithMember(db(), "Elsewhere");
    const asMember = callerFor(db(), { token: member.token, orgSlug: org.slug }).caller;
    expect(await errorOf(asMember.audit.listForOrganization({}))).toMatchObject({ code: "FORBIDDEN", reason: "PERMISSION_DENIED" });
    const asOutsider = callerFor(db(), { token: other.admin.token, orgSlug: org.slug }).caller;
    expect(await errorOf(asOutsider.audit.listForOrganization({}))).toMatchObject({ code: "FORBIDDEN", reason: "NOT_A_MEMBER" });
    const anonymous = callerFor(db(), { orgSlug: org.slug }).caller;
    expect(await errorOf(anonymous.audit.listForOrganization({}))).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("a demoted admin loses the right on the very next request", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Demote");
    const asAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const members = await asAdmin.member.list();
    const memberRow = members.members.find((m) => m.userId === member.userId)!;
    await asAdmin.member.setRole({ membershipId: memberRow.id, roleKey: "org:admin" });
    const asPromoted = () => callerFor(db(), { token: member.token, orgSlug: org.slug }).caller;
    await expect(asPromoted().audit.listForOrganization({})).resolves.toBeTruthy();
    await asAdmin.member.setRole({ membershipId: memberRow.id, roleKey: "org:member" });
    expect(await errorOf(asPromoted().audit.listForOrganization({}))).toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("audit.listForInstance", () => {
  it("shows instance admins every event, including other organizations' and instance-level ones", async () => {
    const root = await instanceAdmin(db());
    const { org } = await createOrgWithMember(db(), "Anywhere");
    await insertEvent(db(), { action: "instance.only", organizationId: null });
    const api = callerFor(db(), { token: root.token }).caller;
    const page = await api.audit.listForInstance({ action: "instance.only" });
    expect(page.events.map((e) => e.action)).toEqual(["instance.only"]);
    const orgEvents = await api.audit.listForInstance({ action: "organization.created" });
    expect(orgEvents.events.some((e) => e.organizationId === org.id)).toBe(true);
  });

  it("refuses org admins and everyone else, and records the refusal", async () => {
    const { admin, org } = await createOrgWithMember(db(), "NotRoot");
    const asOrgAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    expect(await errorOf(asOrgAdmin.audit.listForInstance({}))).toMatchObject({ code: "FORBIDDEN", reason: "INSTANCE_ADMIN_REQUIRED" });
    expect(await errorOf(callerFor(db()).caller.audit.listForInstance({}))).toMatchObject({ code: "UNAUTHORIZED" });
    const [denied] = await db().db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.action} = 'authorization.denied' and ${auditEvents.actorUserId} = ${admin.userId}`);
    expect(denied?.outcome).toBe("denied");
  });
});

describe("filters", () => {
  it("filter by actor id or email, exact action, action prefix, outcome and a UTC date range", async () => {
    const root = await instanceAdmin(db());
    const alice = await signUp(db(), uniqueEmail("alice"));
    const tag = `f${Math.random().toString(36).slice(2, 8)}`;
    await insertEvent(db(), { action: `${tag}.one`, actorUserId: alice.userId, occurredAt: new Date("2024-03-01T10:00:00Z") });
    await insertEvent(db(), { action: `${tag}.two`, actorUserId: alice.userId, outcome: "failure", occurredAt: new Date("2024-03-02T23:59:59Z") });
    await insertEvent(db(), { action: `${tag}.two`, actorUserId: root.userId, outcome: "denied", occurredAt: new Date("2024-03-03T00:00:00Z") });
    await insertEvent(db(), { action: `${tag}x.other`, actorUserId: root.userId, occurredAt: new Date("2024-03-03T00:00:00Z") });
    const api = callerFor(db(), { token: root.token }).caller;
    const actions = async (input: Record<string, unknown>) => (await api.audit.listForInstance({ action: `${tag}.`, ...input })).events.map((e) => `${e.action}/${e.outcome}`);

    expect(await actions({})).toEqual([`${tag}.two/denied`, `${tag}.two/failure`, `${tag}.one/success`]);
    expect(await actions({ actor: alice.userId })).toEqual([`${tag}.two/failure`, `${tag}.one/success`]);
    expect(await actions({ actor: alice.email.toUpperCase() })).toEqual([`${tag}.two/failure`, `${tag}.one/success`]);
    expect(await actions({ actor: "nobody@example.test" })).toEqual([]);
    expect(await actions({ action: `${tag}.two` })).toEqual([`${tag}.two/denied`, `${tag}.two/failure`]);
    expect(await actions({ outcome: "failure" })).toEqual([`${tag}.two/failure`]);
    // A bare "to" date includes that whole day (UTC); a date-time is inclusive to the second.
    expect(await actions({ from: "2024-03-02", to: "2024-03-02" })).toEqual([`${tag}.two/failure`]);
    expect(await actions({ from: "2024-03-01T10:00:00Z", to: "2024-03-01T10:00:00Z" })).toEqual([`${tag}.one/success`]);
    expect(await actions({ from: "2024-03-03T01:00:00+01:00" })).toEqual([`${tag}.two/denied`]);
    // `_` in a prefix matches itself, not any character (and `%` is not accepted at all).
    expect((await api.audit.listForInstance({ action: `${tag.slice(0, -1)}_.` })).events).toEqual([]);
    expect((await errorOf(api.audit.listForInstance({ action: "%." }))).code).toBe("BAD_REQUEST");
  });

  it("bad input is a 400 naming the field and reads nothing", async () => {
    const root = await instanceAdmin(db());
    const api = callerFor(db(), { token: root.token }).caller;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ from: "yesterday" }, "from"],
      [{ from: "2024-02-30" }, "from"],
      [{ to: "2024-13-01T00:00:00Z" }, "to"],
      [{ to: "2024-01-01T25:00:00Z" }, "to"],
      [{ from: "2024-01-01T00:00:00" }, "from"],
      [{ from: "2024-05-01", to: "2024-04-01" }, "to"],
      [{ action: "x".repeat(10_000) }, "action"],
      [{ action: "drop table; --" }, "action"],
      [{ actor: "a".repeat(100_000) }, "actor"],
      [{ outcome: "maybe" }, "outcome"],
      [{ cursor: "not-a-cursor" }, "cursor"],
      [{ cursor: "x".repeat(5000) }, "cursor"],
      [{ limit: 101 }, "limit"],
      [{ limit: 0 }, "limit"],
    ];
    for (const [input, field] of cases) {
      const error = await errorOf(api.audit.listForInstance(input as never));
      expect(error.code, JSON.stringify(input).slice(0, 80)).toBe("BAD_REQUEST");
      expect(error.message, field).toMatch(new RegExp(`^${field}: `));
      expect(error.message).not.toMatch(/select|postgres|at .*\.ts/i);
    }
  });
});

describe("pagination", () => {
  it("pages newest first by (occurred_at, id) with equal timestamps, stays stable while new events arrive, and goes back", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Paged");
    const same = new Date("2020-06-01T12:00:00.123456Z");
    for (let i = 0; i < 25; i++) {
      await insertEvent(db(), { action: "page.test", organizationId: org.id, occurredAt: i < 10 ? same : new Date(same.getTime() - i * 1000) });
    }
    const api = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const first = await api.audit.listForOrganization({ action: "page.test", limit: 10 });
    expect(first.events).toHaveLength(10);
    expect(first.prevCursor).toBeNull();
    // New events arrive between page loads: they are newer, so the next pages neither repeat nor skip anything.
    for (let i = 0; i < 5; i++) await insertEvent(db(), { action: "page.test", organizationId: org.id, occurredAt: new Date() });
    const second = await api.audit.listForOrganization({ action: "page.test", limit: 10, cursor: first.nextCursor! });
    const third = await api.audit.listForOrganization({ action: "page.test", limit: 10, cursor: second.nextCursor! });
    expect(third.events).toHaveLength(5);
    expect(third.nextCursor).toBeNull();
    const ids = [...first.events, ...second.events, ...third.events].map((e) => e.id);
    expect(new Set(ids).size).toBe(25);
    // Back from the third page is exactly the second; back from the second reaches the newest events.
    const back = await api.audit.listForOrganization({ action: "page.test", limit: 10, cursor: third.prevCursor! });
    expect(back.events.map((e) => e.id)).toEqual(second.events.map((e) => e.id));
    const top = await api.audit.listForOrganization({ action: "page.test", limit: 10, cursor: back.prevCursor! });
    expect(top.events.map((e) => e.id)).toEqual([...(await api.audit.listForOrganization({ action: "page.test", limit: 15 })).events.map((e) => e.id)].slice(5, 15));
    expect(top.prevCursor).not.toBeNull();
  });
});

describe("the audit log is append-only", () => {
  it("refuses UPDATE, DELETE and TRUNCATE through drizzle and nothing changes", async () => {
    const row = await insertEvent(db(), { action: "immutable.test", details: { n: 1 } });
    const before = await countRows(db(), "audit_events");
    await expect(db().db.update(auditEvents).set({ action: "rewritten", outcome: "failure" }).where(eq(auditEvents.id, row.id))).rejects.toThrow();
    await expect(db().db.update(auditEvents).set({ details: {} })).rejects.toThrow();
    await expect(db().db.delete(auditEvents).where(eq(auditEvents.id, row.id))).rejects.toThrow();
    await expect(db().db.delete(auditEvents)).rejects.toThrow();
    await expect(db().db.execute(sql`truncate audit_events`)).rejects.toThrow();
    const [still] = await db().db.select().from(auditEvents).where(eq(auditEvents.id, row.id));
    expect(still).toEqual(row);
    expect(await countRows(db(), "audit_events")).toBe(before);
  });
});

describe("the JSON Lines export", () => {
  it("streams the org's filtered events as JSON Lines and records the export", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Exported");
    const other = await createOrgWithMember(db(), "NotExported");
    const asAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug });
    for (let i = 0; i < 3; i++) await asAdmin.caller.invitation.create({ emails: [uniqueEmail("export")], roleKey: "org:member" });
    await insertEvent(db(), { action: "invitation.created", organizationId: other.org.id });
    const exported = await openAuditExport(asAdmin.ctx, "organization", { action: "invitation." });
    expect(exported.filename).toMatch(new RegExp(`^audit-${org.slug}-\\d{4}-\\d{2}-\\d{2}\\.jsonl$`));
    const lines = (await readAll(exported.body)).trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).toMatchObject({ action: "invitation.created", outcome: "success", organization_id: org.id, actor: { type: "user", user_id: admin.userId } });
      expect(line.occurred_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    const [recorded] = await db().db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.action} = 'audit.exported' and ${auditEvents.organizationId} = ${org.id}`);
    expect(recorded).toMatchObject({ actorUserId: admin.userId, outcome: "success", details: { scope: "organization", filters: { action: "invitation." } } });
  });

  it("streams more than one batch of events without losing or repeating any", async () => {
    const root = await instanceAdmin(db());
    const tag = `bulk${Math.random().toString(36).slice(2, 6)}`;
    await db().query(
      `insert into audit_events (id, action, outcome, occurred_at) select 'aud_${tag}' || g, '${tag}.event', 'success', now() - (g % 7 || ' seconds')::interval from generate_series(1, 1203) as g`,
    );
    const { ctx } = callerFor(db(), { token: root.token });
    const exported = await openAuditExport(ctx, "instance", { action: `${tag}.` });
    const ids = (await readAll(exported.body)).trimEnd().split("\n").map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toHaveLength(1203);
    expect(new Set(ids).size).toBe(1203);
  });

  it("refuses whoever can't see the view, and bad filters, before recording or streaming anything", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "NoExport");
    const before = await countRows(db(), "audit_events where action = 'audit.exported'");
    const asMember = callerFor(db(), { token: member.token, orgSlug: org.slug }).ctx;
    expect(await errorOf(openAuditExport(asMember, "organization", {}))).toMatchObject({ code: "FORBIDDEN" });
    const asOrgAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).ctx;
    expect(await errorOf(openAuditExport(asOrgAdmin, "instance", {}))).toMatchObject({ code: "FORBIDDEN" });
    expect(await errorOf(openAuditExport(callerFor(db(), { orgSlug: org.slug }).ctx, "organization", {}))).toMatchObject({ code: "UNAUTHORIZED" });
    const bad = await errorOf(openAuditExport(asOrgAdmin, "organization", { from: "not a date" }));
    expect(bad).toMatchObject({ code: "BAD_REQUEST" });
    expect(bad.message).toMatch(/^from: /);
    expect(await countRows(db(), "audit_events where action = 'audit.exported'")).toBe(before);
  });
});
