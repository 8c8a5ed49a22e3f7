import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { useTestDb } from "./testing.ts";
import { membershipRoles, memberships, organizations, roles, users } from "./schema.ts";

const db = useTestDb();

async function setup() {
  const [user] = await db().db.insert(users).values({}).returning();
  const [org] = await db().db.insert(organizations).values({ name: "Org", slug: `org-${Math.random().toString(36).slice(2, 9)}` }).returning();
  const [membership] = await db().db.insert(memberships).values({ organizationId: org!.id, userId: user!.id }).returning();
  const [custom] = await db()
    .db.insert(roles)
    .values({ key: `org:r${Math.random().toString(36).slice(2, 9)}`, name: "Custom", permissions: ["org:reports:read", "org:projects:read"] })
    .returning();
  const rolesByKey = Object.fromEntries((await db().db.select().from(roles)).map((r) => [r.key, r]));
  return { membershipId: membership!.id, custom: custom!, member: rolesByKey["org:member"]!, admin: rolesByKey["org:admin"]! };
}

async function rights(membershipId: string) {
  const [row] = await db().db.select({ roleKeys: memberships.roleKeys, permissions: memberships.permissions }).from(memberships).where(eq(memberships.id, membershipId));
  return row!;
}

describe("membership rights kept by triggers", () => {
  it("follow roles being added to and removed from a membership", async () => {
    const { membershipId, custom, member } = await setup();
    expect(await rights(membershipId)).toEqual({ roleKeys: [], permissions: [] });
    await db().db.insert(membershipRoles).values([{ membershipId, roleId: member.id }, { membershipId, roleId: custom.id }]);
    const both = await rights(membershipId);
    expect(both.roleKeys).toEqual([custom.key, "org:member"].sort());
    expect(both.permissions).toEqual(["org:projects:read", "org:reports:read", "org:sys_memberships:read"]);
    await db().db.delete(membershipRoles).where(eq(membershipRoles.roleId, custom.id));
    expect(await rights(membershipId)).toEqual({ roleKeys: ["org:member"], permissions: ["org:projects:read", "org:sys_memberships:read"] });
  });

  it("follow a role's permissions being edited, for every member holding it", async () => {
    const a = await setup();
    const b = await setup();
    await db().db.insert(membershipRoles).values([{ membershipId: a.membershipId, roleId: a.custom.id }, { membershipId: b.membershipId, roleId: a.custom.id }]);
    await db().db.update(roles).set({ permissions: ["org:reports:export"] }).where(eq(roles.id, a.custom.id));
    expect((await rights(a.membershipId)).permissions).toEqual(["org:reports:export"]);
    expect((await rights(b.membershipId)).permissions).toEqual(["org:reports:export"]);
  });

  it("let a membership with roles be deleted", async () => {
    const { membershipId, admin } = await setup();
    await db().db.insert(membershipRoles).values({ membershipId, roleId: admin.id });
    await db().db.delete(memberships).where(eq(memberships.id, membershipId));
    expect(await db().db.select().from(memberships).where(eq(memberships.id, membershipId))).toEqual([]);
  });

  it("stay exact when one transaction removes a role while another adds one", async () => {
    if (db().kind !== "postgres") return; // PGlite has one connection: nothing runs concurrently there.
    const { membershipId, custom, member } = await setup();
    await db().db.insert(membershipRoles).values({ membershipId, roleId: custom.id });
    const { default: postgres } = await import("postgres");
    const a = postgres(db().url!, { max: 1 });
    const b = postgres(db().url!, { max: 1 });
    try {
      let releaseA!: () => void;
      const held = new Promise<void>((resolve) => (releaseA = resolve));
      const txA = a.begin(async (sql) => {
        await sql`delete from membership_roles where membership_id = ${membershipId} and role_id = ${custom.id}`;
        await held;
      });
      await new Promise((r) => setTimeout(r, 100));
      const txB = b.begin(async (sql) => {
        await sql`insert into membership_roles (membership_id, role_id) values (${membershipId}, ${member.id})`;
      });
      await new Promise((r) => setTimeout(r, 200));
      releaseA();
      await Promise.all([txA, txB]);
    } finally {
      await a.end();
      await b.end();
    }
    expect(await rights(membershipId)).toEqual({ roleKeys: ["org:member"], permissions: ["org:projects:read", "org:sys_memberships:read"] });
  });
});
