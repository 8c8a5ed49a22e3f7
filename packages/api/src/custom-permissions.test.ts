/**
 * Custom permissions that work, end to end through the API (ADR 022): an instance admin creates `org:reports:read`
 * and a role holding it; an organization's admin invites someone with that role; once they accept, their very next
 * request holds the permission, in a procedure's declaration and in `ctx.has`. Instance admins may also add custom
 * permissions to the system roles, but not change what code declares for them.
 */
import { describe, expect, it } from "vitest";
import { customPermission } from "@latchkey/auth";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "./mail/index.ts";
import { createCallerFactory, createTRPCRouter, orgProcedure } from "./trpc.ts";
import { addMember, callerFor, createOrgWithMember, errorOf, signUp, uniqueEmail, type CallerOptions } from "../test/helpers.ts";
import { createInnerContext } from "./context.ts";
import { APP_URL } from "../test/helpers.ts";

const db = useTestDb();
const reportsRead = customPermission("org:reports:read");

/** What an app built on Latchkey would add: a procedure guarded by the run-time permission. */
const reportRouter = createTRPCRouter({
  summary: orgProcedure
    .permission(reportsRead)
    .routine()
    .query(({ ctx }) => ({ organization: ctx.organization.slug, canRead: ctx.has({ permission: reportsRead }) })),
});
const createReportCaller = createCallerFactory(reportRouter);

function reportsAs(token: string, orgSlug: string) {
  return createReportCaller(createInnerContext({ db: db().db, appUrl: APP_URL, resHeaders: new Headers(), sessionToken: token, orgSlug, ip: "198.18.0.1", userAgent: "vitest" }));
}

function as(token: string | null, extra: CallerOptions = {}) {
  return callerFor(db(), { token, ...extra }).caller;
}

async function instanceAdmin() {
  const root = await signUp(db(), uniqueEmail("root"));
  await db().query(`update users set is_instance_admin = true where id = '${root.userId}'`);
  return as(root.token);
}

/** The seed's scenario up to the role: `org:reports:read` and a role `org:analyst…` holding it. */
async function analystRole() {
  const root = await instanceAdmin();
  await root.role.createPermission({ key: "org:reports:read", name: "Read reports" }).catch(() => undefined);
  const key = `org:analyst_${Math.random().toString(36).slice(2, 8)}`;
  await root.role.create({ key, name: "Analyst", permissions: ["org:reports:read", "org:projects:read"] });
  return { root, key };
}

