import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import type { DbHandle } from "@latchkey/db";
import { addMember, callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();

const api = (token: string, orgSlug: string) => callerFor(db(), { token, orgSlug }).caller;

async function membershipIdOf(handle: DbHandle, organizationId: string, userId: string): Promise<string> {
  const rows = await handle.query<{ id: string }>(`select id from memberships where organization_id = '${organizationId}' and user_id = '${userId}'`);
  return rows[0]!.id;
}

async function auditActions(handle: DbHandle, organizationId: string, action: string) {
  return handle.query<{ outcome: string; details: Record<string, unknown> }>(
    `select outcome, details from audit_events where organization_id = '${organizationId}' and action = '${action}' order by occurred_at, id`,
  );
}

/** A custom role for escalation tests: it may manage memberships but holds none of the project rights. */
async function createRole(handle: DbHandle, key: string, permissions: string[]) {
  const list = permissions.map((p) => `'${p}'`).join(", ");
  await handle.query(`insert into roles (id, key, name, permissions) values ('role_${key.replace(/\W/g, "_")}', '${key}', '${key}', array[${list}]::text[]) on conflict (key) do nothing`);
}

describe("member.list", () => {
  it("lists the organization's members with name, primary address, roles and joined date, oldest first", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "List");
    const { members, nextCursor } = await api(member.token, org.slug).member.list();
    expect(nextCursor).toBeNull();
    expect(members.map((m) => [m.email, m.firstName, m.roles])).toEqual([
      [admin.email, "Ada", ["org:admin"]],
      [member.email, "Max", ["org:member"]],
    ]);
    expect(members[0]!.joinedAt).toBeInstanceOf(Date);
    expect(JSON.stringify(members)).not.toMatch(/hash|password/i);
  });

  it("searches names and addresses case-insensitively, with % and _ taken literally", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Search");
    const grace = await signUp(db(), uniqueEmail("grace"), { firstName: "Grace" });
    await addMember(db(), org.id, grace.userId, "org:member");
    const search = (query: string) => api(admin.token, org.slug).member.list({ query }).then((r) => r.members.map((m) => m.email));
    expect(await search("GRACE")).toEqual([grace.email]);
    expect(await search("max")).toHaveLength(1);
    expect(await search(grace.email.slice(0, 12).toUpperCase())).toEqual([grace.email]);
    expect(await search("%")).toEqual([]);
    expect(await search("_")).toEqual([]);
  });

  it("pages by cursor without skipping or repeating anyone, even when members joined in the same millisecond", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Pages");
    for (let i = 0; i < 5; i++) {
      const user = await signUp(db(), uniqueEmail(`page${i}`));
      await addMember(db(), org.id, user.userId, "org:member");
    }
    // Same timestamp for several rows: the id breaks the tie.
    await db().query(`update memberships set created_at = '2030-01-01T00:00:00.123456Z' where organization_id = '${org.id}' and 'org:member' = any(role_keys)`);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await api(admin.token, org.slug).member.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...result.members.map((m) => m.id));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });

  it("never lists another organization's members", async () => {
    const acme = await createOrgWithMember(db(), "Acme");
    const globex = await createOrgWithMember(db(), "Globex");
    const { members } = await api(globex.admin.token, globex.org.slug).member.list({ query: "example" });
    expect(members.map((m) => m.email)).not.toContain(acme.admin.email);
    expect(members).toHaveLength(2);
  });

  it.each([
    [{ limit: 101 }, "limit"],
    [{ limit: 0 }, "limit"],
    [{ limit: 1.5 }, "limit"],
    [{ query: "x".repeat(101) }, "query"],
    [{ cursor: "not-a-cursor" }, "cursor"],
    [{ cursor: Buffer.from("2020-01-01T00:00:00.000000Z|proj_x").toString("base64url") }, "cursor"],
  ] as const)("refuses bad input %j naming the field", async (input, field) => {
    const { admin, org } = await createOrgWithMember(db(), "Bad list");
    const error = await errorOf(api(admin.token, org.slug).member.list(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
  });
});

