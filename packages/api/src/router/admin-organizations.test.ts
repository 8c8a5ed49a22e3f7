import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { addMember, callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../../test/helpers.ts";
import { getInstanceSettings, updateInstanceSettings } from "../instance-settings.ts";
import { requireRoomForMember } from "../membership-limit.ts";

const db = useTestDb();

/** A signed-in instance administrator (the flag is set by the operator). */
async function instanceAdmin() {
  const user = await signUp(db(), uniqueEmail("org-root"));
  await db().query(`update users set is_instance_admin = true where id = '${user.userId}'`);
  return { ...user, api: callerFor(db(), { token: user.token }).caller };
}

/** A word no other test's organization starts with. */
function tag(label: string) {
  return `${label}${Math.random().toString(36).slice(2, 8)}`;
}

/** An organization made by its own (new) admin, named and slugged as given. */
async function createOrg(name: string, slug: string) {
  const owner = await signUp(db(), uniqueEmail("owner"));
  const org = await callerFor(db(), { token: owner.token }).caller.organization.create({ name, slug });
  return { owner, org };
}

describe("adminOrganization deny paths", () => {
  it("refuses anonymous callers as unauthorized and an org admin as forbidden, changing nothing", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Denied");
    const asOrgAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const anonymous = callerFor(db()).caller;
    const calls = (api: typeof anonymous) => [
      () => api.adminOrganization.list({}),
      () => api.adminOrganization.get({ organizationId: org.id }),
      () => api.adminOrganization.setMembershipLimit({ organizationId: org.id, maxMemberships: 1 }),
      () => api.adminOrganization.delete({ organizationId: org.id, confirmation: org.slug }),
      () => api.role.list(),
    ];
    for (const call of calls(asOrgAdmin)) {
      const error = await errorOf(call());
      expect(error.code).toBe("FORBIDDEN");
      expect(error.reason).toBe("INSTANCE_ADMIN_REQUIRED");
    }
    for (const call of calls(anonymous)) expect((await errorOf(call())).code).toBe("UNAUTHORIZED");
    const [row] = await db().query<{ max_memberships: number | null }>(`select max_memberships from organizations where id = '${org.id}'`);
    expect(row).toEqual({ max_memberships: null });
  });
});