describe("a custom permission granted through a custom role", () => {
  it("becomes true for an invitee on their next request after they accept an invitation with that role", async () => {
    const { key } = await analystRole();
    const { admin, org } = await createOrgWithMember(db(), "Reports");
    const { mailer, sent } = createMemoryMailer();
    const invitee = await signUp(db(), uniqueEmail("analyst"));
    const email = (await db().query<{ email: string }>(`select email from email_addresses where user_id = '${invitee.userId}'`))[0]!.email;

    // The organization's admin doesn't hold org:reports:read, yet may hand out the role built for that app feature.
    await as(admin.token, { orgSlug: org.slug, mailer }).invitation.create({ emails: [email], roleKey: key });
    const mail = sent.findLast((m) => m.kind === "invitation" && m.to === email);
    if (mail?.kind !== "invitation") throw new Error("no invitation mailed");
    const token = new URL(mail.values.link).searchParams.get("token")!;

    expect((await errorOf(reportsAs(invitee.token, org.slug).summary())).reason).toBe("NOT_A_MEMBER");
    await as(invitee.token).invitation.accept({ token });

    expect(await reportsAs(invitee.token, org.slug).summary()).toEqual({ organization: org.slug, canRead: true });
    const session = await as(invitee.token, { orgSlug: org.slug }).auth.session();
    expect(JSON.stringify(session)).toContain("org:reports:read");
  });

  it("is refused to a plain member, who holds no such permission", async () => {
    const { member, org } = await createOrgWithMember(db(), "Plain");
    const error = await errorOf(reportsAs(member.token, org.slug).summary());
    expect(error).toMatchObject({ code: "FORBIDDEN", reason: "PERMISSION_DENIED" });
  });

  it("lets an organization admin give an existing member the custom role, which applies on their next request", async () => {
    const { key } = await analystRole();
    const { admin, member, org } = await createOrgWithMember(db(), "Promote");
    const api = as(admin.token, { orgSlug: org.slug });
    const membershipId = (await api.member.list()).members.find((m) => m.userId === member.userId)!.id;
    await api.member.setRole({ membershipId, roleKey: key });
    expect((await reportsAs(member.token, org.slug).summary()).canRead).toBe(true);
  });

  it("still refuses a role with a system or app permission the granter lacks", async () => {
    const root = await instanceAdmin();
    const delegate = `org:delegate_${Math.random().toString(36).slice(2, 8)}`;
    await root.role.create({ key: delegate, name: "Delegate", permissions: ["org:sys_memberships:read", "org:sys_memberships:manage"] });
    const { org, member } = await createOrgWithMember(db(), "Escalate");
    const manager = await signUp(db(), uniqueEmail("manager"));
    await addMember(db(), org.id, manager.userId, delegate);
    const api = as(manager.token, { orgSlug: org.slug });
    const membershipId = (await api.member.list()).members.find((m) => m.userId === member.userId)!.id;
    expect((await errorOf(api.member.setRole({ membershipId, roleKey: "org:admin" }))).reason).toBe("ROLE_ESCALATION");
    expect((await errorOf(api.invitation.create({ emails: [uniqueEmail("x")], roleKey: "org:admin" }))).reason).toBe("ROLE_ESCALATION");
    const rights = await db().query<{ role_keys: string[] }>(`select role_keys from memberships where user_id = '${member.userId}'`);
    expect(rights[0]!.role_keys).toEqual(["org:member"]);
  });

  it("can't be handed out by a member who doesn't manage members", async () => {
    const { key } = await analystRole();
    const { member, org } = await createOrgWithMember(db(), "NoManage");
    const error = await errorOf(as(member.token, { orgSlug: org.slug }).invitation.create({ emails: [uniqueEmail("y")], roleKey: key }));
    expect(error.reason).toBe("PERMISSION_DENIED");
  });
});

describe("custom permissions on the system roles", () => {
  it("can be added by an instance admin and reach every holder on their next request", async () => {
    const root = await instanceAdmin();
    await root.role.createPermission({ key: "org:reports:read", name: "Read reports" }).catch(() => undefined);
    const { member, org } = await createOrgWithMember(db(), "SystemAdd");
    const memberRole = (await root.role.list()).find((r) => r.key === "org:member")!;
    await root.role.update({ key: "org:member", permissions: [...memberRole.permissions, "org:reports:read"] });
    expect((await reportsAs(member.token, org.slug).summary()).canRead).toBe(true);
    await root.role.update({ key: "org:member", permissions: memberRole.permissions });
    expect((await errorOf(reportsAs(member.token, org.slug).summary())).reason).toBe("PERMISSION_DENIED");
  });

  it("can't remove or add a permission code declares, nor rename the role, naming the field", async () => {
    const root = await instanceAdmin();
    const before = (await root.role.list()).find((r) => r.key === "org:member")!;
    const removed = await errorOf(root.role.update({ key: "org:member", permissions: before.permissions.filter((p) => p !== "org:projects:read") }));
    expect(removed).toMatchObject({ code: "BAD_REQUEST", reason: "SYSTEM_ROLE", field: "permissions" });
    const added = await errorOf(root.role.update({ key: "org:member", permissions: [...before.permissions, "org:projects:manage"] }));
    expect(added).toMatchObject({ code: "BAD_REQUEST", reason: "SYSTEM_ROLE", field: "permissions" });
    const renamed = await errorOf(root.role.update({ key: "org:admin", name: "Boss" }));
    expect(renamed).toMatchObject({ code: "BAD_REQUEST", reason: "SYSTEM_ROLE", field: "name" });
    expect((await root.role.list()).find((r) => r.key === "org:member")).toEqual(before);
    expect((await errorOf(root.role.delete({ key: "org:member" }))).reason).toBe("SYSTEM_ROLE");
  });
});
