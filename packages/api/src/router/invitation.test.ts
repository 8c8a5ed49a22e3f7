import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import type { DbHandle } from "@latchkey/db";
import { createMemoryMailer } from "../mail/index.ts";
import { addMember, callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail, type CallerOptions } from "../../test/helpers.ts";

const db = useTestDb();
const DAY = 24 * 3600_000;

function capture() {
  const { mailer, sent } = createMemoryMailer();
  /** The token of the newest invitation emailed to `to`. */
  const tokenFor = (to: string) => {
    const mail = sent.findLast((m) => m.kind === "invitation" && m.to === to);
    if (mail?.kind !== "invitation") throw new Error(`no invitation mailed to ${to}`);
    return new URL(mail.values.link).searchParams.get("token")!;
  };
  return { sent, mailer, tokenFor };
}

function as(token: string | null, extra: CallerOptions = {}) {
  return callerFor(db(), { token, ...extra }).caller;
}

async function setup(name = "Invite") {
  const world = await createOrgWithMember(db(), name);
  const mail = capture();
  const admin = (extra: CallerOptions = {}) => as(world.admin.token, { orgSlug: world.org.slug, mailer: mail.mailer, ...extra });
  return { ...world, mail, admin };
}

async function invitationRows(handle: DbHandle, organizationId: string) {
  return handle.query<{ id: string; email: string; status: string; token_hash: string }>(
    `select id, email, status, token_hash from invitations where organization_id = '${organizationId}' order by created_at, id`,
  );
}