describe("member.setRole", () => {
  it("replaces the member's roles, and the new rights apply on their very next request", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Promote");
    const membershipId = await membershipIdOf(db(), org.id, member.userId);
    expect((await errorOf(api(member.token, org.slug).project.create({ name: "Nope" }))).code).toBe("FORBIDDEN");
    const result = await api(admin.token, org.slug).member.setRole({ membershipId, roleKey: "org:admin" });
    expect(result.roles).toEqual(["org:admin"]);
    await expect(api(member.token, org.slug).project.create({ name: "Now yes" })).resolves.toMatchObject({ name: "Now yes" });
    const audit = await auditActions(db(), org.id, "organization.member_role_changed");
    expect(audit.map((a) => a.outcome)).toEqual(["success"]);
    expect(audit[0]!.details).toMatchObject({ from: ["org:member"], to: "org:admin" });
  });

  it("takes a demoted admin's rights away on their very next request", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Demote");
    const memberMembership = await membershipIdOf(db(), org.id, member.userId);
    await api(admin.token, org.slug).member.setRole({ membershipId: memberMembership, roleKey: "org:admin" });
    const adminMembership = await membershipIdOf(db(), org.id, admin.userId);
    await api(member.token, org.slug).member.setRole({ membershipId: adminMembership, roleKey: "org:member" });
    const refused = await errorOf(api(admin.token, org.slug).member.remove({ membershipId: memberMembership }));
    expect(refused.code).toBe("FORBIDDEN");
    expect((await errorOf(api(admin.token, org.slug).project.create({ name: "x" }))).code).toBe("FORBIDDEN");
  });

  it("refuses to demote the last admin, and records the refusal", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Last");
    const adminMembership = await membershipIdOf(db(), org.id, admin.userId);
    const error = await errorOf(api(admin.token, org.slug).member.setRole({ membershipId: adminMembership, roleKey: "org:member" }));
    expect(error.code).toBe("CONFLICT");
    expect(error.reason).toBe("LAST_ADMIN");
    expect((await api(admin.token, org.slug).member.list()).members[0]!.roles).toEqual(["org:admin"]);
    const audit = await auditActions(db(), org.id, "organization.member_role_changed");
    expect(audit.map((a) => [a.outcome, a.details.reason])).toEqual([["failure", "LAST_ADMIN"]]);
  });

  it("lets one of two admins step down, but then not the other", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Two admins");
    const memberMembership = await membershipIdOf(db(), org.id, member.userId);
    const adminMembership = await membershipIdOf(db(), org.id, admin.userId);
    await api(admin.token, org.slug).member.setRole({ membershipId: memberMembership, roleKey: "org:admin" });
    await api(admin.token, org.slug).member.setRole({ membershipId: adminMembership, roleKey: "org:member" });
    const error = await errorOf(api(member.token, org.slug).member.setRole({ membershipId: memberMembership, roleKey: "org:member" }));
    expect(error.reason).toBe("LAST_ADMIN");
  });

  it("refuses to grant a role with rights beyond the caller's own", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Escalate");
    await createRole(db(), "org:member_manager", ["org:sys_memberships:read", "org:sys_memberships:manage"]);
    const manager = await signUp(db(), uniqueEmail("manager"));
    await addMember(db(), org.id, manager.userId, "org:member_manager");
    const memberMembership = await membershipIdOf(db(), org.id, member.userId);
    const error = await errorOf(api(manager.token, org.slug).member.setRole({ membershipId: memberMembership, roleKey: "org:admin" }));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("ROLE_ESCALATION");
    const self = await membershipIdOf(db(), org.id, manager.userId);
    expect((await errorOf(api(manager.token, org.slug).member.setRole({ membershipId: self, roleKey: "org:admin" }))).reason).toBe("ROLE_ESCALATION");
    // Within their own rights it works.
    await api(manager.token, org.slug).member.setRole({ membershipId: memberMembership, roleKey: "org:member_manager" });
    const rows = await db().query<{ role_keys: string[] }>(`select role_keys from memberships where id = '${memberMembership}'`);
    expect(rows[0]!.role_keys).toEqual(["org:member_manager"]);
    const denied = await auditActions(db(), org.id, "organization.member_role_changed");
    expect(denied.filter((a) => a.outcome === "denied")).toHaveLength(2);
    void admin;
  });

  it("answers NOT_FOUND for another organization's membership and changes nothing there", async () => {
    const acme = await createOrgWithMember(db(), "Acme");
    const globex = await createOrgWithMember(db(), "Globex");
    const foreign = await membershipIdOf(db(), acme.org.id, acme.member.userId);
    const before = await db().query(`select role_keys from memberships where id = '${foreign}'`);
    const error = await errorOf(api(globex.admin.token, globex.org.slug).member.setRole({ membershipId: foreign, roleKey: "org:admin" }));
    expect(error.code).toBe("NOT_FOUND");
    expect(await db().query(`select role_keys from memberships where id = '${foreign}'`)).toEqual(before);
  });

  it("refuses an unknown role naming the field", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Unknown role");
    const membershipId = await membershipIdOf(db(), org.id, member.userId);
    const error = await errorOf(api(admin.token, org.slug).member.setRole({ membershipId, roleKey: "org:wizard" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("roleKey");
  });

  it.each([
    [{ membershipId: "orgmem_x", roleKey: "admin" }, "roleKey"],
    [{ membershipId: "orgmem_x", roleKey: "" }, "roleKey"],
    [{ membershipId: "user_x", roleKey: "org:member" }, "membershipId"],
    [{ membershipId: "orgmem_" + "a".repeat(100), roleKey: "org:member" }, "membershipId"],
    [{ roleKey: "org:member" }, "membershipId"],
  ] as const)("refuses bad input %j naming the field and writes nothing", async (input, field) => {
    const { admin, org } = await createOrgWithMember(db(), "Bad role");
    const before = await countRows(db(), "membership_roles");
    const error = await errorOf(api(admin.token, org.slug).member.setRole(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await countRows(db(), "membership_roles")).toBe(before);
  });
});

describe("member.remove", () => {
  it("removes a member, who is refused on their very next request while their session keeps working elsewhere", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Remove");
    await callerFor(db(), { token: member.token }).caller.organization.setActive({ organizationId: org.id });
    const membershipId = await membershipIdOf(db(), org.id, member.userId);
    await api(admin.token, org.slug).member.remove({ membershipId });
    const refused = await errorOf(api(member.token, org.slug).project.list());
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.reason).toBe("NOT_A_MEMBER");
    // Signed in still, back in the personal context.
    const me = callerFor(db(), { token: member.token }).caller;
    await expect(me.user.me()).resolves.toMatchObject({ id: member.userId });
    expect((await errorOf(me.project.list())).reason).toBe("ORGANIZATION_REQUIRED");
    expect((await auditActions(db(), org.id, "organization.member_removed")).map((a) => a.outcome)).toEqual(["success"]);
  });

  it("refuses to remove the last admin", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Keep admin");
    const membershipId = await membershipIdOf(db(), org.id, admin.userId);
    const error = await errorOf(api(admin.token, org.slug).member.remove({ membershipId }));
    expect(error.reason).toBe("LAST_ADMIN");
    expect(await db().query(`select id from memberships where id = '${membershipId}'`)).toHaveLength(1);
  });

  it("answers NOT_FOUND for another organization's membership and removes nothing", async () => {
    const acme = await createOrgWithMember(db(), "Acme");
    const globex = await createOrgWithMember(db(), "Globex");
    const foreign = await membershipIdOf(db(), acme.org.id, acme.member.userId);
    const error = await errorOf(api(globex.admin.token, globex.org.slug).member.remove({ membershipId: foreign }));
    expect(error.code).toBe("NOT_FOUND");
    expect(await db().query(`select id from memberships where id = '${foreign}'`)).toHaveLength(1);
  });

  it("is refused to a plain member", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Plain");
    const membershipId = await membershipIdOf(db(), org.id, admin.userId);
    expect((await errorOf(api(member.token, org.slug).member.remove({ membershipId }))).code).toBe("FORBIDDEN");
  });

  it.each([[{ membershipId: "" }], [{ membershipId: 42 }], [{}]])("refuses bad input %j naming the field", async (input) => {
    const { admin, org } = await createOrgWithMember(db(), "Bad remove");
    const before = await countRows(db(), "memberships");
    const error = await errorOf(api(admin.token, org.slug).member.remove(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("membershipId");
    expect(await countRows(db(), "memberships")).toBe(before);
  });
});

