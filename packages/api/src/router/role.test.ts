import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { addMember, callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();

/** A signed-in instance administrator (the flag is set by the operator; there is no procedure for it yet). */
async function instanceAdmin() {
  const user = await signUp(db(), uniqueEmail("instance-admin"));
  await db().query(`update users set is_instance_admin = true where id = '${user.userId}'`);
  return callerFor(db(), { token: user.token }).caller;
}

function roleKey(label: string) {
  return `org:${label}_${Math.random().toString(36).slice(2, 8)}`;
}

describe("role definitions", () => {
  it("are refused to everyone but instance admins, org admins included", async () => {
    const { admin, org } = await createOrgWithMember(db(), "NotInstance");
    const api = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const before = await countRows(db(), "roles");
    for (const call of [
      () => api.role.create({ key: roleKey("x"), name: "X", permissions: [] }),
      () => api.role.update({ key: "org:member", name: "Y" }),
      () => api.role.delete({ key: "org:member" }),
      () => api.role.permissions(),
      () => api.role.list(),
      () => api.role.createPermission({ key: "org:reports:read", name: "Read reports" }),
      () => api.role.deletePermission({ key: "org:reports:read" }),
    ]) {
      const error = await errorOf(call());
      expect(error.code).toBe("FORBIDDEN");
      expect(error.reason).toBe("INSTANCE_ADMIN_REQUIRED");
    }
    expect(await countRows(db(), "roles")).toBe(before);
    expect((await errorOf(callerFor(db()).caller.role.permissions())).code).toBe("UNAUTHORIZED");
  });

  it("let an instance admin create, update and delete a custom role and a custom permission", async () => {
    const root = await instanceAdmin();
    const permission = `org:reports_${Math.random().toString(36).slice(2, 6)}:read`;
    await root.role.createPermission({ key: permission, name: "Read reports" });
    expect((await root.role.permissions()).custom.map((p) => p.key)).toContain(permission);
    const key = roleKey("analyst");
    const created = await root.role.create({ key, name: "Analyst", description: "Reads reports", permissions: [permission, "org:projects:read", "org:sys_memberships:read"] });
    expect(created).toMatchObject({ key, name: "Analyst", isSystem: false });
    expect((await root.role.update({ key, name: "Senior analyst", permissions: ["org:projects:read"] })).permissions).toEqual(["org:projects:read"]);
    await root.role.deletePermission({ key: permission });
    await root.role.delete({ key });
    expect(await db().query(`select key from roles where key = '${key}'`)).toEqual([]);
    const audit = await db().query<{ action: string }>(`select action from audit_events where target_id in ('${key}', '${permission}') order by occurred_at, id`);
    expect(audit.map((a) => a.action)).toEqual(["permission.created", "role.created", "role.updated", "permission.deleted", "role.deleted"]);
  });

  it("refuse an unknown permission on the permissions field and write nothing", async () => {
    const root = await instanceAdmin();
    const key = roleKey("ghost");
    const before = await countRows(db(), "roles");
    for (const permissions of [["org:nothing:here"], ["org:projects:read", "org:sys_profile:fly"]]) {
      const error = await errorOf(root.role.create({ key, name: "Ghost", permissions }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.field).toBe("permissions");
      expect(error.reason).toBe("UNKNOWN_PERMISSION");
    }
    expect(await countRows(db(), "roles")).toBe(before);
  });

  it.each([
    ["role.create", { key: "org:admin", name: "Admin 2", permissions: [] }, "key"],
    ["role.create", { key: "org:member", name: "Member 2", permissions: [] }, "key"],
    ["role.create", { key: "admin", name: "No prefix", permissions: [] }, "key"],
    ["role.create", { key: "org:Bad Key", name: "Bad", permissions: [] }, "key"],
    ["role.create", { key: "org:fine", name: "", permissions: [] }, "name"],
    ["role.create", { key: "org:fine", name: "Fine", permissions: ["not a permission"] }, "permissions"],
    ["role.create", { key: "org:fine", name: "Fine", permissions: "org:projects:read" }, "permissions"],
    ["role.update", { key: "org:fine", permissions: ["org:x"] }, "permissions"],
    ["role.update", { key: 3 }, "key"],
    ["role.delete", { key: "" }, "key"],
    ["role.createPermission", { key: "org:sys_billing:read", name: "System" }, "key"],
    ["role.createPermission", { key: "org:projects:read", name: "Already in code" }, "key"],
    ["role.createPermission", { key: "org:reports", name: "Two parts" }, "key"],
    ["role.createPermission", { key: "org:reports:read", name: "x".repeat(65) }, "name"],
    ["role.deletePermission", { key: "nope" }, "key"],
  ])("%s refuses bad input %# naming the field and writes nothing", async (path, input, field) => {
    const root = await instanceAdmin();
    const [namespace, name] = path.split(".") as [string, string];
    const before = [await countRows(db(), "roles"), await countRows(db(), "custom_permissions")];
    const api = root as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>;
    const error = await errorOf(api[namespace]![name]!(input));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect([await countRows(db(), "roles"), await countRows(db(), "custom_permissions")]).toEqual(before);
  });

  it("refuse a duplicate role key as a conflict on the key field", async () => {
    const root = await instanceAdmin();
    const key = roleKey("twin");
    await root.role.create({ key, name: "Twin", permissions: [] });
    const error = await errorOf(root.role.create({ key, name: "Twin 2", permissions: [] }));
    expect(error.code).toBe("CONFLICT");
    expect(error.field).toBe("key");
  });

  it("never change or delete a system role", async () => {
    const root = await instanceAdmin();
    for (const call of [() => root.role.update({ key: "org:member", permissions: [] }), () => root.role.delete({ key: "org:member" })]) {
      expect((await errorOf(call())).reason).toBe("SYSTEM_ROLE");
    }
    const [member] = await db().query<{ permissions: string[] }>(`select permissions from roles where key = 'org:member'`);
    expect(member!.permissions).toEqual(["org:sys_memberships:read", "org:projects:read"]);
  });

  it("refuse to delete a role a member holds, and a permission a role grants", async () => {
    const root = await instanceAdmin();
    const permission = `org:audit_${Math.random().toString(36).slice(2, 6)}:read`;
    await root.role.createPermission({ key: permission, name: "Read audit" });
    const key = roleKey("auditor");
    await root.role.create({ key, name: "Auditor", permissions: [permission] });
    const { org } = await createOrgWithMember(db(), "Held");
    const holder = await signUp(db(), uniqueEmail("holder"));
    await addMember(db(), org.id, holder.userId, key);
    expect((await errorOf(root.role.delete({ key }))).reason).toBe("ROLE_IN_USE");
    expect((await errorOf(root.role.deletePermission({ key: permission }))).reason).toBe("PERMISSION_IN_USE");
    expect(await db().query(`select key from roles where key = '${key}'`)).toHaveLength(1);
    expect(await db().query(`select key from custom_permissions where key = '${permission}'`)).toHaveLength(1);
  });

  it("change a member's rights on their very next request when the role changes", async () => {
    const root = await instanceAdmin();
    const key = roleKey("builder");
    await root.role.create({ key, name: "Builder", permissions: ["org:projects:read"] });
    const { org } = await createOrgWithMember(db(), "Live");
    const builder = await signUp(db(), uniqueEmail("builder"));
    await addMember(db(), org.id, builder.userId, key);
    const api = () => callerFor(db(), { token: builder.token, orgSlug: org.slug }).caller;
    expect((await errorOf(api().project.create({ name: "Too early" }))).code).toBe("FORBIDDEN");
    await root.role.update({ key, permissions: ["org:projects:read", "org:projects:manage"] });
    const project = await api().project.create({ name: "Now allowed" });
    expect(project.name).toBe("Now allowed");
    await root.role.update({ key, permissions: ["org:projects:read"] });
    expect((await errorOf(api().project.create({ name: "Taken away" }))).code).toBe("FORBIDDEN");
  });

  it("are listed for the admin console, system roles first, with permissions and how many hold each", async () => {
    const root = await instanceAdmin();
    const key = roleKey("lister");
    await root.role.create({ key, name: "Lister", description: "Lists things", permissions: ["org:projects:read"] });
    const { org } = await createOrgWithMember(db(), "Listed");
    const holder = await signUp(db(), uniqueEmail("lister"));
    await addMember(db(), org.id, holder.userId, key);
    const list = await root.role.list();
    expect(list.slice(0, 2).map((r) => [r.key, r.isSystem])).toEqual([
      ["org:admin", true],
      ["org:member", true],
    ]);
    expect(list.find((r) => r.key === key)).toEqual({ key, name: "Lister", description: "Lists things", permissions: ["org:projects:read"], isSystem: false, holders: 1 });
    expect(list.find((r) => r.key === "org:admin")!.permissions).toContain("org:sys_profile:delete");
  });

  it("are listed for role pickers with their permissions, to any member", async () => {
    const root = await instanceAdmin();
    const key = roleKey("viewer");
    await root.role.create({ key, name: "Viewer", permissions: ["org:projects:read"] });
    const { member, org } = await createOrgWithMember(db(), "Picker");
    const list = await callerFor(db(), { token: member.token, orgSlug: org.slug }).caller.member.roles();
    expect(list.find((r) => r.key === key)).toMatchObject({ name: "Viewer", permissions: ["org:projects:read"], isSystem: false });
    expect(list.find((r) => r.key === "org:admin")).toMatchObject({ isSystem: true });
  });
});

describe("granting custom roles", () => {
  it("lets an org admin grant a custom role, but a custom manager can't grant rights it lacks", async () => {
    const root = await instanceAdmin();
    const managerKey = roleKey("manager");
    const builderKey = roleKey("builder");
    await root.role.create({ key: managerKey, name: "Manager", permissions: ["org:sys_memberships:read", "org:sys_memberships:manage", "org:projects:read"] });
    await root.role.create({ key: builderKey, name: "Builder", permissions: ["org:projects:read", "org:projects:manage"] });
    const { admin, member, org } = await createOrgWithMember(db(), "Grant");
    const asAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const members = await asAdmin.member.list();
    const memberId = members.members.find((m) => m.userId === member.userId)!.id;
    await asAdmin.member.setRole({ membershipId: memberId, roleKey: managerKey });
    const asManager = () => callerFor(db(), { token: member.token, orgSlug: org.slug }).caller;
    const newcomer = await signUp(db(), uniqueEmail("newcomer"));
    const newcomerId = await addMember(db(), org.id, newcomer.userId, "org:member");
    expect((await errorOf(asManager().member.setRole({ membershipId: newcomerId, roleKey: builderKey }))).reason).toBe("ROLE_ESCALATION");
    expect((await errorOf(asManager().invitation.create({ emails: [uniqueEmail("inv")], roleKey: builderKey }))).reason).toBe("ROLE_ESCALATION");
    // Within its own rights it may: org:member holds only what the manager holds.
    await asManager().member.setRole({ membershipId: newcomerId, roleKey: "org:member" });
  });
});