describe("invitation.create", () => {
  it("invites each address once, lower-cased, skips members, and emails an accept link with the org and inviter names", async () => {
    const { admin, member, org, mail } = await setup("Globex");
    const invitee = uniqueEmail("Invitee");
    const result = await admin().invitation.create({ emails: [invitee.toUpperCase(), ` ${invitee} `, member.email], roleKey: "org:member" });
    expect(result.invited.map((i) => i.email)).toEqual([invitee.toLowerCase()]);
    expect(result.skipped).toEqual([{ email: member.email, reason: "already_member" }]);
    expect(result.invited[0]!.expiresAt.getTime() - Date.now()).toBeGreaterThan(7 * DAY - 60_000);
    expect(result.invited[0]!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(7 * DAY);
    expect(mail.sent).toHaveLength(1);
    const sent = mail.sent[0]!;
    expect(sent.kind === "invitation" && sent.values).toMatchObject({ organizationName: "Globex", inviterName: "Ada", roleName: "Member" });
    expect(sent.subject).not.toContain("http");
    expect(sent.text).toContain("http://localhost:3000/invitations/accept?token=inv_");
    const token = mail.tokenFor(invitee.toLowerCase());
    // Only a hash is stored, never the token or its secret.
    const rows = await invitationRows(db(), org.id);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(token.split(".")[1]);
    expect(JSON.stringify(result)).not.toContain(token);
    const audit = await db().query<{ outcome: string }>(`select outcome from audit_events where organization_id = '${org.id}' and action = 'invitation.created'`);
    expect(audit.map((a) => a.outcome)).toEqual(["success"]);
  });

  it("re-inviting a pending address issues a fresh token and the old one dies", async () => {
    const { admin, mail } = await setup();
    const invitee = uniqueEmail("again");
    await admin().invitation.create({ emails: [invitee], roleKey: "org:member" });
    const first = mail.tokenFor(invitee);
    await admin().invitation.create({ emails: [invitee], roleKey: "org:member" });
    const second = mail.tokenFor(invitee);
    expect(second).not.toBe(first);
    expect((await as(null).invitation.get({ token: first })).status).toBe("revoked");
    expect((await as(null).invitation.get({ token: second })).status).toBe("pending");
    expect(await admin().invitation.list()).toHaveLength(1);
  });

  it("accepts 100 addresses and refuses 101, naming the field and writing nothing", async () => {
    const { admin, org, mail } = await setup("Bulk");
    const hundred = Array.from({ length: 100 }, (_, i) => `bulk-${i}-${org.id}@example.test`);
    expect((await admin().invitation.create({ emails: hundred, roleKey: "org:member" })).invited).toHaveLength(100);
    expect(mail.sent).toHaveLength(100);
    const before = await countRows(db(), "invitations");
    const error = await errorOf(admin().invitation.create({ emails: [...hundred, "one-more@example.test"], roleKey: "org:member" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("emails");
    expect(await countRows(db(), "invitations")).toBe(before);
    expect(mail.sent).toHaveLength(100);
  });

  it("refuses inviting with a role beyond the inviter's own rights", async () => {
    const { org, mail } = await setup("Escalate");
    await db().query(`insert into roles (id, key, name, permissions) values ('role_inv_mgr', 'org:inviter', 'Inviter', array['org:sys_memberships:read','org:sys_memberships:manage','org:projects:read']::text[]) on conflict do nothing`);
    const inviter = await signUp(db(), uniqueEmail("inviter"));
    await addMember(db(), org.id, inviter.userId, "org:inviter");
    const before = await countRows(db(), "invitations");
    const error = await errorOf(as(inviter.token, { orgSlug: org.slug, mailer: mail.mailer }).invitation.create({ emails: [uniqueEmail()], roleKey: "org:admin" }));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("ROLE_ESCALATION");
    expect(await countRows(db(), "invitations")).toBe(before);
    expect(mail.sent).toHaveLength(0);
    await expect(as(inviter.token, { orgSlug: org.slug, mailer: mail.mailer }).invitation.create({ emails: [uniqueEmail()], roleKey: "org:member" })).resolves.toBeTruthy();
  });

  it("is rate-limited per user with a Retry-After", async () => {
    const { admin } = await setup("Limited");
    for (let i = 0; i < 20; i++) await admin().invitation.create({ emails: [uniqueEmail(`limit${i}`)], roleKey: "org:member" });
    const error = await errorOf(admin().invitation.create({ emails: [uniqueEmail()], roleKey: "org:member" }));
    expect(error.code).toBe("TOO_MANY_REQUESTS");
    expect((error as { retryAfterSeconds?: number }).retryAfterSeconds).toBeGreaterThan(0);
  });

  it("is refused to a plain member and to an anonymous caller", async () => {
    const { member, org } = await setup("Deny");
    expect((await errorOf(as(member.token, { orgSlug: org.slug }).invitation.create({ emails: [uniqueEmail()], roleKey: "org:member" }))).code).toBe("FORBIDDEN");
    expect((await errorOf(as(null, { orgSlug: org.slug }).invitation.create({ emails: [uniqueEmail()], roleKey: "org:member" }))).code).toBe("UNAUTHORIZED");
  });

  it.each([
    [{ emails: [], roleKey: "org:member" }, "emails"],
    [{ emails: ["not-an-address"], roleKey: "org:member" }, "emails"],
    [{ emails: "a@example.test", roleKey: "org:member" }, "emails"],
    [{ emails: ["a@example.test"], roleKey: "member" }, "roleKey"],
    [{ emails: ["a@example.test"], roleKey: "org:wizard" }, "roleKey"],
    [{ emails: ["a@example.test"] }, "roleKey"],
  ] as const)("refuses bad input %j naming the field and writes nothing", async (input, field) => {
    const { admin, mail } = await setup("Bad");
    const before = await countRows(db(), "invitations");
    const error = await errorOf(admin().invitation.create(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await countRows(db(), "invitations")).toBe(before);
    expect(mail.sent).toHaveLength(0);
  });
});

describe("invitation.list, revoke and resend", () => {
  it("lists pending invitations with role, expiry and inviter, never a token", async () => {
    const { admin, mail } = await setup("Listing");
    const invitee = uniqueEmail("listed");
    await admin().invitation.create({ emails: [invitee], roleKey: "org:admin" });
    const list = await admin().invitation.list();
    expect(list).toMatchObject([{ email: invitee, roleKey: "org:admin", roleName: "Admin", inviterName: "Ada", expired: false }]);
    const text = JSON.stringify(list);
    expect(text).not.toContain(mail.tokenFor(invitee).split(".")[1]);
    expect(text).not.toMatch(/token/i);
  });

  it("revoking kills the token: it can't be accepted or declined any more", async () => {
    const { admin, mail } = await setup("Revoke");
    const invitee = await signUp(db(), uniqueEmail("revoked"));
    const { invited } = await admin().invitation.create({ emails: [invitee.email], roleKey: "org:member" });
    const token = mail.tokenFor(invitee.email);
    await admin().invitation.revoke({ invitationId: invited[0]!.id });
    expect(await admin().invitation.list()).toEqual([]);
    expect((await as(null).invitation.get({ token })).status).toBe("revoked");
    expect((await errorOf(as(invitee.token).invitation.accept({ token }))).reason).toBe("INVITATION_REVOKED");
    expect((await errorOf(as(null).invitation.decline({ token }))).reason).toBe("INVITATION_REVOKED");
    expect((await errorOf(admin().invitation.revoke({ invitationId: invited[0]!.id }))).reason).toBe("INVITATION_NOT_PENDING");
  });

  it("resending issues a new token and a new 7-day expiry, and the old token dies", async () => {
    const { admin, mail } = await setup("Resend");
    const invitee = await signUp(db(), uniqueEmail("resent"));
    const later = Date.now();
    const start = later - 6 * DAY;
    const { invited } = await admin({ now: () => new Date(start) }).invitation.create({ emails: [invitee.email], roleKey: "org:member" });
    const old = mail.tokenFor(invitee.email);
    const resent = await admin({ now: () => new Date(later) }).invitation.resend({ invitationId: invited[0]!.id });
    expect(resent.expiresAt.getTime()).toBe(later + 7 * DAY);
    const fresh = mail.tokenFor(invitee.email);
    expect(fresh).not.toBe(old);
    expect((await errorOf(as(null).invitation.get({ token: old }))).reason).toBe("INVITATION_INVALID");
    expect((await errorOf(as(invitee.token).invitation.accept({ token: old }))).reason).toBe("INVITATION_INVALID");
    // Past the first expiry, the resent one still works.
    await as(invitee.token, { now: () => new Date(start + 8 * DAY) }).invitation.accept({ token: fresh });
    expect(start + 8 * DAY).toBeGreaterThan(invited[0]!.expiresAt.getTime());
  });

  it("answers NOT_FOUND for another organization's invitation and changes nothing", async () => {
    const acme = await setup("Acme");
    const globex = await setup("Globex");
    const { invited } = await acme.admin().invitation.create({ emails: [uniqueEmail("acme")], roleKey: "org:member" });
    const before = await invitationRows(db(), acme.org.id);
    expect((await errorOf(globex.admin().invitation.revoke({ invitationId: invited[0]!.id }))).code).toBe("NOT_FOUND");
    expect((await errorOf(globex.admin().invitation.resend({ invitationId: invited[0]!.id }))).code).toBe("NOT_FOUND");
    expect(await invitationRows(db(), acme.org.id)).toEqual(before);
    expect(globex.mail.sent).toHaveLength(0);
    expect(await globex.admin().invitation.list()).toEqual([]);
  });

  it("is refused to a plain member", async () => {
    const { admin, member, org } = await setup("Members can't");
    const { invited } = await admin().invitation.create({ emails: [uniqueEmail()], roleKey: "org:member" });
    const asMember = as(member.token, { orgSlug: org.slug });
    expect((await errorOf(asMember.invitation.list())).code).toBe("FORBIDDEN");
    expect((await errorOf(asMember.invitation.revoke({ invitationId: invited[0]!.id }))).code).toBe("FORBIDDEN");
    expect((await errorOf(asMember.invitation.resend({ invitationId: invited[0]!.id }))).code).toBe("FORBIDDEN");
  });

  it.each(["revoke", "resend"] as const)("%s refuses a bad id naming the field", async (procedure) => {
    const { admin } = await setup("Bad id");
    for (const input of [{ invitationId: "" }, { invitationId: "orgmem_abc" }, { invitationId: "inv_" + "a".repeat(100) }, {}]) {
      const error = await errorOf(admin().invitation[procedure](input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("invitationId");
    }
  });
});

describe("invitation.get, accept and decline", () => {
  it("shows the org, address, role and status, and tells the invitee from someone else", async () => {
    const { admin, member, mail } = await setup("Shown");
    const invitee = await signUp(db(), uniqueEmail("shown"));
    await admin().invitation.create({ emails: [invitee.email], roleKey: "org:member" });
    const token = mail.tokenFor(invitee.email);
    const anonymous = await as(null).invitation.get({ token });
    expect(anonymous).toEqual({ organizationName: "Shown", email: invitee.email, roleName: "Member", status: "pending", viewer: "anonymous" });
    expect((await as(invitee.token).invitation.get({ token })).viewer).toBe("invitee");
    expect((await as(member.token).invitation.get({ token })).viewer).toBe("other");
  });

  it("accepting creates the membership with the invited role, makes the org active, and is one-shot", async () => {
    const { admin, org, mail } = await setup("Join");
    const invitee = await signUp(db(), uniqueEmail("joiner"));
    await admin().invitation.create({ emails: [invitee.email], roleKey: "org:member" });
    const token = mail.tokenFor(invitee.email);
    const joined = await as(invitee.token).invitation.accept({ token });
    expect(joined).toEqual({ organization: { id: org.id, slug: org.slug, name: "Join" }, alreadyMember: false });
    // The org is now active on the session: no slug needed.
    await expect(as(invitee.token).project.list()).resolves.toEqual([]);
    const roles = await db().query<{ role_keys: string[] }>(`select role_keys from memberships where organization_id = '${org.id}' and user_id = '${invitee.userId}'`);
    expect(roles[0]!.role_keys).toEqual(["org:member"]);
    expect((await as(null).invitation.get({ token })).status).toBe("accepted");
    expect((await errorOf(as(invitee.token).invitation.accept({ token }))).reason).toBe("INVITATION_ALREADY_USED");
    const audit = await db().query<{ outcome: string }>(`select outcome from audit_events where organization_id = '${org.id}' and action = 'invitation.accepted' order by occurred_at`);
    expect(audit.map((a) => a.outcome)).toEqual(["success", "failure"]);
  });

  it("an invitation whose inviter was since demoted or removed is revoked when accepted, and joins nobody", async () => {
    const { admin, org, mail } = await setup("Vouched");
    const cases = [
      // Demoted to member: no longer allowed to invite at all, nor to hand out admin.
      { roleKey: "org:admin", change: (membershipId: string) => admin().member.setRole({ membershipId, roleKey: "org:member" }) },
      // Removed from the organization.
      { roleKey: "org:member", change: (membershipId: string) => admin().member.remove({ membershipId }) },
    ];
    for (const { roleKey, change } of cases) {
      const inviter = await signUp(db(), uniqueEmail("inviter"));
      const inviterMembership = await addMember(db(), org.id, inviter.userId, "org:admin");
      const invitee = await signUp(db(), uniqueEmail("invitee"));
      await as(inviter.token, { orgSlug: org.slug, mailer: mail.mailer }).invitation.create({ emails: [invitee.email], roleKey });
      const token = mail.tokenFor(invitee.email);
      await change(inviterMembership);

      const refused = await errorOf(as(invitee.token).invitation.accept({ token }));
      expect([refused.code, refused.reason]).toEqual(["CONFLICT", "INVITATION_REVOKED"]);
      expect(await db().query(`select id from memberships where organization_id = '${org.id}' and user_id = '${invitee.userId}'`)).toEqual([]);
      expect((await as(null).invitation.get({ token })).status).toBe("revoked");
    }
  });

  it("an invitation from an inviter who still holds the rights is accepted as before", async () => {
    const { org, mail } = await setup("StillVouched");
    const inviter = await signUp(db(), uniqueEmail("inviter"));
    await addMember(db(), org.id, inviter.userId, "org:admin");
    const invitee = await signUp(db(), uniqueEmail("invitee"));
    await as(inviter.token, { orgSlug: org.slug, mailer: mail.mailer }).invitation.create({ emails: [invitee.email], roleKey: "org:admin" });
    const joined = await as(invitee.token).invitation.accept({ token: mail.tokenFor(invitee.email) });
    expect(joined.alreadyMember).toBe(false);
  });

  it("concurrent accepts create exactly one membership", async () => {
    const { admin, org, mail } = await setup("Race");
    const invitee = await signUp(db(), uniqueEmail("racer"));
    await admin().invitation.create({ emails: [invitee.email], roleKey: "org:member" });
    const token = mail.tokenFor(invitee.email);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => as(invitee.token).invitation.accept({ token })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rows = await db().query(`select id from memberships where organization_id = '${org.id}' and user_id = '${invitee.userId}'`);
    expect(rows).toHaveLength(1);
  });

  it("refuses a signed-in user without the invited address, and one whose address is not verified", async () => {
    const { admin, member, org, mail } = await setup("Mismatch");
    const invitee = await signUp(db(), uniqueEmail("owner"));
    await admin().invitation.create({ emails: [invitee.email], roleKey: "org:member" });
    const token = mail.tokenFor(invitee.email);
    const stranger = await signUp(db(), uniqueEmail("stranger"));
    const error = await errorOf(as(stranger.token).invitation.accept({ token }));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.reason).toBe("INVITATION_EMAIL_MISMATCH");
    await db().query(`update email_addresses set verified_at = null where user_id = '${invitee.userId}'`);
    expect((await errorOf(as(invitee.token).invitation.accept({ token }))).reason).toBe("INVITATION_EMAIL_MISMATCH");
    expect(await db().query(`select id from memberships where organization_id = '${org.id}' and user_id in ('${invitee.userId}', '${stranger.userId}')`)).toEqual([]);
    // Still pending: a refused accept doesn't use the invitation up.
    expect((await as(null).invitation.get({ token })).status).toBe("pending");
    void member;
  });

  it("refuses an expired invitation (by the clock) and shows it as expired", async () => {
    const { admin, mail } = await setup("Expired");
    const invitee = await signUp(db(), uniqueEmail("late"));
    // Sent on a clock 7 days and a second ago.
    const sentAt = Date.now() - 7 * DAY - 1000;
    await admin({ now: () => new Date(sentAt) }).invitation.create({ emails: [invitee.email], roleKey: "org:member" });
    const token = mail.tokenFor(invitee.email);
    expect((await as(null, { now: () => new Date(sentAt + 7 * DAY - 1000) }).invitation.get({ token })).status).toBe("pending");
    expect((await as(null).invitation.get({ token })).status).toBe("expired");
    expect((await errorOf(as(invitee.token).invitation.accept({ token }))).reason).toBe("INVITATION_EXPIRED");
    expect((await errorOf(as(null).invitation.decline({ token }))).reason).toBe("INVITATION_EXPIRED");
    expect((await admin().invitation.list())[0]!.expired).toBe(true);
  });

  it("an existing member accepting just uses the invitation up and keeps their roles", async () => {
    const { admin, member, org, mail } = await setup("Already");
    // Invited before joining, then added another way.
    const newcomer = await signUp(db(), uniqueEmail("twice"));
    await admin().invitation.create({ emails: [newcomer.email], roleKey: "org:admin" });
    const token = mail.tokenFor(newcomer.email);
    await addMember(db(), org.id, newcomer.userId, "org:member");
    const result = await as(newcomer.token).invitation.accept({ token });
    expect(result.alreadyMember).toBe(true);
    const rows = await db().query<{ role_keys: string[] }>(`select role_keys from memberships where organization_id = '${org.id}' and user_id = '${newcomer.userId}'`);
    expect(rows.map((r) => r.role_keys)).toEqual([["org:member"]]);
    void member;
  });

  it("declining marks it declined; the token can't be accepted afterwards", async () => {
    const { admin, org, mail } = await setup("Decline");
    const invitee = await signUp(db(), uniqueEmail("decliner"));
    await admin().invitation.create({ emails: [invitee.email], roleKey: "org:member" });
    const token = mail.tokenFor(invitee.email);
    await as(null).invitation.decline({ token });
    expect((await as(null).invitation.get({ token })).status).toBe("declined");
    expect((await errorOf(as(invitee.token).invitation.accept({ token }))).reason).toBe("INVITATION_ALREADY_USED");
    expect(await admin().invitation.list()).toEqual([]);
    const audit = await db().query<{ outcome: string }>(`select outcome from audit_events where organization_id = '${org.id}' and action = 'invitation.declined'`);
    expect(audit.map((a) => a.outcome)).toEqual(["success"]);
  });

  it("a forged or tampered token finds nothing, and accepting needs a session", async () => {
    const { admin, mail } = await setup("Forged");
    const invitee = uniqueEmail("forged");
    await admin().invitation.create({ emails: [invitee], roleKey: "org:member" });
    const token = mail.tokenFor(invitee);
    const tampered = token.slice(0, -1) + (token.endsWith("a") ? "b" : "a");
    expect((await errorOf(as(null).invitation.get({ token: tampered }))).reason).toBe("INVITATION_INVALID");
    expect((await errorOf(as(null).invitation.get({ token: "inv_nope" }))).code).toBe("NOT_FOUND");
    expect((await errorOf(as(null).invitation.accept({ token }))).code).toBe("UNAUTHORIZED");
  });

  it.each(["get", "accept", "decline"] as const)("%s refuses bad input naming the field and writes nothing", async (procedure) => {
    const user = await signUp(db());
    const before = await countRows(db(), "memberships");
    for (const input of [{ token: "" }, { token: "x".repeat(201) }, { token: 5 }, {}]) {
      const call = as(user.token).invitation[procedure] as (i: unknown) => Promise<unknown>;
      const error = await errorOf(call(input));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("token");
    }
    expect(await countRows(db(), "memberships")).toBe(before);
  });
});