describe("member.leave", () => {
  it("lets a member leave, refused on their next request, and records it", async () => {
    const { member, org } = await createOrgWithMember(db(), "Leave");
    await api(member.token, org.slug).member.leave();
    expect((await errorOf(api(member.token, org.slug).member.list())).reason).toBe("NOT_A_MEMBER");
    expect((await auditActions(db(), org.id, "organization.member_left")).map((a) => a.outcome)).toEqual(["success"]);
  });

  it("refuses the last admin leaving", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Stay");
    const error = await errorOf(api(admin.token, org.slug).member.leave());
    expect(error.reason).toBe("LAST_ADMIN");
    await expect(api(admin.token, org.slug).member.list()).resolves.toBeTruthy();
    expect((await auditActions(db(), org.id, "organization.member_left")).map((a) => a.outcome)).toEqual(["failure"]);
  });

  it("is refused to someone who is not a member and to an anonymous caller", async () => {
    const { org } = await createOrgWithMember(db(), "Outsiders");
    const outsider = await signUp(db());
    expect((await errorOf(api(outsider.token, org.slug).member.leave())).code).toBe("FORBIDDEN");
    expect((await errorOf(callerFor(db(), { orgSlug: org.slug }).caller.member.leave())).code).toBe("UNAUTHORIZED");
  });
});