describe("adminOrganization.list", () => {
  it("finds organizations by name prefix, slug, slug prefix and exact id, ignoring case", async () => {
    const { api } = await instanceAdmin();
    const word = tag("Zephyr");
    const { org: first } = await createOrg(`${word} Labs`, `${word.toLowerCase()}-labs`);
    const { org: second } = await createOrg(`${word} Works`, `other-${word.toLowerCase()}`);
    await createOrg(`Not ${word}`, `not-${word.toLowerCase()}`);

    const names = async (query: string) => (await api.adminOrganization.list({ query })).organizations.map((o) => o.name).sort();
    expect(await names(word.toUpperCase())).toEqual([`${word} Labs`, `${word} Works`]);
    expect(await names(`${word.toLowerCase()}-la`)).toEqual([`${word} Labs`]);
    expect(await names(`other-${word.toLowerCase()}`)).toEqual([`${word} Works`]);
    expect(await names(second.id)).toEqual([`${word} Works`]);
    // An id is matched exactly, never as a prefix.
    expect(await names(first.id.slice(0, -2))).toEqual([]);
    const [row] = (await api.adminOrganization.list({ query: first.id })).organizations;
    expect(row).toMatchObject({ id: first.id, slug: first.slug, membersCount: 1, maxMemberships: null });
    expect(row!.createdAt).toBeInstanceOf(Date);
  });

  it("treats %, _ and \\ in a search as themselves", async () => {
    const { api } = await instanceAdmin();
    const word = tag("pct");
    await createOrg(`${word}100% Co`, `${word}-percent`);
    await createOrg(`${word}1000 Co`, `${word}-thousand`);
    await createOrg(`${word}1_0 Co`, `${word}-underscore`);
    const names = async (query: string) => (await api.adminOrganization.list({ query })).organizations.map((o) => o.name).sort();
    expect(await names(`${word}100%`)).toEqual([`${word}100% Co`]);
    expect(await names(`${word}1_`)).toEqual([`${word}1_0 Co`]);
    expect(await names(`${word}\\`)).toEqual([]);
  });

  it("pages newest first, each organization once, with no next page exactly at the end", async () => {
    const { api } = await instanceAdmin();
    const word = tag("pager");
    const made: string[] = [];
    for (let i = 0; i < 5; i += 1) made.push((await createOrg(`${word} ${i}`, `${word}-${i}`)).org.id);
    const first = await api.adminOrganization.list({ query: word, limit: 2 });
    expect(first.organizations).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await api.adminOrganization.list({ query: word, limit: 2, cursor: first.nextCursor! });
    const third = await api.adminOrganization.list({ query: word, limit: 2, cursor: second.nextCursor! });
    expect(third.organizations).toHaveLength(1);
    expect(third.nextCursor).toBeNull();
    const seen = [...first.organizations, ...second.organizations, ...third.organizations];
    expect(seen.map((o) => o.id).sort()).toEqual([...made].sort());
    const times = seen.map((o) => o.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // A page that ends exactly on the last row has no next page.
    const exact = await api.adminOrganization.list({ query: word, limit: 5 });
    expect(exact.organizations).toHaveLength(5);
    expect(exact.nextCursor).toBeNull();
    // Without a search, the newest organization comes first.
    const newest = await api.adminOrganization.list({ limit: 1 });
    expect(newest.organizations[0]!.id).toBe(made.at(-1));
  });

  it.each([
    [{ cursor: "not-a-cursor" }, "cursor"],
    [{ cursor: Buffer.from("2024-01-01T00:00:00.000000Z|user_x").toString("base64url") }, "cursor"],
    [{ limit: 0 }, "limit"],
    [{ limit: 101 }, "limit"],
    [{ query: "x".repeat(201) }, "query"],
  ])("refuses bad input %# naming the field", async (input, field) => {
    const { api } = await instanceAdmin();
    const error = await errorOf(api.adminOrganization.list(input));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
  });
});

describe("adminOrganization.get", () => {
  it("shows the profile, members with roles, pending invitations, domains and the membership limit", async () => {
    const { api } = await instanceAdmin();
    const { admin, member, org } = await createOrgWithMember(db(), "Detail");
    const asOrgAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const invitee = uniqueEmail("invitee");
    await asOrgAdmin.invitation.create({ emails: [invitee], roleKey: "org:member" });
    await asOrgAdmin.domain.add({ domain: `${tag("detail")}.example.com` });

    const detail = await api.adminOrganization.get({ organizationId: org.id });
    expect(detail.organization).toMatchObject({ id: org.id, name: "Detail", slug: org.slug, requireMfa: false });
    expect(detail.members.map((m) => [m.userId, m.roles])).toEqual([
      [admin.userId, ["org:admin"]],
      [member.userId, ["org:member"]],
    ]);
    expect(detail.members[1]).toMatchObject({ email: member.email, firstName: "Max" });
    expect(detail.invitations).toEqual([expect.objectContaining({ email: invitee, roleKey: "org:member" })]);
    expect(detail.domains).toHaveLength(1);
    expect(detail.membershipLimit).toEqual({ own: null, instanceDefault: null, effective: null, members: 2, pendingInvitations: 1 });
    expect(JSON.stringify(detail)).not.toMatch(/token_?hash|secret/i);
  });

  it("reports the instance default limit when the organization has none of its own", async () => {
    const { api } = await instanceAdmin();
    const { org } = await createOrgWithMember(db(), "Default");
    const before = (await getInstanceSettings(db().db)).maxMembershipsPerOrganization;
    await updateInstanceSettings(db().db, { maxMembershipsPerOrganization: 40 });
    try {
      expect((await api.adminOrganization.get({ organizationId: org.id })).membershipLimit).toMatchObject({ own: null, instanceDefault: 40, effective: 40 });
    } finally {
      await updateInstanceSettings(db().db, { maxMembershipsPerOrganization: before });
    }
  });

  it("answers an unknown organization with NOT_FOUND and a bad id with a message naming organizationId", async () => {
    const { api } = await instanceAdmin();
    expect((await errorOf(api.adminOrganization.get({ organizationId: "org_doesnotexist" }))).code).toBe("NOT_FOUND");
    const bad = await errorOf(api.adminOrganization.get({ organizationId: "user_abc" }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("organizationId");
    const cursor = await errorOf(api.adminOrganization.get({ organizationId: "org_doesnotexist", membersCursor: "nope" }));
    expect(cursor.code).toBe("NOT_FOUND");
  });
});

describe("adminOrganization.setMembershipLimit", () => {
  it("sets a limit that the next invitation meets, clears it back to the default, and audits both", async () => {
    const { api, userId: rootId } = await instanceAdmin();
    const { admin, org } = await createOrgWithMember(db(), "Limited");
    const asOrgAdmin = () => callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;

    expect(await api.adminOrganization.setMembershipLimit({ organizationId: org.id, maxMemberships: 2 })).toMatchObject({ maxMemberships: 2, effective: 2, members: 2, overLimit: false });
    const refused = await errorOf(asOrgAdmin().invitation.create({ emails: [uniqueEmail("late")], roleKey: "org:member" }));
    expect(refused.reason).toBe("MEMBERSHIP_LIMIT_REACHED");

    expect(await api.adminOrganization.setMembershipLimit({ organizationId: org.id, maxMemberships: null })).toMatchObject({ maxMemberships: null, effective: null });
    await asOrgAdmin().invitation.create({ emails: [uniqueEmail("welcome")], roleKey: "org:member" });

    const audit = await db().query<{ actor_user_id: string; outcome: string; details: { from: number | null; to: number | null } }>(
      `select actor_user_id, outcome, details from audit_events where target_id = '${org.id}' and action = 'organization.membership_limit_updated' order by occurred_at, id`,
    );
    expect(audit).toEqual([
      { actor_user_id: rootId, outcome: "success", details: { from: null, to: 2 } },
      { actor_user_id: rootId, outcome: "success", details: { from: 2, to: null } },
    ]);
  });

  it("allows a limit below the member count, says so, keeps the members and refuses new ones", async () => {
    const { api } = await instanceAdmin();
    const { org } = await createOrgWithMember(db(), "Crowded");
    const result = await api.adminOrganization.setMembershipLimit({ organizationId: org.id, maxMemberships: 1 });
    expect(result).toMatchObject({ effective: 1, members: 2, overLimit: true });
    expect(await db().query(`select id from memberships where organization_id = '${org.id}'`)).toHaveLength(2);
    expect((await errorOf(requireRoomForMember(db().db, org.id))).reason).toBe("MEMBERSHIP_LIMIT_REACHED");
  });

  it.each([
    [{ maxMemberships: 0 }, "maxMemberships"],
    [{ maxMemberships: 2.5 }, "maxMemberships"],
    [{ maxMemberships: "10" }, "maxMemberships"],
    [{ maxMemberships: 1_000_001 }, "maxMemberships"],
    [{}, "maxMemberships"],
    [{ organizationId: "nope", maxMemberships: 3 }, "organizationId"],
  ])("refuses bad input %# naming the field and writes nothing", async (input, field) => {
    const { api } = await instanceAdmin();
    const { org } = await createOrgWithMember(db(), "BadLimit");
    const before = await countRows(db(), "audit_events");
    const error = await errorOf(api.adminOrganization.setMembershipLimit({ organizationId: org.id, ...input } as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await db().query(`select max_memberships from organizations where id = '${org.id}'`)).toEqual([{ max_memberships: null }]);
    expect(await countRows(db(), "audit_events")).toBe(before);
  });

  it("answers an unknown organization with NOT_FOUND", async () => {
    const { api } = await instanceAdmin();
    expect((await errorOf(api.adminOrganization.setMembershipLimit({ organizationId: "org_gone", maxMemberships: 3 }))).code).toBe("NOT_FOUND");
  });
});

describe("adminOrganization.delete", () => {
  it("refuses a confirmation that is not the slug and deletes nothing", async () => {
    const { api } = await instanceAdmin();
    const { org } = await createOrgWithMember(db(), "Keep Me");
    for (const confirmation of ["", "Keep Me", org.slug.toUpperCase()]) {
      const error = await errorOf(api.adminOrganization.delete({ organizationId: org.id, confirmation }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.reason).toBe("CONFIRMATION_MISMATCH");
      expect(error.field).toBe("confirmation");
    }
    expect(await db().query(`select id from organizations where id = '${org.id}'`)).toHaveLength(1);
  });

  it("deletes the organization with its members, emits organization.deleted and audits it", async () => {
    const { api, userId: rootId } = await instanceAdmin();
    const { admin, member, org } = await createOrgWithMember(db(), "Doomed");
    const extra = await signUp(db(), uniqueEmail("extra"));
    await addMember(db(), org.id, extra.userId, "org:member");
    const outboxBefore = await db().query<{ id: string }>(`select id from outbox_events`);

    expect(await api.adminOrganization.delete({ organizationId: org.id, confirmation: org.slug })).toEqual({ id: org.id });

    expect(await db().query(`select id from organizations where id = '${org.id}'`)).toEqual([]);
    expect(await db().query(`select id from memberships where organization_id = '${org.id}'`)).toEqual([]);
    // The former owner's session no longer has it active.
    expect(await db().query(`select id from sessions where user_id = '${admin.userId}' and active_organization_id is not null`)).toEqual([]);
    const seen = new Set(outboxBefore.map((e) => e.id));
    const events = (await db().query<{ id: string; type: string; data: { id: string; deleted?: boolean } }>(`select id, type, data from outbox_events`)).filter((e) => !seen.has(e.id));
    expect(events.filter((e) => e.type === "organization.deleted").map((e) => e.data)).toEqual([expect.objectContaining({ id: org.id, deleted: true })]);
    expect(events.filter((e) => e.type === "organizationMembership.deleted")).toHaveLength(3);
    const audit = await db().query<{ actor_user_id: string; outcome: string; details: Record<string, unknown> }>(
      `select actor_user_id, outcome, details from audit_events where target_id = '${org.id}' and action = 'organization.deleted'`,
    );
    expect(audit).toEqual([{ actor_user_id: rootId, outcome: "success", details: { name: "Doomed", slug: org.slug, members: 3, by: "instance_admin" } }]);
    // The former members' next request finds no organization there.
    const error = await errorOf(callerFor(db(), { token: member.token, orgSlug: org.slug }).caller.member.list());
    expect(["FORBIDDEN", "NOT_FOUND"]).toContain(error.code);
    expect((await errorOf(api.adminOrganization.get({ organizationId: org.id }))).code).toBe("NOT_FOUND");
  });

  it("answers an unknown organization with NOT_FOUND and a missing confirmation with a message naming it", async () => {
    const { api } = await instanceAdmin();
    expect((await errorOf(api.adminOrganization.delete({ organizationId: "org_gone", confirmation: "gone" }))).code).toBe("NOT_FOUND");
    const error = await errorOf(api.adminOrganization.delete({ organizationId: "org_gone" } as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("confirmation");
  });
});
