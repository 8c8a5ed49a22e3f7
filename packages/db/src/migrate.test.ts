import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { useTestDb } from "./testing.ts";
import { auditEvents, roles, users } from "./schema.ts";
import { createId } from "./ids.ts";
import { isUniqueViolation } from "./errors.ts";

const db = useTestDb();

describe("the migrated database", () => {
  it("has the system roles with their system permissions", async () => {
    const rows = await db().db.select().from(roles).orderBy(roles.key);
    expect(rows.map((r) => r.key)).toEqual(["org:admin", "org:member"]);
    const admin = rows[0]!;
    expect(admin.isSystem).toBe(true);
    expect(admin.permissions).toEqual(
      expect.arrayContaining([
        "org:sys_profile:manage",
        "org:sys_profile:delete",
        "org:sys_memberships:read",
        "org:sys_memberships:manage",
        "org:sys_domains:read",
        "org:sys_domains:manage",
        "org:sys_audit:read",
      ]),
    );
    expect(rows[1]!.permissions).toContain("org:sys_memberships:read");
    expect(rows[1]!.permissions).not.toContain("org:sys_memberships:manage");
    expect(rows[1]!.permissions).not.toContain("org:sys_audit:read");
  });

  it("gives new rows prefixed random ids", async () => {
    const [user] = await db().db.insert(users).values({}).returning();
    expect(user!.id).toMatch(/^user_[a-z2-7]{24}$/);
    expect(createId("session")).toMatch(/^sess_/);
    expect(createId("organization")).not.toBe(createId("organization"));
  });

  it("refuses to update or delete an audit event", async () => {
    const [event] = await db().db
      .insert(auditEvents)
      .values({ action: "test.event", outcome: "success" })
      .returning();
    await expect(
      db().db.update(auditEvents).set({ action: "rewritten" }).where(eq(auditEvents.id, event!.id)),
    ).rejects.toThrow();
    await expect(db().db.delete(auditEvents).where(eq(auditEvents.id, event!.id))).rejects.toThrow();
    const [still] = await db().db.select().from(auditEvents).where(eq(auditEvents.id, event!.id));
    expect(still!.action).toBe("test.event");
  });

  it("reports a duplicate slug as a unique violation on either driver", async () => {
    const { organizations } = await import("./schema.ts");
    await db().db.insert(organizations).values({ name: "A", slug: "dup" });
    const error = await db().db
      .insert(organizations)
      .values({ name: "B", slug: "dup" })
      .then(() => null, (e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });
});
