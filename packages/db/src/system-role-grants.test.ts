/**
 * Grants in code: `migrate()` gives the system roles what `defaultRolePermissions` declares, idempotently, without
 * ever removing a grant an instance admin added, and the members holding those roles get the rights at once.
 */
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { defaultRolePermissions } from "../../auth/src/permissions.ts";
import { useTestDb } from "./testing.ts";
import { syncSystemRoleGrants } from "./migrate.ts";
import { membershipRoles, memberships, organizations, roles, users } from "./schema.ts";

const db = useTestDb();

async function grantsOf(key: string) {
  const [row] = await db().db.select({ permissions: roles.permissions, updatedAt: roles.updatedAt }).from(roles).where(eq(roles.key, key));
  return row!;
}

async function memberOf(roleKey: string) {
  const [user] = await db().db.insert(users).values({}).returning();
  const [org] = await db().db.insert(organizations).values({ name: "Org", slug: `org-${Math.random().toString(36).slice(2, 9)}` }).returning();
  const [membership] = await db().db.insert(memberships).values({ organizationId: org!.id, userId: user!.id }).returning();
  const [role] = await db().db.select({ id: roles.id }).from(roles).where(eq(roles.key, roleKey));
  await db().db.insert(membershipRoles).values({ membershipId: membership!.id, roleId: role!.id });
  return membership!.id;
}

async function permissionsOf(membershipId: string) {
  const [row] = await db().db.select({ permissions: memberships.permissions }).from(memberships).where(eq(memberships.id, membershipId));
  return row!.permissions;
}

describe("the system roles' grants declared in code", () => {
  it("are all held by the system roles after migrating", async () => {
    for (const [key, declared] of Object.entries(defaultRolePermissions)) {
      expect((await grantsOf(key)).permissions, key).toEqual(expect.arrayContaining([...declared]));
    }
  });

  it("add a newly declared permission to the role and to its members' rights, and keep custom grants", async () => {
    const membershipId = await memberOf("org:member");
    await db().query(`update roles set permissions = array_append(permissions, 'org:reports:read') where key = 'org:member'`);
    await syncSystemRoleGrants(db().db, { "org:member": [...defaultRolePermissions["org:member"], "org:projects:archive"] });
    const after = await grantsOf("org:member");
    expect(after.permissions).toEqual(expect.arrayContaining(["org:projects:archive", "org:reports:read", ...defaultRolePermissions["org:member"]]));
    expect(await permissionsOf(membershipId)).toEqual(expect.arrayContaining(["org:projects:archive", "org:reports:read"]));
  });

  it("change nothing when every declared permission is already granted", async () => {
    const before = await grantsOf("org:admin");
    await syncSystemRoleGrants(db().db);
    await syncSystemRoleGrants(db().db);
    expect(await grantsOf("org:admin")).toEqual(before);
  });

  it("never remove a permission that is no longer declared", async () => {
    await syncSystemRoleGrants(db().db, { "org:admin": ["org:projects:read"] });
    expect((await grantsOf("org:admin")).permissions).toEqual(expect.arrayContaining([...defaultRolePermissions["org:admin"]]));
  });
});
